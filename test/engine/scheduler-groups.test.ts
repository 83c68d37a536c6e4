/**
 * The scheduler's matrix and for_each groups (issue 13), on plans resolved by the loader: a
 * group waits for all its instances and ends with their verdict (tolerated_failures by count
 * or percent), fail_fast cancels the rest once the tolerance is exceeded, and a for_each step
 * is expanded when told to start.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Scheduler, type Decision } from '../../src/engine/scheduler.js';
import { expandForEach } from '../../src/schema/bind-step.js';
import type { ResolvedPlan } from '../../src/schema/resolved-plan.js';
import { load, plan } from '../helpers/plan-files.js';
import { tempDirWithCleanup } from '../helpers/temp-dirs.js';

function driver(p: ResolvedPlan) {
  const s = new Scheduler(p.steps);
  const steps = () => [...Array(s.size).keys()].map((i) => (i < p.steps.length ? p.steps[i]! : null));
  const ids: string[] = p.steps.map((x) => x.id);
  const idx = (id: string) => {
    const i = ids.indexOf(id);
    if (i < 0) throw new Error(`no step ${id}`);
    return i;
  };
  const show = (ds: Decision[]) => ds.map((d) => (d.kind === 'group_ended' ? `group_ended:${ids[d.step]}:${d.status}` : `${d.kind}:${ids[d.step]}`));
  return {
    s,
    ids,
    steps,
    idx,
    show,
    begin: () => show(s.begin(p.order)),
    run: (id: string, ok: boolean) => {
      s.startAttempt(idx(id));
      return show(s.attemptEnded(idx(id), ok ? { kind: 'succeeded' } : { kind: 'failed', reason: 'exit_code', exitCode: 1 }));
    },
    ended: (ds: Decision[]) => ds.find((d): d is Extract<Decision, { kind: 'group_ended' }> => d.kind === 'group_ended'),
    status: (id: string) => s.statusOf(idx(id)),
  };
}

const { dir, cleanup } = tempDirWithCleanup('scheduler-groups-');
afterAll(cleanup);

describe('scheduler: matrix groups', () => {
  it('starts every instance, waits for all of them, then ends the group and starts its dependents', () => {
    const p = load(dir, plan([{ id: 'build', command: 'true' }, { id: 't', depends_on: ['build'], command: 'true', matrix: { os: ['a', 'b'] } }, { id: 'ship', depends_on: ['t'], command: 'true' }]));
    const d = driver(p);
    expect(d.begin()).toEqual(['start:build']);
    expect(d.run('build', true)).toEqual(['start:t[os=a]', 'start:t[os=b]']);
    expect(d.run('t[os=a]', true)).toEqual([]);
    expect(d.run('t[os=b]', true)).toEqual(['group_ended:t:succeeded', 'start:ship']);
    expect(d.status('t')).toBe('succeeded');
  });

  it('succeeds while no more instances fail than tolerated (count), and reports the counts', () => {
    const p = load(dir, plan([{ id: 't', command: 'true', matrix: { n: ['1', '2', '3', '4'] }, tolerated_failures: 1 }]));
    const d = driver(p);
    d.begin();
    d.run('t[n=1]', false);
    d.run('t[n=2]', true);
    d.run('t[n=3]', true);
    d.s.startAttempt(d.idx('t[n=4]'));
    const last = d.s.attemptEnded(d.idx('t[n=4]'), { kind: 'succeeded' });
    const g = d.ended(last)!;
    expect(g).toMatchObject({ status: 'succeeded', instances: { total: 4, succeeded: 3, failed: 1 }, error: '1 of 4 instances failed (tolerated: 1)' });
    expect(d.s.runStatus()).toBe('succeeded');
  });

  it('fails when more fail than a percentage tolerates (rounded down), and the run fails', () => {
    // 25% of 4 = 1 tolerated; 2 failures fail the group.
    const p = load(dir, plan([{ id: 't', command: 'true', matrix: { n: ['1', '2', '3', '4'] }, tolerated_failures: '25%' }]));
    const d = driver(p);
    d.begin();
    d.run('t[n=1]', false);
    d.run('t[n=2]', false);
    d.run('t[n=3]', true);
    d.s.startAttempt(d.idx('t[n=4]'));
    const g = d.ended(d.s.attemptEnded(d.idx('t[n=4]'), { kind: 'succeeded' }))!;
    expect(g).toMatchObject({ status: 'failed', instances: { total: 4, succeeded: 2, failed: 2 }, error: '2 of 4 instances failed (tolerated: 1)' });
    expect(d.s.runStatus()).toBe('failed');
  });

  it('with fail_fast, cancels waiting instances and stops running ones once the tolerance is exceeded', () => {
    const p = load(dir, plan([{ id: 't', command: 'true', matrix: { n: ['1', '2', '3', '4'] }, fail_fast: true, on_failure: 'continue' }]));
    const d = driver(p);
    d.begin();
    d.s.startAttempt(d.idx('t[n=1]'));
    d.s.startAttempt(d.idx('t[n=2]'));
    const ds = d.s.attemptEnded(d.idx('t[n=1]'), { kind: 'failed', reason: 'exit_code', exitCode: 1 });
    expect(d.show(ds)).toEqual(expect.arrayContaining(['cancel:t[n=3]', 'cancel:t[n=4]', 'kill:t[n=2]']));
    const end = d.s.attemptEnded(d.idx('t[n=2]'), { kind: 'cancelled' });
    expect(d.ended(end)).toMatchObject({ status: 'failed', instances: { total: 4, failed: 1, cancelled: 3 } });
  });

  it('without fail_fast, the other instances go on after a failure', () => {
    const p = load(dir, plan([{ id: 't', command: 'true', matrix: { n: ['1', '2', '3'] }, on_failure: 'continue' }]));
    const d = driver(p);
    d.begin();
    expect(d.run('t[n=1]', false)).toEqual([]);
    expect(d.run('t[n=2]', true)).toEqual([]);
    expect(d.run('t[n=3]', true)).toEqual(['group_ended:t:failed']);
  });
});

describe('scheduler: for_each groups', () => {
  const forEachPlan = () =>
    load(
      dir,
      plan([
        { id: 'list', command: 'true' },
        { id: 'each', depends_on: ['list'], command: 'echo', args: ['${item}'], for_each: '${steps.list.outputs.files}' },
        { id: 'after', depends_on: ['each'], command: 'true' },
      ]),
    );

  it('expands when told to start, runs the instances, then ends the group', () => {
    const p = forEachPlan();
    const d = driver(p);
    d.begin();
    expect(d.run('list', true)).toEqual(['start:each']);
    const g = d.idx('each');
    const made = expandForEach(p, p.steps[g]!, '["a.ts","b.ts"]', d.s.size);
    if ('error' in made) throw new Error(made.error);
    expect(made.instances.map((x) => x.id)).toEqual(['each[a.ts]', 'each[b.ts]']);
    d.ids.push(...made.instances.map((x) => x.id));
    expect(d.show(d.s.expand(g, made.instances))).toEqual(['start:each[a.ts]', 'start:each[b.ts]']);
    // Its fields are bound from the item when it becomes ready (bind-step.ts).
    expect(made.instances[0]!.late?.item).toBe('a.ts');
    d.run('each[a.ts]', true);
    expect(d.run('each[b.ts]', true)).toEqual(['group_ended:each:succeeded', 'start:after']);
  });

  it('an empty list succeeds at once with zero instances', () => {
    const p = forEachPlan();
    const d = driver(p);
    d.begin();
    d.run('list', true);
    const made = expandForEach(p, p.steps[d.idx('each')]!, '[]', d.s.size);
    if ('error' in made) throw new Error(made.error);
    const ds = d.s.expand(d.idx('each'), made.instances);
    expect(d.ended(ds)).toMatchObject({ status: 'succeeded', instances: { total: 0 } });
    expect(d.show(ds)).toContain('start:after');
  });

  it('a value that is not a JSON array of strings or flat objects is an error, and the step fails before it starts', () => {
    const p = forEachPlan();
    const node = p.steps[1]!;
    for (const text of ['not json', '{"a":1}', '[1,2]', '[{"a":{"b":"c"}}]']) {
      const r = expandForEach(p, node, text, p.steps.length);
      expect('error' in r, text).toBe(true);
    }
    const tooMany = JSON.stringify(Array.from({ length: 10_001 }, (_, i) => `f${i}`));
    expect(expandForEach(p, node, tooMany, p.steps.length)).toEqual({ error: expect.stringMatching(/10,?001.*10,?000|10,?000/) });
    const d = driver(p);
    d.begin();
    d.run('list', true);
    expect(d.show(d.s.failBeforeStart(d.idx('each'))!)).toEqual(expect.arrayContaining(['cancel:after']));
    expect(d.status('each')).toBe('failed');
  });
});
