/**
 * The console of `engine run` and `engine resume`, decided once from the flags, the
 * environment and the streams: how much it says, colour, progress display, timestamps and
 * steps' output. Conventions: NO_COLOR (not empty) disables colour, FORCE_COLOR forces it even
 * through a pipe (FORCE_COLOR=0 or false disables it) and wins over NO_COLOR, as in Node;
 * TERM=dumb disables colour and the status area; `--color always|never` wins over all of them.
 */
import type { AreaStream } from '../state/sinks/progress-area.js';
import type { ConsoleLevel, ProgressMode } from '../state/sinks/console-sink.js';
import type { OutputMode } from '../state/sinks/step-output.js';

export const COLOR_CHOICES = ['auto', 'always', 'never'] as const;
export type ColorChoice = (typeof COLOR_CHOICES)[number];

/** The console flags of `run` and `resume`, as commander hands them over. */
export interface ConsoleFlags {
  quiet?: boolean;
  verbose?: boolean;
  color?: ColorChoice;
  output?: OutputMode;
}

/** Seconds between progress lines when stderr is not a terminal. */
const PROGRESS_INTERVAL_MS = 10_000;

export interface ConsoleSettings {
  level: ConsoleLevel;
  color: boolean;
  timestamps: boolean;
  progress: ProgressMode;
  output: OutputMode;
}

/** A stream as far as the console cares. */
export interface ConsoleStream extends AreaStream {
  isTTY?: boolean;
}

/**
 * @param lines where the one-liners and the summary go (stdout, or stderr under --json)
 * @param stderr where the status area goes when it is a terminal
 */
export function consoleSettings(flags: ConsoleFlags, env: NodeJS.ProcessEnv, lines: ConsoleStream, stderr: ConsoleStream): ConsoleSettings {
  const level: ConsoleLevel = flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal';
  const choice = flags.color ?? 'auto';
  const dumb = env.TERM === 'dumb';
  const liveArea = stderr.isTTY === true && !dumb && level !== 'quiet';
  let progress: ProgressMode;
  if (liveArea) {
    progress = { kind: 'live', stream: stderr, linesHere: lines === stderr || lines.isTTY === true, color: useColor(choice, env, true) };
  } else if (level === 'quiet') {
    progress = { kind: 'none' };
  } else {
    progress = { kind: 'periodic', intervalMs: progressIntervalMs(env) };
  }
  return {
    level,
    color: useColor(choice, env, lines.isTTY === true),
    timestamps: lines.isTTY !== true,
    progress,
    output: flags.output ?? 'none',
  };
}

/** Whether to colour a stream that is (`isTTY`) or is not a terminal. */
export function useColor(choice: ColorChoice, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (choice !== 'auto') return choice === 'always';
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

/** `ENGINE_PROGRESS_INTERVAL_MS` (tests use a short one), else 10 s. */
function progressIntervalMs(env: NodeJS.ProcessEnv): number {
  const n = Number(env.ENGINE_PROGRESS_INTERVAL_MS);
  return /^[0-9]+$/.test(env.ENGINE_PROGRESS_INTERVAL_MS ?? '') && n >= 10 ? n : PROGRESS_INTERVAL_MS;
}
