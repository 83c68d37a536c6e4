/**
 * End to end through the built CLI: dependency order, the concurrency limit, trigger rules,
 * the steps' environment and argv, and the exit codes. Steps are real processes; times are
 * the ones the step processes recorded themselves (test/helpers/step-recorder.ts, recorderStep).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { eventsOf, finalStatuses, oneEvent, readEvents, runRow, stepRows } from '../helpers/record.js';
import { maxOverlap, onlyInterval, recordedTimes, runRecorderPlan, type RecorderStep } from '../helpers/step-recorder.js';

type Result = Awaited<ReturnType<Workspace['engine']>>;

/** A fresh workspace, removed after the file's tests. */
const newWorkspace = workspacesForThisFile();

/** Runs `steps` as a plan in a fresh workspace; returns the workspace and the CLI result. */
const runPlan = (build: (rec: RecorderStep) => unknown[], extra: Record<string, unknown> = {}, cliArgs: string[] = []) =>
  runRecorderPlan(newWorkspace(), build, extra, cliArgs);

/** A step that fails at once with exit code 1. */
const failing = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  command: 'sh',
  args: ['-c', 'exit 1'],
  ...extra,
});

describe('dependency order', () => {
  let ws: Workspace;
  let result: Result;
  beforeAll(async () => {
    // a (slow) and b (fast) are independent; c needs both; d needs c.
    ({ ws, result } = await runPlan((rec) => [
      rec('a', 400),
      rec('b', 100),
      rec('c', 100, { depends_on: ['a', 'b'] }),
      rec('d', 100, { depends_on: ['c'] }),
    ], { globals: { max_concurrency: 4 } }));
  });

  it('runs the whole chain to success', () => {
    expect(result.exitCode).toBe(0);
    expect(finalStatuses(readEvents(ws))).toEqual({ a: 'succeeded', b: 'succeeded', c: 'succeeded', d: 'succeeded' });
  });

  it('starts a step only after every one of its dependencies has ended', () => {
    const t = recordedTimes(ws);
    const a = onlyInterval(t, 'a');
    const b = onlyInterval(t, 'b');
    const c = onlyInterval(t, 'c');
    const d = onlyInterval(t, 'd');
    expect(c.start).toBeGreaterThanOrEqual(a.end);
    expect(c.start).toBeGreaterThanOrEqual(b.end);
    expect(d.start).toBeGreaterThanOrEqual(c.end);
  });

  it('does not wait for a slower sibling that is not a dependency', () => {
    const events = readEvents(ws);
    // b has no dependencies: it started while a (400 ms) was still running
    expect(oneEvent(events, 'step_started', 'b').seq).toBeLessThan(oneEvent(events, 'step_succeeded', 'a').seq);
  });
});

describe('concurrency limit', () => {
  it('runs max_concurrency steps at once and never more', async () => {
    const { ws, result } = await runPlan(
      (rec) => Array.from({ length: 6 }, (_, i) => rec(`s${i}`, 500)),
      { globals: { max_concurrency: 3 } },
    );
    expect(result.exitCode).toBe(0);
    const intervals = Object.values(recordedTimes(ws)).flat();
    expect(intervals).toHaveLength(6);
    expect(maxOverlap(intervals)).toBe(3);
    expect(oneEvent(readEvents(ws), 'run_started').max_concurrency).toBe(3);
  });

  it('lets --max-concurrency override the plan and never exceeds it', async () => {
    const { ws, result } = await runPlan(
      (rec) => Array.from({ length: 6 }, (_, i) => rec(`s${i}`, 500)),
      { globals: { max_concurrency: 3 } },
      ['--max-concurrency', '2'],
    );
    expect(result.exitCode).toBe(0);
    const intervals = Object.values(recordedTimes(ws)).flat();
    expect(intervals).toHaveLength(6);
    expect(maxOverlap(intervals)).toBe(2);
    expect(oneEvent(readEvents(ws), 'run_started').max_concurrency).toBe(2);
    expect(runRow(ws).max_concurrency).toBe(2);
  });
});

