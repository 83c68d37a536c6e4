/**
 * End to end through the built CLI, what needs real processes: timeouts (killing the whole
 * process tree), retries with real delays and one log file per attempt, spawn errors and
 * secret masking. The rules of on_failure, critical, retries and cancel themselves are tested
 * without processes in test/engine/run-loop.test.ts and test/engine/scheduler.test.ts. The
 * tests read events.jsonl, runs.db (read-only) and files the steps wrote.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { eventually, isProcessGone, readPids } from '../helpers/processes.js';
import {
  attemptRows,
  dumpRunsDbText,
  eventsOf,
  logFiles,
  oneEvent,
  readEvents,
  readEventsText,
  readLog,
  stepRows,
  tsMs,
  type EngineEvent,
} from '../helpers/record.js';
import { recordedTimes, runRecorderPlan, type RecorderStep } from '../helpers/step-recorder.js';

type Result = Awaited<ReturnType<Workspace['engine']>>;

const workspace = workspacesForThisFile();

/** Runs the plan built from `steps` in a fresh workspace (see runRecorderPlan). */
const runPlan = (build: (rec: RecorderStep, ws: Workspace) => unknown[], extra: Record<string, unknown> = {}, cliArgs: string[] = []) =>
  runRecorderPlan(workspace(), build, extra, cliArgs);

/** For each retry of a step: ms from the engine's step_failed of attempt n to its step_started of n + 1. */
function retryGaps(events: EngineEvent[], stepId: string): number[] {
  const failed = eventsOf(events, 'step_failed', stepId);
  const started = eventsOf(events, 'step_started', stepId);
  return started.slice(1).map((s) => tsMs(s) - tsMs(failed.find((f) => f.attempt === s.attempt - 1)!));
}

/** A stack-trace line such as "    at foo (/x/y.js:1:2)". */
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

describe('timeouts and process trees', () => {
  let ws: Workspace;
  let result: Result;
  let wallMs: number;
  beforeAll(async () => {
    ({ ws, result, wallMs } = await runPlan(
      () => [
        {
          // the shell and two grandchildren, all recorded; they would live 300 s
          id: 'tree',
          command: 'echo $$ > tree.pids; sleep 300 & echo $! >> tree.pids; sleep 300 & echo $! >> tree.pids; wait',
          shell: true,
          timeout_sec: 1,
          critical: false,
        },
        {
          // ignores SIGTERM (and so do its children, which inherit the ignored disposition)
          id: 'stubborn',
          command: 'trap "" TERM; echo $$ > stubborn.pids; sleep 300 & echo $! >> stubborn.pids; wait; sleep 300',
          shell: true,
          timeout_sec: 1,
          critical: false,
        },
        {
          // exits at once, leaving a background process behind in its process group
          id: 'leaver',
          command: 'sleep 300 & echo $! > leaver.pids; exit 0',
          shell: true,
        },
      ],
      { globals: { kill_grace_sec: 0.5, max_concurrency: 3 } },
    ));
  });

  it('fails the step with reason timeout', () => {
    const events = readEvents(ws);
    for (const id of ['tree', 'stubborn']) {
      const f = oneEvent(events, 'step_failed', id);
      expect(f.reason).toBe('timeout');
      expect(f.exit_code).toBeNull();
      expect(f.error).toContain('timed out');
      expect(f.duration_ms).toBeGreaterThanOrEqual(950);
    }
    expect(stepRows(ws).tree).toMatchObject({ status: 'failed', reason: 'timeout' });
  });

  it('finishes the run far sooner than the 300 s the processes would have slept', () => {
    expect(result.exitCode).toBe(0); // both steps are non-critical
    expect(wallMs).toBeLessThan(15_000);
  });

  it('kills the whole process tree of the timed-out step, grandchildren included', async () => {
    const pids = readPids(join(ws.dir, 'tree.pids'));
    expect(pids).toHaveLength(3);
    expect(await eventually(() => pids.every((p) => isProcessGone(p)), 1000)).toBe(true);
  });

  it('kills what a step left running in its process group when its main process exits', async () => {
    expect(oneEvent(readEvents(ws), 'step_succeeded', 'leaver').exit_code).toBe(0);
    const pids = readPids(join(ws.dir, 'leaver.pids'));
    expect(pids).toHaveLength(1);
    expect(await eventually(() => isProcessGone(pids[0]!), 1000)).toBe(true);
  });

  it('kills a step that ignores SIGTERM with SIGKILL after kill_grace_sec', async () => {
    const f = oneEvent(readEvents(ws), 'step_failed', 'stubborn');
    expect(f.signal).toBe('SIGKILL');
    expect(f.duration_ms).toBeGreaterThanOrEqual(1000 + 450); // timeout + grace
    expect(f.duration_ms).toBeLessThan(5 * 1500);
    const pids = readPids(join(ws.dir, 'stubborn.pids'));
    expect(pids).toHaveLength(2);
    expect(await eventually(() => pids.every((p) => isProcessGone(p)), 1000)).toBe(true);
  });
});

