import { describe, expect, it } from 'vitest';
import { Scheduler, type Decision } from '../../src/engine/scheduler.js';
import type { ResolvedStep } from '../../src/schema/resolved-plan.js';
import { resolvedSteps, type StepSpec } from '../helpers/resolved-steps.js';

/** Drives a scheduler by step id and keeps the decisions readable. */
function harness(specs: StepSpec[]) {
  const steps = resolvedSteps(specs);
  const s = new Scheduler(steps);
  const id = (d: Decision) => steps[d.step]!.id;
  const show = (ds: Decision[]) => ds.map((d) => `${d.kind}:${id(d)}`);
  const idx = (name: string) => steps.findIndex((x) => x.id === name);
  return {
    s,
    show,
    begin: () => show(s.begin(steps.map((_, i) => i))),
    start: (name: string) => s.startAttempt(idx(name)),
    ok: (name: string) => show(s.attemptEnded(idx(name), { kind: 'succeeded' })),
    fail: (name: string, reason: 'exit_code' | 'spawn_error' = 'exit_code') =>
      s.attemptEnded(idx(name), { kind: 'failed', reason, exitCode: reason === 'exit_code' ? 1 : null }),
    status: (name: string) => s.statusOf(idx(name)),
    retryDue: (name: string) => show(s.retryDue(idx(name))),
    cancelled: (name: string) => show(s.attemptEnded(idx(name), { kind: 'cancelled' })),
  };
}

