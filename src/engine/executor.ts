/**
 * The executor is the only place that spawns, times out and kills step processes.
 *
 * Each attempt is started by the launcher (launch.ts: posix_spawn where it is built, else
 * node:child_process; not execa, measured here at 1.7-2.5x the cost per process and ~30 MB
 * more memory, see docs/BENCHMARKS.md), in its own session and process group, with stdin on
 * /dev/null and stdout+stderr written by the child straight into the attempt's log file
 * descriptor: output never passes through the engine, so it is never buffered in memory and
 * costs the engine nothing however much a step prints.
 *
 * Stopping (timeout or cancel): SIGTERM to the process group, SIGKILL after the grace period.
 * When the step's main process exits, whatever it left behind in its group is killed too, so
 * no process of a step outlives it (the behaviour GitHub Actions calls "orphan process
 * cleanup"; a step that must leave a daemon running starts it in a new session, e.g. setsid).
 */
import { closeSync, existsSync, openSync, writeSync, appendFileSync } from 'node:fs';
import { formatDuration } from '../format.js';
import type { FailureReason } from './events.js';
import { launcher, type Launcher } from './launch.js';
import { signalProcessGroup } from './process-group.js';

/** setTimeout's largest delay; longer timeouts are clamped (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface AttemptRequest {
  /** Executable (looked up on PATH), or a script line for /bin/sh when `shell`. */
  command: string;
  args: readonly string[];
  shell: boolean;
  /** Absolute working directory. */
  cwd: string;
  /** The complete environment of the process. */
  env: NodeJS.ProcessEnv;
  /** File that receives stdout and stderr (created or truncated). */
  logPath: string;
  /** An open, empty, write-only descriptor of `logPath` (log-prefetch.ts), used instead of
   * opening it; startAttempt closes it. */
  logFd?: number;
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL when the attempt is stopped, in ms. */
  killGraceMs: number;
  successExitCodes: readonly number[];
}

export interface AttemptResult {
  outcome: 'succeeded' | 'failed' | 'cancelled';
  /** Set when outcome is `failed`. */
  reason: FailureReason | null;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** Human-readable cause when not succeeded, e.g. `exit code 3 (expected 0)`. */
  error: string | null;
}

export interface RunningAttempt {
  /** pid of the step's main process (= its process group id); null when spawning failed. */
  readonly pid: number | null;
  readonly result: Promise<AttemptResult>;
  /** Stops the attempt: SIGTERM then SIGKILL after the grace period, or SIGKILL at once when
   * `forced`. The result's outcome becomes `cancelled`. */
  cancel(forced: boolean): void;
}

/**
 * Spawns one attempt with `launch` (the process's launcher unless given). Never throws: a spawn
 * failure resolves as reason `spawn_error`.
 */
export function startAttempt(req: AttemptRequest, launch: Launcher = launcher()): RunningAttempt {
  const startedAt = performance.now();
  let fd: number;
  try {
    fd = req.logFd ?? openSync(req.logPath, 'w');
  } catch (err) {
    const error = `cannot open log file ${req.logPath}: ${(err as Error).message}`;
    return { pid: null, result: Promise.resolve(spawnFailure(error, startedAt)), cancel: () => {} };
  }
  const file = req.shell ? '/bin/sh' : req.command;
  const args = req.shell ? ['-c', req.command] : req.args;
  let onExit: (code: number | null, signal: NodeJS.Signals | null) => void = () => {};
  let onError: (err: NodeJS.ErrnoException) => void = () => {};
  let pid: number | null;
  try {
    pid = launch.launch(
      { file, args, cwd: req.cwd, env: req.env, outFd: fd },
      (code, signal) => onExit(code, signal),
      (err) => onError(err),
    );
  } catch (err) {
    const error = spawnErrorMessage(err as NodeJS.ErrnoException, req);
    writeSync(fd, `engine: ${error}\n`);
    closeSync(fd);
    return {
      pid: null,
      result: Promise.resolve(spawnFailure(error, startedAt)),
      cancel: () => {},
    };
  }
  closeSync(fd);

  let stopping: 'timeout' | 'cancel' | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'cancel', forced: boolean): void => {
    if (pid === null) return;
    if (stopping === null) stopping = why;
    if (forced) {
      signalProcessGroup(pid, 'SIGKILL');
      return;
    }
    signalProcessGroup(pid, 'SIGTERM');
    killTimer ??= setTimeout(() => signalProcessGroup(pid, 'SIGKILL'), req.killGraceMs);
  };
  const timeoutTimer = setTimeout(() => stop('timeout', false), Math.min(req.timeoutMs, MAX_TIMER_MS));

  const result = new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (r: AttemptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      resolve(r);
    };
    onError = (err) => {
      const error = spawnErrorMessage(err, req);
      appendFileSync(req.logPath, `engine: ${error}\n`);
      finish(spawnFailure(error, startedAt));
    };
    onExit = (code, signal) => {
      if (pid !== null) signalProcessGroup(pid, 'SIGKILL');
      const durationMs = Math.round(performance.now() - startedAt);
      finish(classifyExit(code, signal, stopping, durationMs, req));
    };
  });

  return { pid, result, cancel: (forced) => stop('cancel', forced) };
}

function classifyExit(
  code: number | null,
  signal: NodeJS.Signals | null,
  stopping: 'timeout' | 'cancel' | null,
  durationMs: number,
  req: AttemptRequest,
): AttemptResult {
  const base = { exitCode: code, signal, durationMs };
  if (stopping === 'cancel') {
    return { ...base, outcome: 'cancelled', reason: null, error: 'cancelled' };
  }
  if (stopping === 'timeout') {
    const error = `timed out after ${formatDuration(req.timeoutMs)}`;
    appendFileSync(req.logPath, `engine: ${error}; the process group got SIGTERM\n`);
    return { ...base, outcome: 'failed', reason: 'timeout', error };
  }
  if (signal !== null) {
    return { ...base, outcome: 'failed', reason: 'signal', error: `killed by ${signal}` };
  }
  if (code !== null && req.successExitCodes.includes(code)) {
    return { ...base, outcome: 'succeeded', reason: null, error: null };
  }
  const expected = req.successExitCodes.join(', ');
  return { ...base, outcome: 'failed', reason: 'exit_code', error: `exit code ${code} (expected ${expected})` };
}

function spawnFailure(error: string, startedAt: number): AttemptResult {
  return {
    outcome: 'failed',
    reason: 'spawn_error',
    exitCode: null,
    signal: null,
    durationMs: Math.round(performance.now() - startedAt),
    error,
  };
}

function spawnErrorMessage(err: NodeJS.ErrnoException, req: AttemptRequest): string {
  const file = req.shell ? '/bin/sh' : req.command;
  switch (err.code) {
    case 'ENOENT':
      return existsSync(req.cwd)
        ? `command not found: ${file}`
        : `working directory does not exist: ${req.cwd}`;
    case 'EACCES':
      return `permission denied (not executable?): ${file}`;
    case 'ENOTDIR':
      return `working directory is not a directory: ${req.cwd}`;
    default:
      return `cannot start ${file}: ${err.message}`;
  }
}