describe('trigger rules', () => {
  it('all_success: runs a step whose dependencies all succeeded', async () => {
    const { ws } = await runPlan((rec) => [rec('a', 50), rec('b', 50), rec('c', 50, { depends_on: ['a', 'b'] })]);
    expect(finalStatuses(readEvents(ws))).toEqual({ a: 'succeeded', b: 'succeeded', c: 'succeeded' });
  });

  it('all_success: skips a step whose dependency failed, naming that dependency, and the skip propagates', async () => {
    const { ws } = await runPlan((rec) => [
      rec('ok', 50),
      failing('bad', { on_failure: 'skip_dependents' }),
      rec('c', 50, { depends_on: ['ok', 'bad'] }),
      rec('e', 50, { depends_on: ['c'] }),
    ]);
    const events = readEvents(ws);
    expect(finalStatuses(events)).toEqual({ ok: 'succeeded', bad: 'failed', c: 'skipped', e: 'skipped' });
    const c = oneEvent(events, 'step_skipped', 'c');
    expect(c.reason).toBe('trigger_rule');
    expect(c.upstream).toBe('bad');
    expect(c.detail).toContain('"bad"');
    const e = oneEvent(events, 'step_skipped', 'e');
    expect(e.upstream).toBe('c');
    expect(e.detail).toContain('"c"');
    expect(recordedTimes(ws).c).toBeUndefined();
    const rows = stepRows(ws);
    expect(rows.c).toMatchObject({ status: 'skipped', reason: 'trigger_rule', upstream: 'bad', attempts: 0 });
  });

  it('all_done: runs a step once its dependencies ended, whatever their outcome', async () => {
    const { ws } = await runPlan((rec) => [
      rec('ok', 50),
      failing('bad', { on_failure: 'skip_dependents' }),
      rec('skipped', 50, { depends_on: ['bad'] }),
      rec('cleanup', 50, { depends_on: ['ok', 'bad', 'skipped'], trigger_rule: 'all_done' }),
    ]);
    const events = readEvents(ws);
    expect(finalStatuses(events)).toEqual({ ok: 'succeeded', bad: 'failed', skipped: 'skipped', cleanup: 'succeeded' });
    const ends = ['ok', 'bad', 'skipped'].map((id) => {
      const end = events.find(
        (e) => (e.type === 'step_succeeded' || e.type === 'step_failed' || e.type === 'step_skipped') && e.step_id === id,
      )!;
      return end.seq;
    });
    expect(oneEvent(events, 'step_started', 'cleanup').seq).toBeGreaterThan(Math.max(...ends));
  });

  it('one_failed: runs a step when a dependency failed, after all dependencies ended', async () => {
    const { ws } = await runPlan((rec) => [
      rec('slow_ok', 300),
      failing('bad', { on_failure: 'skip_dependents' }),
      rec('alert', 50, { depends_on: ['slow_ok', 'bad'], trigger_rule: 'one_failed' }),
    ]);
    const events = readEvents(ws);
    expect(finalStatuses(events)).toEqual({ slow_ok: 'succeeded', bad: 'failed', alert: 'succeeded' });
    const t = recordedTimes(ws);
    expect(onlyInterval(t, 'alert').start).toBeGreaterThanOrEqual(onlyInterval(t, 'slow_ok').end);
  });

  it('one_failed: skips a step when no dependency failed', async () => {
    const { ws, result } = await runPlan((rec) => [
      rec('a', 50),
      rec('b', 50),
      rec('alert', 50, { depends_on: ['a', 'b'], trigger_rule: 'one_failed' }),
    ]);
    const events = readEvents(ws);
    expect(finalStatuses(events)).toEqual({ a: 'succeeded', b: 'succeeded', alert: 'skipped' });
    const skip = oneEvent(events, 'step_skipped', 'alert');
    expect(skip.reason).toBe('trigger_rule');
    expect(skip.detail).toContain('one_failed');
    expect(result.exitCode).toBe(0);
  });

  it('none_failed: runs a step whose dependencies were skipped or succeeded but none failed', async () => {
    const { ws } = await runPlan((rec) => [
      rec('ok', 50),
      failing('bad', { on_failure: 'skip_dependents' }),
      rec('skipped', 50, { depends_on: ['bad'] }),
      rec('nf', 50, { depends_on: ['ok', 'skipped'], trigger_rule: 'none_failed' }),
    ]);
    expect(finalStatuses(readEvents(ws))).toEqual({ ok: 'succeeded', bad: 'failed', skipped: 'skipped', nf: 'succeeded' });
  });

  it('none_failed: skips a step when a dependency failed, naming the failed dependency', async () => {
    const { ws } = await runPlan((rec) => [
      rec('ok', 50),
      failing('bad', { on_failure: 'skip_dependents' }),
      rec('nf', 50, { depends_on: ['ok', 'bad'], trigger_rule: 'none_failed' }),
    ]);
    const events = readEvents(ws);
    expect(finalStatuses(events)).toEqual({ ok: 'succeeded', bad: 'failed', nf: 'skipped' });
    const skip = oneEvent(events, 'step_skipped', 'nf');
    expect(skip).toMatchObject({ reason: 'trigger_rule', upstream: 'bad' });
    expect(skip.detail).toContain('"bad"');
  });
});

