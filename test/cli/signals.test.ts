/**
 * Cancelling a run with signals, as Ctrl-C or a service manager would: the built CLI runs a
 * plan with real processes (a step that leaves a grandchild running, and an `all_done` cleanup
 * step), the test sends the signal to the engine process alone, then reads the exit code,
 * events.jsonl, runs.db (read-only) and the state of the step processes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineResult, plan, workspace, type EngineProcess, type Workspace } from '../helpers/cli.js';
import { isProcessGone, readPidFile, waitFor } from '../helpers/processes.js';
import {
  dbEventLines,
  eventsOf,
  onlyRunId,
  readJsonl,
  runRow,
  stepRows,
  withRunsDb,
  type AttemptRow,
  type EngineEvent,
  type RunRow,
  type StepRow,
} from '../helpers/record.js';
import { removeDir } from '../helpers/temp-dirs.js';

/** Writes `$$` (and, with `bg`, the pid of a background `sleep 300`) atomically to pid files. */
const pidTo = (name: string) => `echo $$ > ${name}.tmp && mv ${name}.tmp ${name}.pid`;
const bgPidTo = (name: string) => `echo $! > ${name}.tmp && mv ${name}.tmp ${name}.pid`;

/** lock → work (30 s, leaves a grandchild) → after; unlock (all_done on work) releases the lock. */
function cancelPlan(unlockCommand: string): unknown {
  return plan(
    [
      { id: 'lock', shell: true, command: 'echo held > lock.txt' },
      {
        id: 'work',
        shell: true,
        depends_on: ['lock'],
        // The grandchild's pid file is written before work.pid, so work.pid means both exist.
        command: `sleep 300 & ${bgPidTo('grandchild')}; ${pidTo('work')}; sleep 30`,
      },
      { id: 'after', depends_on: ['work'], command: 'touch', args: ['after-ran.txt'] },
      { id: 'unlock', depends_on: ['work'], trigger_rule: 'all_done', shell: true, command: unlockCommand },
    ],
    { globals: { kill_grace_sec: 2 } },
  );
}

interface Outcome {
  exitCode: number | undefined;
  /** ms from the (last) signal to the engine's exit. */
  exitMs: number;
  all: string;
}

/** Awaits the engine with a generous deadline; on timeout, kills it (it is ours) and fails. */
async function engineExit(proc: EngineProcess, since: number, deadlineMs = 20_000): Promise<Outcome> {
  const r = await engineResult(proc, deadlineMs);
  return { exitCode: r.exitCode, exitMs: Date.now() - since, all: String(r.all) };
}

