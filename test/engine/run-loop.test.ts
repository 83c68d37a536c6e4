/**
 * The run loop (src/engine/run-loop.ts) driven through fake ports: no processes, a manual
 * clock. What a policy does with real processes (trees, timeouts, signals) is tested through
 * the CLI in test/cli/policies.test.ts; here are the rules of the loop itself.
 */
import { describe, expect, it } from 'vitest';
import { fakeRun, settle } from '../helpers/fake-ports.js';
import { resolvedPlan, type StepSpec } from '../helpers/resolved-steps.js';

function run(specs: StepSpec[], extra: Parameters<typeof resolvedPlan>[1] = {}, opts: Parameters<typeof fakeRun>[1] = {}) {
  const f = fakeRun(resolvedPlan(specs, extra), opts);
  const done = f.loop.start();
  return { ...f, done };
}

const retry = (retries: number, delayMs: number, backoff = 1, maxDelayMs = Infinity) => ({ retries, delayMs, backoff, maxDelayMs, on: null, jitter: 'none' as const, deadlineMs: null });

describe('the run loop', () => {
  it('starts a step only after its dependencies succeeded, each step once, and finishes succeeded', async () => {
    const r = run([{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['a'] }, { id: 'd', deps: ['b', 'c'] }]);
    await settle();
    expect(r.attempts.startOrder).toEqual(['a#1']);
    r.attempts.last('a').end({ outcome: 'succeeded' });
    await settle();
    expect(r.attempts.startOrder).toEqual(['a#1', 'b#1', 'c#1']);
    r.attempts.last('b').end({ outcome: 'succeeded' });
    await settle();
    expect(r.attempts.startOrder).toHaveLength(3);
    r.attempts.last('c').end({ outcome: 'succeeded' });
    await settle();
    r.attempts.last('d').end({ outcome: 'succeeded' });
    const finished = await r.done;
    expect(finished).toMatchObject({ type: 'run_finished', status: 'succeeded', exit_code: 0, succeeded: 4, failed: 0, skipped: 0, cancelled: 0 });
    expect(r.log.events.map((e) => e.seq)).toEqual(r.log.events.map((_, i) => i + 1));
  });

  it('records each start with its log path, pid, ready and start times, and the step environment', async () => {
    const r = run([{ id: 'a', env: { X: '1' } }]);
    await settle();
    const a = r.attempts.last('a');
    expect(a.req).toMatchObject({ logPath: '/logs/a.1.log', attempt: 1 });
    expect(a.req.env).toMatchObject({ PATH: '/bin', X: '1', ENGINE_RUN_ID: 'run-1', ENGINE_STEP_ID: 'a', ENGINE_ATTEMPT: '1' });
    const started = r.log.of('step_started', 'a')[0]!;
    expect(started).toMatchObject({ pid: a.pid, log_path: '/logs/a.1.log', attempt: 1 });
    expect(started.ready_at_ms).toBeLessThanOrEqual(started.started_at_ms);
    a.end({ outcome: 'succeeded' });
    await r.done;
  });

  it('never runs more attempts at once than max_concurrency, and starts waiting steps in the order they became ready', async () => {
    const r = run(Array.from({ length: 6 }, (_, i) => ({ id: `s${i}` })), { maxConcurrency: 2 });
    await settle();
    expect(r.attempts.startOrder).toEqual(['s0#1', 's1#1']);
    r.attempts.last('s1').end({ outcome: 'succeeded' });
    await settle();
    expect(r.attempts.startOrder).toEqual(['s0#1', 's1#1', 's2#1']);
    r.attempts.last('s0').end({ outcome: 'succeeded' });
    r.attempts.last('s2').end({ outcome: 'succeeded' });
    await settle();
    expect(r.attempts.startOrder).toEqual(['s0#1', 's1#1', 's2#1', 's3#1', 's4#1']);
    r.attempts.last('s3').end({ outcome: 'succeeded' });
    r.attempts.last('s4').end({ outcome: 'succeeded' });
    await settle();
    r.attempts.last('s5').end({ outcome: 'succeeded' });
    expect((await r.done).succeeded).toBe(6);
  });

  it('masks secret values in the command, args and cwd it records, while the attempt gets the real ones', async () => {
    const r = run([{ id: 'a', command: 'deploy', args: ['--token=s3cret'], cwd: '/tmp/s3cret' }], { vars: { TOKEN: 's3cret' }, secretNames: ['TOKEN'] });
    await settle();
    expect(r.attempts.last('a').req.args).toEqual(['--token=s3cret']);
    expect(r.log.of('step_started', 'a')[0]).toMatchObject({ args: ['--token=***'], cwd: '/tmp/***' });
    expect(r.log.of('run_started')[0]!.vars).toEqual({ TOKEN: '***' });
    r.attempts.last('a').end({ outcome: 'failed', reason: 'exit_code', error: 'it printed s3cret' });
    await r.done;
    expect(r.log.of('step_failed', 'a')[0]!.error).toBe('it printed ***');
  });
});