describe('step environment and arguments', () => {
  it('gives every step ENGINE_RUN_ID, ENGINE_STEP_ID and ENGINE_ATTEMPT', async () => {
    const ws = newWorkspace();
    const script = 'printf "%s\\n%s\\n%s\\n" "$ENGINE_RUN_ID" "$ENGINE_STEP_ID" "$ENGINE_ATTEMPT" > "env.$ENGINE_STEP_ID"';
    const path = ws.writePlan(
      plan([
        { id: 'first', command: script, shell: true },
        { id: 'second.step', command: script, shell: true, depends_on: ['first'] },
      ]),
    );
    const result = await ws.engine(['run', path]);
    expect(result.exitCode).toBe(0);
    const runId = oneEvent(readEvents(ws), 'run_started').run_id;
    for (const id of ['first', 'second.step']) {
      expect(readFileSync(join(ws.dir, `env.${id}`), 'utf8')).toBe(`${runId}\n${id}\n1\n`);
    }
  });

  it('passes arguments with spaces, ; and shell syntax as single argv entries, without a shell', async () => {
    const ws = newWorkspace();
    const args = ['two words', 'a; touch injected-literal', '$(touch injected-subst)', '`touch injected-tick`', '*', ''];
    const path = ws.writePlan(
      plan(
        [
          {
            id: 'argv',
            command: process.execPath,
            args: ['-e', 'require("fs").writeFileSync("argv.json", JSON.stringify(process.argv.slice(1)))', ...args, '${BRANCH}'],
          },
        ],
        { vars: { BRANCH: { default: 'main' } } },
      ),
    );
    const result = await ws.engine(['run', path, '--var', 'BRANCH=main; touch injected-var']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(ws.dir, 'argv.json'), 'utf8'))).toEqual([...args, 'main; touch injected-var']);
    for (const f of ['injected-literal', 'injected-subst', 'injected-tick', 'injected-var']) {
      expect(existsSync(join(ws.dir, f))).toBe(false);
    }
  });
});

describe('exit codes', () => {
  it('exits 0 and records the run as succeeded when every step succeeded', async () => {
    const { ws, result } = await runPlan((rec) => [rec('a', 50), rec('b', 50, { depends_on: ['a'] })]);
    expect(result.exitCode).toBe(0);
    const finished = oneEvent(readEvents(ws), 'run_finished');
    expect(finished).toMatchObject({ status: 'succeeded', exit_code: 0, succeeded: 2, failed: 0 });
    expect(runRow(ws)).toMatchObject({ status: 'succeeded', exit_code: 0, steps_succeeded: 2 });
  });

  it('exits 1 and records the run as failed when a critical step failed', async () => {
    const { ws, result } = await runPlan((rec) => [rec('a', 50), failing('bad', { depends_on: ['a'] })]);
    expect(result.exitCode).toBe(1);
    const events = readEvents(ws);
    expect(oneEvent(events, 'run_finished')).toMatchObject({ status: 'failed', exit_code: 1, succeeded: 1, failed: 1 });
    expect(eventsOf(events, 'step_failed', 'bad')).toHaveLength(1);
    expect(runRow(ws)).toMatchObject({ status: 'failed', exit_code: 1, steps_failed: 1 });
  });
});

describe('variable defaults with references', () => {
  const make = workspacesForThisFile('engine-defaults-');
  it('runs a step with a default built from ${PLAN_DIR} and another variable, not a literal ${PLAN_DIR} directory', async () => {
    const w = make();
    const p = w.writePlan(
      plan([{ id: 'mk', command: 'mkdir', args: ['-p', '${OUT}'] }], {
        vars: { NAME: { default: 'artifacts' }, OUT: { default: '${PLAN_DIR}/${NAME}/out' } },
      }),
    );
    const r = await w.engine(['run', p]);
    expect(r.exitCode, r.all).toBe(0);
    expect(existsSync(join(w.dir, 'artifacts', 'out'))).toBe(true);
    expect(existsSync(join(w.dir, '${PLAN_DIR}'))).toBe(false);
  });
});
