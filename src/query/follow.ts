/**
 * `engine logs --follow`: streams the logs of a live run until it ends. A short poll (every
 * {@link POLL_MS} ms) reads the run's status, its attempts (from runs.db, read-only) and the new
 * bytes of their log files, in that order: once a poll has seen the run (or step, or attempt)
 * ended, the file contents it reads afterwards are final, so the last poll drains them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { RunsDb } from '../state/store/runs-db.js';
import { FileTail, LinePrefixer, type Output } from './log-files.js';
import { isEndedStepStatus, type AttemptStatus } from '../engine/status.js';
import { attemptsOfStep, engineSeemsGone, getRun, getStep } from './runs-reader.js';

/** Time between two polls of runs.db and the log files, in ms. */
export const POLL_MS = 100;

/** What one poll learnt about the run before reading any file. */
type RunState = 'running' | 'ended' | 'engine_gone';

/**
 * The run's state. A run still `running` whose engine process is gone is read once more (it
 * may have finished between the two reads) before it is declared `engine_gone`.
 */
function runState(db: RunsDb, runId: string): RunState {
  const run = getRun(db, runId);
  if (!run || run.status !== 'running') return 'ended';
  if (!engineSeemsGone(run)) return 'running';
  const again = getRun(db, runId);
  return !again || again.status !== 'running' ? 'ended' : 'engine_gone';
}

function warnEngineGone(db: RunsDb, runId: string): number {
  const run = getRun(db, runId);
  const who = run ? ` (pid ${run.pid} on ${run.hostname})` : '';
  process.stderr.write(`engine: run ${runId} is recorded as running, but its engine${who} is gone; stopped following\n`);
  return ExitCode.failed;
}

interface AttemptRef {
  step_id: string;
  attempt: number;
  status: AttemptStatus;
  log_path: string;
}

/**
 * Follows every step: prints new lines of every attempt's log as they arrive, each prefixed
 * `[step_id] `, until the run has ended and every file is drained. Returns the exit code.
 */
export async function followAllSteps(db: RunsDb, runId: string, out: Output): Promise<number> {
  const attemptsStmt = db.prepare(
    `SELECT a.step_id, a.attempt, a.status, a.log_path
     FROM attempts a JOIN steps s ON s.run_id = a.run_id AND s.step_id = a.step_id
     WHERE a.run_id = ? ORDER BY s.position, a.attempt`,
  );
  interface Followed {
    tail: FileTail;
    lines: LinePrefixer;
    /** The attempt had ended before its file was last read: nothing more will come. */
    drained: boolean;
  }
  const followed = new Map<string, Followed>();
  const flushPartials = async (): Promise<void> => {
    for (const f of followed.values()) {
      const rest = f.lines.end();
      if (rest) await out(rest);
    }
  };
  for (;;) {
    const state = runState(db, runId);
    const attempts = attemptsStmt.all(runId) as AttemptRef[];
    for (const a of attempts) {
      const key = `${a.step_id}\0${a.attempt}`;
      let f = followed.get(key);
      if (!f) {
        f = { tail: new FileTail(a.log_path), lines: new LinePrefixer(`[${a.step_id}] `), drained: false };
        followed.set(key, f);
        if (a.attempt > 1) await out(`[${a.step_id}] ==> attempt ${a.attempt} <==\n`);
      }
      if (f.drained) continue;
      const ended = a.status !== 'running';
      for (const chunk of f.tail.readNew()) {
        const text = f.lines.push(chunk);
        if (text) await out(text);
      }
      if (ended) {
        f.drained = true;
        const rest = f.lines.end();
        if (rest) await out(rest);
      }
    }
    if (state === 'ended') {
      await flushPartials();
      return ExitCode.ok;
    }
    if (state === 'engine_gone') {
      await flushPartials();
      return warnEngineGone(db, runId);
    }
    await sleep(POLL_MS);
  }
}

/**
 * Follows one step: prints its log as it grows, from the start of the latest attempt (or of
 * `pinnedAttempt`); without a pinned attempt it goes on with the next attempt's file when a
 * retry starts, under a `==> step (attempt N) <==` line. Stops when the step (or the pinned
 * attempt, or the run) has ended and the file is drained. Returns the exit code.
 *
 * @throws UserError (exit 2) when the pinned attempt never started and no longer can
 */
export async function followStep(
  db: RunsDb,
  runId: string,
  stepId: string,
  pinnedAttempt: number | undefined,
  out: Output,
): Promise<number> {
  let tail: FileTail | null = null;
  let current = 0;
  let lastByte = 0x0a;
  const write = async (chunk: Buffer | string): Promise<void> => {
    if (chunk.length === 0) return;
    lastByte = typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk[chunk.length - 1]!;
    await out(chunk);
  };
  for (;;) {
    const state = runState(db, runId);
    const step = getStep(db, runId, stepId);
    const attempts = attemptsOfStep(db, runId, stepId);
    const stepOver = state !== 'running' || (step !== undefined && isEndedStepStatus(step.status));

    if (tail === null) {
      const a = pinnedAttempt !== undefined ? attempts.find((x) => x.attempt === pinnedAttempt) : attempts.at(-1);
      if (a) {
        tail = new FileTail(a.log_path);
        current = a.attempt;
      } else if (stepOver) {
        if (pinnedAttempt !== undefined) {
          throw new UserError(`step "${stepId}" has no attempt ${pinnedAttempt} (${attemptRange(attempts.length)})`, ExitCode.usage);
        }
        process.stderr.write(`engine: step "${stepId}" has no log: it never started (${step?.status ?? 'unknown'})\n`);
        return state === 'engine_gone' ? warnEngineGone(db, runId) : ExitCode.ok;
      }
    }

    if (tail !== null) {
      for (const chunk of tail.readNew()) await write(chunk);
      const next = pinnedAttempt === undefined ? attempts.find((x) => x.attempt > current) : undefined;
      if (next) {
        // The next attempt started after this one ended, and that was known before the read
        // above: this file is complete.
        if (lastByte !== 0x0a) await write('\n');
        await write(`==> ${stepId} (attempt ${next.attempt}) <==\n`);
        tail = new FileTail(next.log_path);
        current = next.attempt;
        continue;
      }
      const attemptOver = pinnedAttempt !== undefined && attempts.find((x) => x.attempt === current)?.status !== 'running';
      if (stepOver || attemptOver) {
        return state === 'engine_gone' ? warnEngineGone(db, runId) : ExitCode.ok;
      }
    }
    await sleep(POLL_MS);
  }
}

/** `attempts: 1..3`, `1 attempt`, or `it has no attempts`. */
export function attemptRange(count: number): string {
  if (count === 0) return 'it has no attempts';
  return count === 1 ? 'it has attempt 1 only' : `it has attempts 1..${count}`;
}