/** SIGKILLs processes a failed test may have left behind (only pids our steps wrote). */
function killLeftovers(w: Workspace, names: string[]): void {
  for (const name of names) {
    const pid = readPidFile(join(w.dir, `${name}.pid`));
    if (pid !== undefined && !isProcessGone(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

interface Recorded {
  runId: string;
  lines: string[];
  events: EngineEvent[];
  dbEvents: string[];
  run: RunRow;
  steps: Record<string, StepRow>;
  /** attempts rows by step id, in attempt order. */
  attempts: Record<string, AttemptRow[]>;
}

function readRecord(w: Workspace): Recorded {
  const runId = onlyRunId(w.stateDir);
  const { lines, events } = readJsonl(w.stateDir, runId);
  return {
    runId,
    lines,
    events,
    dbEvents: dbEventLines(w, runId),
    run: runRow(w, runId),
    steps: stepRows(w, runId),
    attempts: withRunsDb(w, (db) =>
      (db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY step_id, attempt').all(runId) as AttemptRow[]).reduce<
        Record<string, AttemptRow[]>
      >((acc, a) => ((acc[a.step_id] ??= []).push(a), acc), {}),
    ),
  };
}

const STOP_TREE_MS = 3_000;

// SIGHUP is documented to cancel a run too (README: Ctrl-C, SIGTERM or SIGHUP).
describe.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s during a run', (signal) => {
  let w: Workspace;
  let outcome: Outcome;
  let rec: Recorded;
  let workPid: number;
  let grandchildPid: number;

  beforeAll(async () => {
    w = workspace(`engine-cli-${signal.toLowerCase()}-`);
    w.writePlan(cancelPlan('rm -f lock.txt && echo released > unlocked.txt'));
    const proc = w.engine(['run', 'plan.json']);
    try {
      workPid = await waitFor(() => readPidFile(join(w.dir, 'work.pid')), 'step "work" to be running', { timeoutMs: 15_000 });
      grandchildPid = readPidFile(join(w.dir, 'grandchild.pid'))!;
      const sentAt = Date.now();
      process.kill(proc.pid!, signal);
      outcome = await engineExit(proc, sentAt);
    } finally {
      if (proc.exitCode === null && proc.pid !== undefined && !isProcessGone(proc.pid)) process.kill(proc.pid, 'SIGKILL');
    }
    rec = readRecord(w);
  });
  afterAll(() => {
    if (w) {
      killLeftovers(w, ['work', 'grandchild']);
      removeDir(w.dir);
    }
  });

  it(`makes the engine exit with code 130 within a few seconds of ${signal}`, () => {
    expect(outcome.exitCode, outcome.all).toBe(130);
    expect(outcome.exitMs).toBeLessThan(5_000);
    expect(outcome.all).not.toMatch(/internal error|warning|^\s+at /m);
  });

  it('records the run as cancelled in runs.db and with a run_finished event in events.jsonl', () => {
    expect(rec.run).toMatchObject({ status: 'cancelled', exit_code: 130, finished_at: expect.any(String) });
    expect(rec.run.cancel_requested_at).toEqual(expect.any(String));
    expect(rec.events.at(-1)).toMatchObject({ type: 'run_finished', status: 'cancelled', exit_code: 130, succeeded: 2, cancelled: 2 });
    expect(rec.events.filter((e) => e.type === 'run_cancel_requested')).toEqual([
      expect.objectContaining({ signal, forced: false }),
    ]);
  });

  it('cancels the running step and the step waiting for it', () => {
    expect(rec.steps.work).toMatchObject({ status: 'cancelled', reason: 'run_cancelled', attempts: 1, exit_code: null, signal: 'SIGTERM' });
    expect(rec.attempts.work).toEqual([expect.objectContaining({ attempt: 1, status: 'cancelled', pid: workPid, signal: 'SIGTERM' })]);
    expect(rec.steps.after).toMatchObject({ status: 'cancelled', reason: 'run_cancelled', attempts: 0 });
    expect(rec.steps.lock).toMatchObject({ status: 'succeeded' });
    const workEnd = rec.events.filter((e) => 'step_id' in e && e.step_id === 'work').at(-1);
    expect(workEnd).toMatchObject({ type: 'step_cancelled', reason: 'run_cancelled', attempt: 1 });
    expect(existsSync(join(w.dir, 'after-ran.txt'))).toBe(false);
  });

  it('still runs the all_done cleanup step, which releases the lock', () => {
    expect(rec.steps.unlock).toMatchObject({ status: 'succeeded', attempts: 1, exit_code: 0 });
    expect(readFileSync(join(w.dir, 'unlocked.txt'), 'utf8')).toBe('released\n');
    expect(existsSync(join(w.dir, 'lock.txt'))).toBe(false);
  });

  it("kills the running step's whole process tree, its grandchild included", async () => {
    const started = eventsOf(rec.events, 'step_started', 'work')[0];
    expect(started?.pid).toBe(workPid);
    await waitFor(() => isProcessGone(workPid), `work process ${workPid} to be gone`, { timeoutMs: STOP_TREE_MS });
    await waitFor(() => isProcessGone(grandchildPid), `grandchild ${grandchildPid} to be gone`, { timeoutMs: STOP_TREE_MS });
  });

  it('leaves events.jsonl and the runs.db events table in agreement', () => {
    expect(rec.dbEvents).toEqual(rec.lines);
    expect(rec.run.last_seq).toBe(rec.lines.length);
    expect(rec.events.map((e) => e.seq)).toEqual(rec.lines.map((_, i) => i + 1));
  });
});

describe('SIGINT twice during a run', () => {
  let w: Workspace;
  let outcome: Outcome;
  let rec: Recorded;
  let unlockPid: number;
  let sleeperPid: number;

  beforeAll(async () => {
    w = workspace('engine-cli-sigint-twice-');
    // The cleanup step is slow this time: 30 s, in a child whose pid it records.
    w.writePlan(cancelPlan(`sleep 30 & ${bgPidTo('sleeper')}; ${pidTo('unlock')}; wait; echo released > unlocked.txt`));
    const proc = w.engine(['run', 'plan.json']);
    try {
      await waitFor(() => readPidFile(join(w.dir, 'work.pid')), 'step "work" to be running', { timeoutMs: 15_000 });
      process.kill(proc.pid!, 'SIGINT');
      unlockPid = await waitFor(() => readPidFile(join(w.dir, 'unlock.pid')), 'cleanup step "unlock" to be running', {
        timeoutMs: 15_000,
      });
      sleeperPid = readPidFile(join(w.dir, 'sleeper.pid'))!;
      const sentAt = Date.now();
      process.kill(proc.pid!, 'SIGINT');
      outcome = await engineExit(proc, sentAt);
    } finally {
      if (proc.exitCode === null && proc.pid !== undefined && !isProcessGone(proc.pid)) process.kill(proc.pid, 'SIGKILL');
    }
    rec = readRecord(w);
  });
  afterAll(() => {
    if (w) {
      killLeftovers(w, ['work', 'grandchild', 'unlock', 'sleeper']);
      removeDir(w.dir);
    }
  });

  it('makes the engine exit with code 130 within 5 s of the second SIGINT', () => {
    expect(outcome.exitCode, outcome.all).toBe(130);
    expect(outcome.exitMs).toBeLessThan(5_000);
  });

  it('cancels the running cleanup step too, killing its processes', async () => {
    expect(rec.steps.unlock).toMatchObject({ status: 'cancelled', reason: 'run_cancelled', attempts: 1 });
    expect(rec.attempts.unlock).toEqual([expect.objectContaining({ attempt: 1, status: 'cancelled', pid: unlockPid })]);
    expect(rec.events.filter((e) => 'step_id' in e && e.step_id === 'unlock').at(-1)).toMatchObject({ type: 'step_cancelled', attempt: 1 });
    expect(existsSync(join(w.dir, 'unlocked.txt'))).toBe(false);
    await waitFor(() => isProcessGone(unlockPid), `unlock process ${unlockPid} to be gone`, { timeoutMs: STOP_TREE_MS });
    await waitFor(() => isProcessGone(sleeperPid), `unlock's child ${sleeperPid} to be gone`, { timeoutMs: STOP_TREE_MS });
  });

  it('records both cancel requests, the second one forced', () => {
    expect(eventsOf(rec.events, 'run_cancel_requested').map((e) => [e.signal, e.forced])).toEqual([
      ['SIGINT', false],
      ['SIGINT', true],
    ]);
  });

  it('records run_finished with status cancelled in both events.jsonl and runs.db', () => {
    expect(rec.events.at(-1)).toMatchObject({ type: 'run_finished', status: 'cancelled', exit_code: 130, cancelled: 3, succeeded: 1 });
    expect(rec.run).toMatchObject({ status: 'cancelled', exit_code: 130, steps_cancelled: 3, steps_succeeded: 1 });
    expect(rec.run.finished_at).toBe(rec.events.at(-1)!.ts);
    expect(rec.dbEvents).toEqual(rec.lines);
  });
});