describe('on_failure: abort', () => {
  it('cancels pending steps naming the failed step, lets a running one finish, and still runs all_done and one_failed steps', async () => {
    const r = run([
      { id: 'slow' },
      { id: 'bad' },
      { id: 'after_bad', deps: ['bad'] },
      { id: 'after_slow', deps: ['slow'] },
      { id: 'cleanup', deps: ['slow', 'after_slow'], triggerRule: 'all_done' },
      { id: 'alert', deps: ['bad'], triggerRule: 'one_failed' },
    ]);
    await settle();
    r.attempts.last('bad').end({ outcome: 'failed', reason: 'exit_code' });
    await settle();
    for (const id of ['after_bad', 'after_slow']) {
      expect(r.log.of('step_cancelled', id)[0]).toMatchObject({ reason: 'abort', upstream: 'bad', attempt: null });
      expect(r.log.of('step_cancelled', id)[0]!.detail).toContain('"bad"');
    }
    expect(r.attempts.last('slow').cancels).toEqual([]);
    expect(r.attempts.of('cleanup')).toHaveLength(0); // its dependency slow still runs
    r.attempts.last('alert').end({ outcome: 'succeeded' });
    r.attempts.last('slow').end({ outcome: 'succeeded' });
    await settle();
    r.attempts.last('cleanup').end({ outcome: 'succeeded' });
    expect(await r.done).toMatchObject({ status: 'failed', exit_code: 1, succeeded: 3, failed: 1, cancelled: 2, skipped: 0 });
  });
});

describe('on_failure: skip_dependents', () => {
  it('skips the transitive dependents of the failed step while an independent branch goes on', async () => {
    const r = run([
      { id: 'bad', onFailure: 'skip_dependents' },
      { id: 'child', deps: ['bad'] },
      { id: 'grandchild', deps: ['child'] },
      { id: 'other' },
      { id: 'other_next', deps: ['other'] },
    ]);
    await settle();
    r.attempts.last('bad').end({ outcome: 'failed', reason: 'exit_code' });
    await settle();
    expect(r.log.of('step_skipped', 'child')[0]).toMatchObject({ reason: 'trigger_rule', upstream: 'bad' });
    expect(r.log.of('step_skipped', 'grandchild')[0]).toMatchObject({ reason: 'trigger_rule', upstream: 'child' });
    r.attempts.last('other').end({ outcome: 'succeeded' });
    await settle();
    r.attempts.last('other_next').end({ outcome: 'succeeded' });
    expect(await r.done).toMatchObject({ status: 'failed', failed: 1, skipped: 2, succeeded: 2 });
    expect(r.log.of('step_cancelled')).toHaveLength(0);
  });
});

describe('on_failure: continue and critical: false', () => {
  it('lets dependents of a continue failure run, and still fails the run when the step is critical', async () => {
    const r = run([{ id: 'bad', onFailure: 'continue' }, { id: 'dependent', deps: ['bad'] }]);
    await settle();
    r.attempts.last('bad').end({ outcome: 'failed', reason: 'exit_code' });
    await settle();
    r.attempts.last('dependent').end({ outcome: 'succeeded' });
    expect(await r.done).toMatchObject({ status: 'failed', exit_code: 1, failed: 1, succeeded: 1 });
    expect(r.log.of('step_skipped')).toHaveLength(0);
  });

  it('succeeds with exit code 0 when only a non-critical step failed, aborting nothing', async () => {
    const r = run([{ id: 'optional', critical: false }, { id: 'main' }, { id: 'main_next', deps: ['main'] }]);
    await settle();
    r.attempts.last('optional').end({ outcome: 'failed', reason: 'exit_code' });
    r.attempts.last('main').end({ outcome: 'succeeded' });
    await settle();
    r.attempts.last('main_next').end({ outcome: 'succeeded' });
    expect(await r.done).toMatchObject({ status: 'succeeded', exit_code: 0, failed: 1, succeeded: 2 });
  });
});

