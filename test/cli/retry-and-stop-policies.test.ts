/**
 * Issue 14's retry and stopping policies through the built CLI, with real processes: retry_on
 * filters, full jitter, deadlines, idle timeouts, kill_signal, the run timeout, fail_fast and
 * shell interpreters with pipefail.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { eventsOf, finalStatuses, oneEvent, readEvents } from '../helpers/record.js';

const workspace = workspacesForThisFile('engine-policies14-');

type Result = Awaited<ReturnType<Workspace['engine']>>;

async function runSteps(steps: unknown[], extra: Record<string, unknown> = {}): Promise<{ ws: Workspace; result: Result }> {
  const ws = workspace();
  const result = await ws.engine(['run', ws.writePlan(plan(steps, extra))]);
  return { ws, result };
}

/** A step that exits with `code` while its attempt is below `okFrom`, then 0. */
const exitsUntil = (id: string, code: number, okFrom: number, extra: Record<string, unknown> = {}) => ({
  id,
  command: 'sh',
  args: ['-c', `[ "$ENGINE_ATTEMPT" -ge ${okFrom} ] || exit ${code}`],
  ...extra,
});

describe('retry_on and retry_jitter', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ({ ws } = await runSteps(
      [
        exitsUntil('tempfail', 75, 3, { retries: 3, retry_on: ['exit:75', 'timeout'] }),
        exitsUntil('hardfail', 1, 3, { retries: 3, retry_on: ['exit:75'], critical: false }),
        exitsUntil('ranged', 7, 2, { retries: 1, retry_on: ['exit:5-9'] }),
        exitsUntil('jittery', 1, 99, { retries: 6, retry_delay_sec: 0.2, retry_jitter: 'full', critical: false }),
      ],
      { globals: { max_concurrency: 4 } },
    ));
  });

  it('retries exit code 75, which retry_on lists, until the step succeeds', () => {
    const events = readEvents(ws);
    expect(eventsOf(events, 'step_started', 'tempfail').map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(finalStatuses(events).tempfail).toBe('succeeded');
  });

  it('does not retry exit code 1, which it does not list, and says why in the event', () => {
    const events = readEvents(ws);
    expect(eventsOf(events, 'step_started', 'hardfail')).toHaveLength(1);
    expect(oneEvent(events, 'step_failed', 'hardfail')).toMatchObject({ will_retry: false, not_retried: 'exit code 1 is not in retry_on' });
  });

  it('matches a range of exit codes', () => {
    expect(eventsOf(readEvents(ws), 'step_started', 'ranged').map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('draws full-jitter delays within [0, the computed delay], not all equal', () => {
    const delays = eventsOf(readEvents(ws), 'step_retrying', 'jittery').map((e) => e.delay_ms);
    expect(delays).toHaveLength(6);
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(200);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });
});

describe('deadline_sec', () => {
  it('stops a retry loop with attempts left once the step has used its budget', async () => {
    const { ws, result } = await runSteps([{ id: 'slowfail', command: 'sh', args: ['-c', 'sleep 0.4; exit 1'], retries: 20, retry_delay_sec: 0.3, deadline_sec: 1.5 }]);
    expect(result.exitCode).toBe(1);
    const events = readEvents(ws);
    const started = eventsOf(events, 'step_started', 'slowfail');
    expect(started.length).toBeGreaterThan(1);
    expect(started.length).toBeLessThan(5);
    const last = eventsOf(events, 'step_failed', 'slowfail').at(-1)!;
    expect(last.will_retry).toBe(false);
    expect(['deadline', 'exit_code']).toContain(last.reason);
    if (last.reason === 'exit_code') expect(last.not_retried).toBe("the next attempt would start after the step's deadline");
    const total = last.ended_at_ms - started[0]!.started_at_ms;
    expect(total).toBeLessThan(1500 + 1000);
  });

  it('kills the running attempt when the deadline is reached (reason deadline)', async () => {
    const { ws } = await runSteps([{ id: 'hang', command: 'sleep', args: ['30'], retries: 3, deadline_sec: 0.5, timeout_sec: 20 }]);
    const failed = eventsOf(readEvents(ws), 'step_failed', 'hang');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ reason: 'deadline', will_retry: false, not_retried: "the step's deadline was reached" });
    expect(failed[0]!.duration_ms).toBeLessThan(5000);
  });
});