describe('retries', () => {
  let ws: Workspace;
  let result: Result;
  beforeAll(async () => {
    ({ ws, result } = await runPlan(
      (rec) => [
        // fails attempts 1 and 2, succeeds on 3
        rec('flaky', 50, { failBelowAttempt: 3, retries: 3, retry_delay_sec: 0.2, retry_backoff: 2 }),
        // fails attempts 1-3, succeeds on 4; 0.2 s × 10^n capped at 0.3 s
        rec('capped', 20, {
          failBelowAttempt: 4,
          retries: 3,
          retry_delay_sec: 0.2,
          retry_backoff: 10,
          retry_max_delay_sec: 0.3,
        }),
        // never succeeds
        rec('always', 20, { failBelowAttempt: 99, retries: 2, retry_delay_sec: 0.05, critical: false }),
        // times out on attempt 1, succeeds at once on attempt 2
        { id: 'slowpoke', command: 'if [ "$ENGINE_ATTEMPT" -lt 2 ]; then sleep 30; fi', shell: true, timeout_sec: 0.3, retries: 1 },
      ],
      { globals: { max_concurrency: 4, kill_grace_sec: 0.5 } },
    ));
  });

  it('succeeds on the third attempt after two failed attempts', () => {
    expect(result.exitCode).toBe(0);
    const events = readEvents(ws);
    expect(eventsOf(events, 'step_started', 'flaky').map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(eventsOf(events, 'step_failed', 'flaky').map((e) => [e.attempt, e.will_retry, e.reason])).toEqual([
      [1, true, 'exit_code'],
      [2, true, 'exit_code'],
    ]);
    expect(oneEvent(events, 'step_succeeded', 'flaky').attempt).toBe(3);
    expect(stepRows(ws).flaky).toMatchObject({ status: 'succeeded', attempts: 3, exit_code: 0 });
    expect(attemptRows(ws, 'flaky').map((a) => [a.attempt, a.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'succeeded'],
    ]);
  });

  it('announces each retry with the backoff delay: 200 ms, then 400 ms', () => {
    const retrying = eventsOf(readEvents(ws), 'step_retrying', 'flaky');
    expect(retrying.map((e) => [e.attempt, e.delay_ms, e.reason])).toEqual([
      [2, 200, 'exit_code'],
      [3, 400, 'exit_code'],
    ]);
  });

  it('waits at least the backoff delay between the end of an attempt and the start of the next', () => {
    const t = recordedTimes(ws).flaky!;
    expect(t.map((i) => i.attempt)).toEqual([1, 2, 3]);
    // as the step processes saw it (this includes process exit and start-up, so no upper bound)
    const gaps = [t[1]!.start - t[0]!.end, t[2]!.start - t[1]!.end];
    expect(gaps[0]).toBeGreaterThanOrEqual(180);
    expect(gaps[1]).toBeGreaterThanOrEqual(360);
    // as the engine recorded it: from step_failed to the next step_started
    const engineGaps = retryGaps(readEvents(ws), 'flaky');
    expect(engineGaps[0]).toBeGreaterThanOrEqual(180);
    expect(engineGaps[1]).toBeGreaterThanOrEqual(360);
    expect(engineGaps[0]).toBeLessThan(5 * 200);
    expect(engineGaps[1]).toBeLessThan(5 * 400);
  });

  it('writes one log file per attempt', () => {
    expect(logFiles(ws).filter((f) => f.startsWith('flaky.'))).toEqual(['flaky.1.log', 'flaky.2.log', 'flaky.3.log']);
    for (const n of [1, 2, 3]) {
      expect(readLog(ws, 'flaky', n)).toContain(`step flaky attempt ${n} exiting ${n < 3 ? 1 : 0}`);
    }
    expect(attemptRows(ws, 'flaky').map((a) => a.log_path.split('/').at(-1))).toEqual(['flaky.1.log', 'flaky.2.log', 'flaky.3.log']);
  });

  it('caps the delay at retry_max_delay_sec', () => {
    const retrying = eventsOf(readEvents(ws), 'step_retrying', 'capped');
    expect(retrying.map((e) => e.delay_ms)).toEqual([200, 300, 300]);
    const t = recordedTimes(ws).capped!;
    expect(t).toHaveLength(4);
    const gaps = [1, 2, 3].map((i) => t[i]!.start - t[i - 1]!.end);
    expect(gaps[0]).toBeGreaterThanOrEqual(180);
    expect(gaps[1]).toBeGreaterThanOrEqual(270);
    expect(gaps[2]).toBeGreaterThanOrEqual(270);
    // uncapped, the second and third delays would be 2 s and 20 s
    const engineGaps = retryGaps(readEvents(ws), 'capped');
    expect(engineGaps[1]).toBeLessThan(5 * 300);
    expect(engineGaps[2]).toBeLessThan(5 * 300);
    expect(oneEvent(readEvents(ws), 'step_succeeded', 'capped').attempt).toBe(4);
  });

  it('retries an attempt that timed out', () => {
    const events = readEvents(ws);
    expect(eventsOf(events, 'step_failed', 'slowpoke').map((e) => [e.attempt, e.reason, e.will_retry])).toEqual([[1, 'timeout', true]]);
    expect(oneEvent(events, 'step_retrying', 'slowpoke')).toMatchObject({ attempt: 2, reason: 'timeout', delay_ms: 0 });
    expect(oneEvent(events, 'step_succeeded', 'slowpoke').attempt).toBe(2);
  });

  it('ends a step that always fails as failed after retries + 1 attempts', () => {
    const events = readEvents(ws);
    expect(eventsOf(events, 'step_started', 'always')).toHaveLength(3);
    expect(eventsOf(events, 'step_failed', 'always').map((e) => e.will_retry)).toEqual([true, true, false]);
    expect(eventsOf(events, 'step_retrying', 'always')).toHaveLength(2);
    expect(stepRows(ws).always).toMatchObject({ status: 'failed', attempts: 3, reason: 'exit_code', exit_code: 1 });
    expect(attemptRows(ws, 'always')).toHaveLength(3);
    expect(recordedTimes(ws).always).toHaveLength(3);
  });
});

describe('spawn errors', () => {
  let ws: Workspace;
  let result: Result;
  beforeAll(async () => {
    ({ ws, result } = await runPlan(
      (_rec, w) => {
        writeFileSync(join(w.dir, 'not-executable.sh'), '#!/bin/sh\necho should not run\n');
        chmodSync(join(w.dir, 'not-executable.sh'), 0o644);
        return [
          { id: 'missing', command: 'engine-test-no-such-command', retries: 3, retry_delay_sec: 0.05, on_failure: 'skip_dependents' },
          { id: 'noexec', command: './not-executable.sh', retries: 3, retry_delay_sec: 0.05, on_failure: 'skip_dependents' },
        ];
      },
      { globals: { max_concurrency: 4 } },
    ));
  });

  it('fails a command that is not on PATH at once with reason spawn_error and "command not found"', () => {
    const events = readEvents(ws);
    const f = oneEvent(events, 'step_failed', 'missing');
    expect(f).toMatchObject({ reason: 'spawn_error', exit_code: null, signal: null, will_retry: false });
    expect(f.error).toBe('command not found: engine-test-no-such-command');
    expect(f.duration_ms).toBeLessThan(2000);
    expect(oneEvent(events, 'step_started', 'missing').pid).toBeNull();
    expect(stepRows(ws).missing).toMatchObject({ status: 'failed', reason: 'spawn_error' });
  });

  it('fails a file that is not executable at once with reason spawn_error and "permission denied"', () => {
    const f = oneEvent(readEvents(ws), 'step_failed', 'noexec');
    expect(f).toMatchObject({ reason: 'spawn_error', exit_code: null, will_retry: false });
    expect(f.error).toMatch(/^permission denied.*not-executable\.sh/);
    expect(f.duration_ms).toBeLessThan(2000);
  });

  it('does not retry a step that could not be started, even with retries', () => {
    const events = readEvents(ws);
    for (const id of ['missing', 'noexec']) {
      expect(eventsOf(events, 'step_started', id)).toHaveLength(1);
      expect(eventsOf(events, 'step_retrying', id)).toHaveLength(0);
      expect(attemptRows(ws, id).map((a) => [a.status, a.reason, a.pid])).toEqual([['failed', 'spawn_error', null]]);
      expect(stepRows(ws)[id]!.attempts).toBe(1);
    }
  });

  it('exits 1 and prints the cause without a stack trace', () => {
    expect(result.exitCode).toBe(1);
    expect(result.all).toContain('command not found: engine-test-no-such-command');
    expect(result.all).toContain('permission denied');
    expect(result.all).not.toMatch(STACK_LINE);
    expect(result.all).not.toContain('internal error');
  });
});

describe('secret variables', () => {
  const SECRET = 'S3cretV4lue-q8Zk2';
  let ws: Workspace;
  let result: Result;
  beforeAll(async () => {
    ws = workspace();
    mkdirSync(join(ws.dir, `dir-${SECRET}`));
    const path = ws.writePlan(
      plan(
        [
          {
            // as an argument (no shell)
            id: 'by_arg',
            command: process.execPath,
            args: ['-e', 'require("fs").writeFileSync("got-arg.txt", process.argv[1]); console.log("token", process.argv[1])', '${TOKEN}'],
          },
          // in the environment, and in the cwd
          { id: 'by_env', command: 'printf %s "$TOK" > ../got-env.txt', shell: true, env: { TOK: '${TOKEN}' }, cwd: 'dir-${TOKEN}' },
          // in a shell script line
          { id: 'by_script', command: 'printf %s "${TOKEN}" > got-script.txt', shell: true },
          // a failing step that prints it: its log tail is shown in the console summary
          { id: 'leaky', command: 'sh', args: ['-c', 'echo "the token is $1"; exit 3', 'sh', '${TOKEN}'], critical: false },
          // a spawn error whose message contains it
          { id: 'named', command: 'no-such-${TOKEN}', critical: false },
        ],
        { vars: { TOKEN: { secret: true, required: true }, OTHER: { default: 'visible' } } },
      ),
    );
    result = await ws.engine(['run', path, '--var', `TOKEN=${SECRET}`]);
  });

  it('passes the real value to the steps through args, env, cwd and shell scripts', () => {
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(ws.dir, 'got-arg.txt'), 'utf8')).toBe(SECRET);
    expect(readFileSync(join(ws.dir, 'got-env.txt'), 'utf8')).toBe(SECRET);
    expect(readFileSync(join(ws.dir, 'got-script.txt'), 'utf8')).toBe(SECRET);
    // the step printed it: its log has it redacted (test/cli/secrets.test.ts has more)
    expect(readLog(ws, 'by_arg', 1)).toContain('token ***');
    expect(readLog(ws, 'leaky', 1)).toContain('the token is ***');
  });

  it('never writes the value to events.jsonl, where it appears as ***', () => {
    const text = readEventsText(ws);
    expect(text).not.toContain(SECRET);
    const events = readEvents(ws);
    expect(oneEvent(events, 'run_started').vars).toMatchObject({ TOKEN: '***', OTHER: 'visible' });
    expect(oneEvent(events, 'step_started', 'by_arg').args.at(-1)).toBe('***');
    expect(oneEvent(events, 'step_started', 'by_env').cwd).toMatch(/dir-\*\*\*$/);
    expect(oneEvent(events, 'step_started', 'by_script').command).toBe('printf %s "***" > got-script.txt');
    expect(oneEvent(events, 'step_failed', 'named').error).toBe('command not found: no-such-***');
  });

  it('never writes the value to any table of runs.db', () => {
    const cells = dumpRunsDbText(ws);
    expect(cells.length).toBeGreaterThan(0);
    expect(cells.filter((c) => c.includes(SECRET))).toEqual([]);
    expect(cells.some((c) => c.includes('***'))).toBe(true);
    // nor anywhere in the database files' bytes (WAL included)
    for (const f of readdirSync(ws.stateDir).filter((n) => n.startsWith('runs.db'))) {
      expect(readFileSync(join(ws.stateDir, f)).includes(SECRET), f).toBe(false);
    }
  });

  it('never prints the value on the console, not even in the failed step\'s log tail', () => {
    expect(result.all).not.toContain(SECRET);
    expect(result.all).toContain('no-such-***');
    // the summary shows the last lines of the root-cause step's log, which holds the value
    expect(result.all).toMatch(/^\s+\| .*\*\*\*/m);
  });
});

describe('the log tail in the summary', () => {
  it('shows the end of a log that is one 16,000-byte line instead of calling it empty', async () => {
    const ws = workspace();
    const path = ws.writePlan(plan([{ id: 'long', command: 'sh', args: ['-c', `printf '%16000s' '' | tr ' ' x; printf 'END'; exit 1`] }]));
    const result = await ws.engine(['run', path]);
    expect(result.exitCode).toBe(1);
    expect(result.all).not.toContain('is empty');
    expect(result.all).toMatch(/\| …x+END$/m);
  });
});