describe('retries', () => {
  it('waits the backoff delay (200 ms, then 400 ms) before each next attempt, then succeeds', async () => {
    const r = run([{ id: 'flaky', retry: retry(3, 200, 2) }]);
    await settle();
    r.attempts.last('flaky').end({ outcome: 'failed', reason: 'exit_code' });
    await settle();
    expect(r.log.of('step_retrying', 'flaky').map((e) => [e.attempt, e.delay_ms])).toEqual([[2, 200]]);
    await r.clock.advance(199);
    expect(r.attempts.of('flaky')).toHaveLength(1);
    await r.clock.advance(1);
    expect(r.attempts.of('flaky')).toHaveLength(2);
    r.attempts.last('flaky').end({ outcome: 'failed', reason: 'timeout' });
    await settle();
    expect(r.log.of('step_retrying', 'flaky').map((e) => [e.attempt, e.delay_ms, e.reason])).toEqual([
      [2, 200, 'exit_code'],
      [3, 400, 'timeout'],
    ]);
    await r.clock.advance(400);
    expect(r.attempts.last('flaky').req.attempt).toBe(3);
    expect(r.attempts.last('flaky').req.env.ENGINE_ATTEMPT).toBe('3');
    expect(r.attempts.last('flaky').req.logPath).toBe('/logs/flaky.3.log');
    r.attempts.last('flaky').end({ outcome: 'succeeded' });
    expect(await r.done).toMatchObject({ status: 'succeeded' });
    expect(r.log.of('step_failed', 'flaky').map((e) => [e.attempt, e.will_retry])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('caps the delay at retry_max_delay_sec', async () => {
    const r = run([{ id: 'capped', retry: retry(3, 200, 10, 300) }]);
    for (let n = 1; n <= 3; n++) {
      await settle();
      r.attempts.last('capped').end({ outcome: 'failed', reason: 'exit_code' });
      await settle();
      await r.clock.advance(300);
    }
    expect(r.log.of('step_retrying', 'capped').map((e) => e.delay_ms)).toEqual([200, 300, 300]);
    r.attempts.last('capped').end({ outcome: 'succeeded' });
    await r.done;
  });

  it('ends a step that always fails as failed after retries + 1 attempts', async () => {
    const r = run([{ id: 'always', retry: retry(2, 50) }]);
    for (let n = 1; n <= 3; n++) {
      await settle();
      r.attempts.last('always').end({ outcome: 'failed', reason: 'exit_code' });
      await settle();
      await r.clock.advance(50);
    }
    expect(await r.done).toMatchObject({ status: 'failed', failed: 1 });
    expect(r.log.of('step_failed', 'always').map((e) => e.will_retry)).toEqual([true, true, false]);
  });

  it('does not retry an attempt that could not start', async () => {
    const r = run([{ id: 'missing', retry: retry(3, 0) }]);
    await settle();
    r.attempts.last('missing').end({ outcome: 'failed', reason: 'spawn_error' });
    expect(await r.done).toMatchObject({ status: 'failed' });
    expect(r.attempts.of('missing')).toHaveLength(1);
    expect(r.log.of('step_retrying')).toHaveLength(0);
  });
});

describe('cancel', () => {
  it('first request: stops running steps gracefully, cancels pending ones, and still runs all_done cleanup', async () => {
    const r = run([{ id: 'work' }, { id: 'next', deps: ['work'] }, { id: 'cleanup', deps: ['work'], triggerRule: 'all_done' }]);
    await settle();
    r.loop.cancel('SIGINT');
    await settle();
    expect(r.log.of('run_cancel_requested')[0]).toMatchObject({ signal: 'SIGINT', forced: false });
    expect(r.attempts.last('work').cancels).toEqual([false]);
    expect(r.log.of('step_cancelled', 'work')[0]).toMatchObject({ reason: 'run_cancelled', attempt: 1, signal: 'SIGTERM' });
    expect(r.log.of('step_cancelled', 'next')[0]).toMatchObject({ reason: 'run_cancelled', attempt: null });
    r.attempts.last('cleanup').end({ outcome: 'succeeded' });
    expect(await r.done).toMatchObject({ status: 'cancelled', exit_code: 130, succeeded: 1, cancelled: 2 });
  });

  it('second request: records running attempts as killed at once and cancels cleanup steps too', async () => {
    const r = run([{ id: 'work' }, { id: 'cleanup', deps: ['work'], triggerRule: 'all_done' }]);
    r.attempts.endOnCancel = false; // a process that ignores SIGTERM
    await settle();
    r.loop.cancel('SIGINT');
    await settle();
    expect(r.log.of('step_cancelled', 'work')).toHaveLength(0);
    r.loop.cancel('SIGINT');
    const finished = await r.done;
    expect(r.attempts.last('work').cancels).toEqual([false, true]);
    expect(r.log.of('step_cancelled', 'work')[0]).toMatchObject({ attempt: 1, signal: 'SIGKILL' });
    expect(r.log.of('step_cancelled', 'cleanup')[0]).toMatchObject({ reason: 'run_cancelled', attempt: null });
    expect(finished).toMatchObject({ status: 'cancelled', cancelled: 2 });
    // The killed process's late exit changes nothing.
    r.attempts.last('work').end({ outcome: 'cancelled', signal: 'SIGKILL' });
    await settle();
    expect(r.log.events.at(-1)!.type).toBe('run_finished');
  });

  it('clears a pending retry timer, so no attempt starts after the cancel', async () => {
    const r = run([{ id: 'flaky', retry: retry(1, 1000) }]);
    await settle();
    r.attempts.last('flaky').end({ outcome: 'failed', reason: 'exit_code' });
    await settle();
    expect(r.clock.pendingDelays).toEqual([1000]);
    r.loop.cancel('SIGTERM');
    await r.done;
    expect(r.clock.pendingDelays).toEqual([]);
    await r.clock.advance(5000);
    expect(r.attempts.of('flaky')).toHaveLength(1);
    expect(r.log.of('step_cancelled', 'flaky')[0]).toMatchObject({ reason: 'run_cancelled', attempt: null });
  });
});

describe('preconditions', () => {
  it('skips a step whose value precondition does not hold, naming it, and its dependents see a skip', async () => {
    const r = run([
      { id: 'gated', preconditions: [{ kind: 'not_empty', label: '${X} is not empty', value: '' }] },
      { id: 'after', deps: ['gated'] },
      { id: 'anyway', deps: ['gated'], triggerRule: 'none_failed' },
    ]);
    await settle();
    expect(r.log.of('step_skipped', 'gated')[0]).toMatchObject({
      reason: 'precondition',
      detail: 'precondition 1 (${X} is not empty) does not hold: the value is empty',
    });
    expect(r.log.of('step_skipped', 'after')[0]).toMatchObject({ reason: 'trigger_rule', upstream: 'gated' });
    expect(r.attempts.of('gated')).toHaveLength(0);
    r.attempts.last('anyway').end({ outcome: 'succeeded' });
    expect(await r.done).toMatchObject({ status: 'succeeded', skipped: 2, succeeded: 1 });
  });

  it('runs a command precondition through the check port with the step cwd, env and timeout, then the attempt', async () => {
    const r = run([{ id: 'a', cwd: '/repo', timeoutMs: 5000, preconditions: [{ kind: 'command', label: 'git status', command: 'git', args: ['status'] }] }]);
    await settle();
    expect(r.checks.requests).toHaveLength(1);
    expect(r.checks.requests[0]).toMatchObject({ command: 'git', args: ['status'], cwd: '/repo', timeoutMs: 5000, killGraceMs: 1000 });
    expect(r.checks.requests[0]!.env.ENGINE_ATTEMPT).toBe('0');
    expect(r.attempts.of('a')).toHaveLength(0);
    r.checks.answer('git', { holds: true });
    await settle();
    r.attempts.last('a').end({ outcome: 'succeeded' });
    expect(await r.done).toMatchObject({ status: 'succeeded' });
  });

  it('a failed command check skips the step with the check port\'s reason', async () => {
    const r = run([{ id: 'a', preconditions: [{ kind: 'command', label: 'sh -c exit 3', command: 'sh', args: ['-c', 'exit 3'] }] }]);
    await settle();
    r.checks.answer('sh', { holds: false, why: 'exit code 3' });
    await r.done;
    expect(r.log.of('step_skipped', 'a')[0]!.detail).toBe('precondition 1 (sh -c exit 3) does not hold: exit code 3');
  });

  it('cancelling the run kills a running check and cancels its step', async () => {
    const r = run([{ id: 'a', preconditions: [{ kind: 'command', label: 'sleep', command: 'sleep', args: ['30'] }] }]);
    await settle();
    r.loop.cancel('SIGINT');
    await r.done;
    expect(r.checks.cancelled).toEqual(['sleep']);
    expect(r.attempts.of('a')).toHaveLength(0);
    expect(r.log.of('step_cancelled', 'a')[0]).toMatchObject({ reason: 'run_cancelled' });
  });
});

describe('resume', () => {
  it('keeps the kept steps, continues attempt numbers and seq, and announces what reruns', async () => {
    const r = run([{ id: 'a' }, { id: 'b', deps: ['a'] }], {}, { resume: { previousStatus: 'failed', lastSeq: 7, kept: new Set(['a']), rerun: new Map([['b', { cause: 'not_succeeded' as const }]]), attempts: new Map([['a', 1], ['b', 2]]), outputs: new Map(), childRuns: new Map() } });
    await settle();
    expect(r.log.events[0]).toMatchObject({ type: 'run_resumed', seq: 8, previous_status: 'failed', kept: ['a'], rerun: ['b'], plan_id: 'test', plan_version: '1' });
    expect(r.log.of('run_resumed')[0]!.rerun_causes).toEqual([{ step_id: 'b', cause: 'not_succeeded', by: null }]);
    expect(r.attempts.startOrder).toEqual(['b#3']);
    r.attempts.last('b').end({ outcome: 'succeeded' });
    expect(await r.done).toMatchObject({ status: 'succeeded', succeeded: 2 });
  });
});