describe('scheduler', () => {
  it('starts only steps without dependencies at the beginning', () => {
    const h = harness([{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c' }]);
    expect(h.begin()).toEqual(['start:a', 'start:c']);
  });

  it('starts a dependent when its last dependency succeeds', () => {
    const h = harness([{ id: 'a' }, { id: 'b' }, { id: 'c', deps: ['a', 'b'] }]);
    h.begin();
    h.start('a');
    h.start('b');
    expect(h.ok('a')).toEqual([]);
    expect(h.ok('b')).toEqual(['start:c']);
  });

  it('skips all_success dependents of a skip_dependents failure transitively while independent branches go on', () => {
    const h = harness([
      { id: 'a', onFailure: 'skip_dependents' },
      { id: 'b', deps: ['a'] },
      { id: 'c', deps: ['b'] },
      { id: 'x' },
    ]);
    h.begin();
    h.start('a');
    h.start('x');
    expect(h.show(h.fail('a'))).toEqual(['skip:b', 'skip:c']);
    expect(h.status('x')).toBe('running');
    expect(h.ok('x')).toEqual([]);
    expect(h.s.isFinished()).toBe(true);
    expect(h.s.runStatus()).toBe('failed');
  });

  it('runs none_failed and all_done dependents of a skipped step', () => {
    const h = harness([
      { id: 'a', onFailure: 'skip_dependents' },
      { id: 'b', deps: ['a'] },
      { id: 'nf', deps: ['b'], triggerRule: 'none_failed' },
      { id: 'ad', deps: ['b'], triggerRule: 'all_done' },
    ]);
    h.begin();
    h.start('a');
    expect(h.show(h.fail('a'))).toEqual(['skip:b', 'start:nf', 'start:ad']);
  });

  it('skips a none_failed step when a dependency failed', () => {
    const h = harness([{ id: 'a', onFailure: 'skip_dependents' }, { id: 'nf', deps: ['a'], triggerRule: 'none_failed' }]);
    h.begin();
    h.start('a');
    expect(h.show(h.fail('a'))).toEqual(['skip:nf']);
  });

  it('runs a one_failed step only when a dependency failed, after all dependencies ended', () => {
    const h = harness([
      { id: 'a', onFailure: 'continue', critical: false },
      { id: 'b' },
      { id: 'alert', deps: ['a', 'b'], triggerRule: 'one_failed' },
    ]);
    h.begin();
    h.start('a');
    h.start('b');
    // continue counts as success for every rule, so one_failed does not hold here
    expect(h.show(h.fail('a'))).toEqual([]);
    expect(h.ok('b')).toEqual(['skip:alert']);
  });

  it('runs a one_failed step after a real failure', () => {
    const h = harness([{ id: 'a', onFailure: 'skip_dependents' }, { id: 'b' }, { id: 'alert', deps: ['a', 'b'], triggerRule: 'one_failed' }]);
    h.begin();
    h.start('a');
    h.start('b');
    expect(h.show(h.fail('a'))).toEqual([]);
    expect(h.ok('b')).toEqual(['start:alert']);
  });

  it('lets dependents of a continue failure run as if it succeeded, and still fails the run when critical', () => {
    const h = harness([{ id: 'a', onFailure: 'continue' }, { id: 'b', deps: ['a'] }]);
    h.begin();
    h.start('a');
    expect(h.show(h.fail('a'))).toEqual(['start:b']);
    h.start('b');
    h.ok('b');
    expect(h.s.runStatus()).toBe('failed');
  });

  it('does not fail the run for a non-critical failure', () => {
    const h = harness([{ id: 'a', critical: false }, { id: 'b' }]);
    h.begin();
    h.start('a');
    h.start('b');
    h.fail('a');
    h.ok('b');
    expect(h.s.runStatus()).toBe('succeeded');
  });

  it('on abort cancels pending steps but keeps all_done and one_failed steps and lets running steps finish', () => {
    const h = harness([
      { id: 'a' },
      { id: 'slow' },
      { id: 'b', deps: ['a'] },
      { id: 'queued' },
      { id: 'cleanup', deps: ['b', 'slow'], triggerRule: 'all_done' },
      { id: 'alert', deps: ['a'], triggerRule: 'one_failed' },
    ]);
    expect(h.begin()).toEqual(['start:a', 'start:slow', 'start:queued']);
    h.start('a');
    h.start('slow');
    expect(h.show(h.fail('a'))).toEqual(['cancel:b', 'cancel:queued', 'start:alert']);
    expect(h.status('slow')).toBe('running');
    expect(h.start('queued')).toBe(0);
    expect(h.ok('slow')).toEqual(['start:cleanup']);
    h.start('alert');
    h.start('cleanup');
    h.ok('alert');
    h.ok('cleanup');
    expect(h.s.isFinished()).toBe(true);
    expect(h.s.runStatus()).toBe('failed');
  });

  it('retries a failed attempt with the backoff delay, then fails for good', () => {
    const h = harness([
      { id: 'a', retry: { retries: 2, delayMs: 100, backoff: 3, maxDelayMs: 250, on: null, jitter: 'none', deadlineMs: null } },
    ]);
    h.begin();
    expect(h.start('a')).toBe(1);
    expect(h.fail('a')).toEqual([{ kind: 'retry', step: 0, attempt: 2, delayMs: 100, reason: 'exit_code' }]);
    expect(h.status('a')).toBe('pending');
    expect(h.retryDue('a')).toEqual(['start:a']);
    expect(h.start('a')).toBe(2);
    expect(h.fail('a')).toEqual([{ kind: 'retry', step: 0, attempt: 3, delayMs: 250, reason: 'exit_code' }]);
    h.retryDue('a');
    expect(h.start('a')).toBe(3);
    expect(h.fail('a')).toEqual([]);
    expect(h.status('a')).toBe('failed');
  });

  it('never retries a spawn error', () => {
    const h = harness([{ id: 'a', retry: { retries: 3, delayMs: 0, backoff: 1, maxDelayMs: Infinity, on: null, jitter: 'none', deadlineMs: null } }]);
    h.begin();
    h.start('a');
    expect(h.fail('a', 'spawn_error')).toEqual([{ kind: 'no_retry', step: 0, why: 'a command that cannot start is not retried' }]);
    expect(h.status('a')).toBe('failed');
  });

  it('on cancel kills running steps, cancels pending ones, and still runs all_done cleanup', () => {
    const h = harness([
      { id: 'lock' },
      { id: 'work', deps: ['lock'] },
      { id: 'after', deps: ['work'] },
      { id: 'unlock', deps: ['work'], triggerRule: 'all_done' },
    ]);
    h.begin();
    h.start('lock');
    h.ok('lock');
    h.start('work');
    expect(h.show(h.s.cancelRun(false))).toEqual(['kill:work', 'cancel:after']);
    expect(h.show(h.s.attemptEnded(1, { kind: 'cancelled' }))).toEqual(['start:unlock']);
    h.start('unlock');
    h.ok('unlock');
    expect(h.s.runStatus()).toBe('cancelled');
  });

  it('on a forced cancel kills cleanup steps too and starts nothing', () => {
    const h = harness([{ id: 'work' }, { id: 'unlock', deps: ['work'], triggerRule: 'all_done' }]);
    h.begin();
    h.start('work');
    h.s.cancelRun(false);
    h.s.attemptEnded(0, { kind: 'cancelled' });
    h.start('unlock');
    expect(h.show(h.s.cancelRun(true))).toEqual(['kill:unlock']);
    expect(h.show(h.s.attemptEnded(1, { kind: 'cancelled' }))).toEqual([]);
    expect(h.s.isFinished()).toBe(true);
  });

  describe('the ancestor rule: no step starts while an ancestor may still run', () => {
    // lock → work1 (fails, abort) and work2 (running) → after → unlock (all_done)
    const lockPlan = (): StepSpec[] => [
      { id: 'lock' },
      { id: 'work1', deps: ['lock'] },
      { id: 'work2', deps: ['lock'] },
      { id: 'after', deps: ['work1', 'work2'] },
      { id: 'unlock', deps: ['after'], triggerRule: 'all_done' },
    ];

    it('on abort, holds the cleanup until the still-running sibling branch has ended', () => {
      const h = harness(lockPlan());
      h.begin();
      h.start('lock');
      expect(h.ok('lock')).toEqual(['start:work1', 'start:work2']);
      h.start('work1');
      h.start('work2');
      expect(h.show(h.fail('work1'))).toEqual(['cancel:after']);
      expect(h.status('unlock')).toBe('pending');
      expect(h.ok('work2')).toEqual(['start:unlock']);
    });

    it('on cancel, holds the cleanup until the running step has stopped', () => {
      const h = harness([{ id: 'lock' }, { id: 'work', deps: ['lock'] }, { id: 'after', deps: ['work'] }, { id: 'unlock', deps: ['after'], triggerRule: 'all_done' }]);
      h.begin();
      h.start('lock');
      h.ok('lock');
      h.start('work');
      expect(h.show(h.s.cancelRun(false))).toEqual(['kill:work', 'cancel:after']);
      expect(h.status('unlock')).toBe('pending');
      expect(h.cancelled('work')).toEqual(['start:unlock']);
    });

    it('with skip_dependents, holds a teardown after a skipped join until the sibling branch has ended', () => {
      const h = harness([
        { id: 'a', onFailure: 'skip_dependents' },
        { id: 'b' },
        { id: 'join', deps: ['a', 'b'] },
        { id: 'teardown', deps: ['join'], triggerRule: 'all_done' },
      ]);
      h.begin();
      h.start('a');
      h.start('b');
      expect(h.show(h.fail('a'))).toEqual(['skip:join']);
      expect(h.status('teardown')).toBe('pending');
      expect(h.ok('b')).toEqual(['start:teardown']);
    });

    it('changes nothing in a run where every step runs', () => {
      const h = harness([{ id: 'a' }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['b'], triggerRule: 'all_done' }]);
      expect(h.begin()).toEqual(['start:a']);
      h.start('a');
      expect(h.ok('a')).toEqual(['start:b']);
      h.start('b');
      expect(h.ok('b')).toEqual(['start:c']);
    });

    it('waits for ancestors several levels up, through a chain of steps that ended without running', () => {
      const h = harness([
        { id: 'root' },
        { id: 'bad', deps: ['root'] },
        { id: 'long', deps: ['root'] },
        { id: 'x', deps: ['bad', 'long'] },
        { id: 'y', deps: ['x'] },
        { id: 'z', deps: ['y'] },
        { id: 'cleanup', deps: ['z'], triggerRule: 'all_done' },
      ]);
      h.begin();
      h.start('root');
      h.ok('root');
      h.start('bad');
      h.start('long');
      expect(h.show(h.fail('bad'))).toEqual(['cancel:x', 'cancel:y', 'cancel:z']);
      expect(h.status('cleanup')).toBe('pending');
      expect(h.ok('long')).toEqual(['start:cleanup']);
    });
  });

  describe('retry policies (issue 14)', () => {
    const policy = (over: Partial<ResolvedStep['retry']>): ResolvedStep['retry'] => ({
      retries: 3,
      delayMs: 100,
      backoff: 1,
      maxDelayMs: Infinity,
      on: null,
      jitter: 'none',
      deadlineMs: null,
      ...over,
    });
    const failWith = (h: ReturnType<typeof harness>, s: Scheduler, reason: 'exit_code' | 'timeout' | 'idle_timeout' | 'deadline', exitCode: number | null, nowMs = 0) =>
      h.show(s.attemptEnded(0, { kind: 'failed', reason, exitCode }, nowMs));

    it('retries only the failures retry_on lists, and says why it does not retry the others', () => {
      const h = harness([{ id: 'a', retry: policy({ on: [{ kind: 'exit', from: 75, to: 75 }, { kind: 'reason', reason: 'timeout' }] }) }]);
      h.begin();
      h.start('a');
      expect(failWith(h, h.s, 'exit_code', 75)).toEqual(['retry:a']);
      h.retryDue('a');
      h.start('a');
      expect(failWith(h, h.s, 'timeout', null)).toEqual(['retry:a']);
      h.retryDue('a');
      h.start('a');
      expect(h.s.attemptEnded(0, { kind: 'failed', reason: 'exit_code', exitCode: 1 })).toEqual([{ kind: 'no_retry', step: 0, why: 'exit code 1 is not in retry_on' }]);
      expect(h.status('a')).toBe('failed');
    });

    it('never retries a reached deadline, nor a retry that would start after it', () => {
      const h = harness([{ id: 'a', retry: policy({ deadlineMs: 1000, delayMs: 400 }) }]);
      h.begin();
      expect(h.s.startAttempt(0, 10_000)).toBe(1);
      expect(h.s.deadlineAt(0)).toBe(11_000);
      expect(failWith(h, h.s, 'exit_code', 1, 10_200)).toEqual(['retry:a']);
      h.retryDue('a');
      h.s.startAttempt(0, 10_600);
      expect(h.s.attemptEnded(0, { kind: 'failed', reason: 'exit_code', exitCode: 1 }, 10_700)).toEqual([
        { kind: 'no_retry', step: 0, why: "the next attempt would start after the step's deadline" },
      ]);
      const d = harness([{ id: 'a', retry: policy({ deadlineMs: 1000 }) }]);
      d.begin();
      d.s.startAttempt(0, 0);
      expect(d.s.attemptEnded(0, { kind: 'failed', reason: 'deadline', exitCode: null }, 1000)).toEqual([
        { kind: 'no_retry', step: 0, why: "the step's deadline was reached" },
      ]);
    });

    it('draws full-jitter delays from [0, computed delay] with the given random source', () => {
      const steps = resolvedSteps([{ id: 'a', retry: policy({ delayMs: 1000, jitter: 'full' }) }]);
      const draws = [0.25, 0.999];
      const s = new Scheduler(steps, { random: () => draws.shift()! });
      s.begin([0]);
      s.startAttempt(0);
      expect(s.attemptEnded(0, { kind: 'failed', reason: 'exit_code', exitCode: 1 })).toEqual([{ kind: 'retry', step: 0, attempt: 2, delayMs: 250, reason: 'exit_code' }]);
      s.retryDue(0);
      s.startAttempt(0);
      expect(s.attemptEnded(0, { kind: 'failed', reason: 'exit_code', exitCode: 1 })).toEqual([{ kind: 'retry', step: 0, attempt: 3, delayMs: 999, reason: 'exit_code' }]);
    });
  });

  it('with fail_fast, an aborting failure also stops the running steps (not the cleanup)', () => {
    const steps = resolvedSteps([{ id: 'bad' }, { id: 'busy' }, { id: 'cleanup', deps: ['bad', 'busy'], triggerRule: 'all_done' }]);
    const s = new Scheduler(steps, { failFast: true });
    s.begin([0, 1, 2]);
    s.startAttempt(0);
    s.startAttempt(1);
    expect(s.attemptEnded(0, { kind: 'failed', reason: 'exit_code', exitCode: 1 })).toEqual([{ kind: 'kill', step: 1, forced: false, reason: 'abort', upstream: 0 }]);
    expect(s.attemptEnded(1, { kind: 'cancelled' }).map((d) => d.kind)).toEqual(['start']);
  });

  it('counts an up-to-date step as succeeded for its dependents', () => {
    const h = harness([{ id: 'build' }, { id: 'test', deps: ['build'] }]);
    h.begin();
    expect(h.s.claim(0)).toBe(true);
    expect(h.show(h.s.upToDate(0, 'up to date'))).toEqual(['skip:build', 'start:test']);
    expect(h.status('build')).toBe('skipped');
    h.start('test');
    h.ok('test');
    expect(h.s.runStatus()).toBe('succeeded');
  });

  it('ends a run cancelled by its own timeout as failed, with reason run_timeout', () => {
    const h = harness([{ id: 'a' }]);
    h.begin();
    h.start('a');
    h.s.cancelRun(false, 'run_timeout');
    h.s.attemptEnded(0, { kind: 'cancelled' });
    expect(h.s.runStatus()).toBe('failed');
    expect(h.s.finishReason()).toBe('run_timeout');
  });

  it('propagates skips down a 10,000-step chain without overflowing the stack', () => {
    const specs: StepSpec[] = [{ id: 's0', onFailure: 'skip_dependents' }];
    for (let i = 1; i < 10_000; i++) specs.push({ id: `s${i}`, deps: [`s${i - 1}`] });
    const h = harness(specs);
    h.begin();
    h.start('s0');
    expect(h.fail('s0')).toHaveLength(9_999);
    expect(h.s.isFinished()).toBe(true);
  });

  it('schedules a 100,000-step layered plan to completion, each step started exactly once after its dependencies', () => {
    const specs: StepSpec[] = [];
    const width = 316;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 100_000; i++) {
      const layerStart = Math.floor(i / width) * width;
      const deps = new Set<string>();
      if (layerStart > 0) for (let k = 0; k < 3; k++) deps.add(`s${layerStart - width + Math.floor(rnd() * width)}`);
      specs.push({ id: `s${i}`, deps: [...deps] });
    }
    const steps = resolvedSteps(specs);
    const s = new Scheduler(steps);
    const finished = new Uint8Array(steps.length);
    const ready = s.begin(steps.map((_, i) => i)).map((d) => d.step);
    let started = 0;
    while (ready.length > 0) {
      const i = ready.pop()!;
      expect(s.startAttempt(i)).toBe(1);
      for (const d of steps[i]!.dependsOn) if (!finished[d]) throw new Error(`s${i} started before s${d} ended`);
      started++;
      finished[i] = 1;
      for (const d of s.attemptEnded(i, { kind: 'succeeded' })) ready.push(d.step);
    }
    expect(started).toBe(100_000);
    expect(s.isFinished()).toBe(true);
    expect(s.runStatus()).toBe('succeeded');
  });
});