describe('idle_timeout_sec', () => {
  it('kills a step that writes nothing while a chatty step of the same length survives', async () => {
    const { ws } = await runSteps(
      [
        { id: 'silent', command: 'sh', args: ['-c', 'sleep 2'], idle_timeout_sec: 0.6, critical: false },
        { id: 'chatty', command: 'sh', args: ['-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do echo tick $i; sleep 0.2; done'], idle_timeout_sec: 0.6 },
      ],
      { globals: { max_concurrency: 2 } },
    );
    const events = readEvents(ws);
    const silent = oneEvent(events, 'step_failed', 'silent');
    expect(silent).toMatchObject({ reason: 'idle_timeout' });
    expect(silent.duration_ms).toBeGreaterThanOrEqual(550);
    expect(silent.duration_ms).toBeLessThan(1900);
    expect(finalStatuses(events).chatty).toBe('succeeded');
  });
});

describe('kill_signal and kill_grace_sec', () => {
  it('sends the step its kill_signal (SIGINT) on timeout, and SIGKILL only after its grace', async () => {
    const { ws } = await runSteps([
      {
        id: 'polite',
        command: 'sh',
        args: ['-c', `trap 'echo got INT > got.txt; exit 0' INT; trap 'echo got TERM > got.txt; exit 0' TERM; sleep 30 & wait`],
        timeout_sec: 0.5,
        kill_signal: 'SIGINT',
        kill_grace_sec: 3,
        critical: false,
      },
    ]);
    expect(readFileSync(join(ws.dir, 'got.txt'), 'utf8')).toBe('got INT\n');
    expect(oneEvent(readEvents(ws), 'step_failed', 'polite').reason).toBe('timeout');
  });
});

describe('globals.timeout_sec', () => {
  it('cancels the run when reached, still runs all_done cleanup, ends failed with reason run_timeout and exits 1', async () => {
    const { ws, result } = await runSteps(
      [
        { id: 'long', command: 'sleep', args: ['30'] },
        { id: 'next', command: 'true', depends_on: ['long'] },
        { id: 'cleanup', command: 'touch', args: ['cleaned'], depends_on: ['next'], trigger_rule: 'all_done' },
      ],
      { globals: { timeout_sec: 0.8 } },
    );
    expect(result.exitCode).toBe(1);
    const events = readEvents(ws);
    expect(oneEvent(events, 'run_cancel_requested')).toMatchObject({ source: 'run_timeout' });
    expect(oneEvent(events, 'run_finished')).toMatchObject({ status: 'failed', exit_code: 1, reason: 'run_timeout' });
    expect(finalStatuses(events)).toMatchObject({ long: 'cancelled', next: 'cancelled', cleanup: 'succeeded' });
    expect(existsSync(join(ws.dir, 'cleaned'))).toBe(true);
  });
});

describe('globals.fail_fast', () => {
  it('stops a running sibling when a critical step aborts the run, then runs cleanup', async () => {
    const { ws, result } = await runSteps(
      [
        { id: 'bad', command: 'sh', args: ['-c', 'sleep 0.2; exit 1'] },
        { id: 'sibling', command: 'sleep', args: ['30'] },
        { id: 'cleanup', command: 'true', depends_on: ['bad', 'sibling'], trigger_rule: 'all_done' },
      ],
      { globals: { fail_fast: true, max_concurrency: 3 } },
    );
    expect(result.exitCode).toBe(1);
    const events = readEvents(ws);
    const stopped = oneEvent(events, 'step_cancelled', 'sibling');
    expect(stopped).toMatchObject({ reason: 'abort', upstream: 'bad', attempt: 1 });
    expect(stopped.duration_ms).toBeLessThan(10_000);
    expect(finalStatuses(events).cleanup).toBe('succeeded');
  });

  it('without fail_fast, lets the running sibling finish', async () => {
    const { ws } = await runSteps(
      [
        { id: 'bad', command: 'sh', args: ['-c', 'exit 1'] },
        { id: 'sibling', command: 'sleep', args: ['0.5'] },
      ],
      { globals: { max_concurrency: 2 } },
    );
    expect(finalStatuses(readEvents(ws)).sibling).toBe('succeeded');
  });
});

describe('shell', () => {
  it('"shell": "bash" fails the step when a stage of a pipeline fails; "shell": true does not', async () => {
    const { ws } = await runSteps(
      [
        { id: 'strict', command: 'false | cat', shell: 'bash', critical: false },
        { id: 'lax', command: 'false | cat', shell: true },
      ],
      { globals: { max_concurrency: 2 } },
    );
    const statuses = finalStatuses(readEvents(ws));
    expect(statuses).toEqual({ strict: 'failed', lax: 'succeeded' });
  });
});
