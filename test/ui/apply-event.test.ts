/**
 * The page keeps a run current by applying its events to a snapshot (ui/src/run/apply-event.ts).
 * Applied to a run's whole event stream from its start, that must give exactly the rows the
 * engine's runs.db writer produced: runs with retries, failures, skips, cancellations, a
 * resume and a crash recovery, compared with `GET /api/runs/<id>` field by field.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan, workspace, type Workspace } from '../helpers/cli.js';
import { removeDir } from '../helpers/temp-dirs.js';
import { readEvents } from '../helpers/record.js';
import type { ApiRun, ApiStep, EngineEvent, RunDetail, RunsPage } from '../../src/ui/api-types.js';
import { RunStore } from '../../ui/src/run/run-store.js';
import { shStep, startDashboard, until, type Dashboard } from '../helpers/dashboard.js';

let ws: Workspace;
let ui: Dashboard;

beforeAll(async () => {
  ws = workspace('engine-ui-apply-');
  ui = await startDashboard(ws.stateDir);
});
afterAll(async () => {
  await ui.stop();
  removeDir(ws.dir);
});

/** The page's state right after `run_started`: every step pending, nothing counted. */
function snapshotAtStart(final: RunDetail, started: Extract<EngineEvent, { type: 'run_started' }>): RunDetail {
  const run: ApiRun = {
    ...final.run,
    status: 'running',
    exit_code: null,
    finished_at: null,
    duration_ms: null,
    cancel_requested_at: null,
    steps_succeeded: 0,
    steps_failed: 0,
    steps_skipped: 0,
    steps_cancelled: 0,
    // for_each instances are counted as they are expanded.
    steps_total: started.steps.length,
    last_seq: started.seq,
    pid: started.pid,
    plan_sha256: started.plan_sha256,
  };
  const steps: ApiStep[] = started.steps.map((s, position) => ({
    run_id: run.run_id,
    step_id: s.id,
    position,
    name: s.name,
    depends_on: JSON.stringify(s.depends_on),
    status: 'pending',
    reason: null,
    detail: null,
    upstream: null,
    attempts: 0,
    exit_code: null,
    signal: null,
    started_at: null,
    finished_at: null,
    duration_ms: null,
    log_path: null,
    kind: s.kind ?? 'command',
    instance_of: s.instance_of ?? null,
    child_run_id: null,
  }));
  return { run, steps, attempts: [], outputs: {}, children: [] };
}

async function detail(runId: string): Promise<RunDetail> {
  return (await (await fetch(new URL(`/api/runs/${runId}`, ui.url))).json()) as RunDetail;
}

/** Applies every event after run_started to the start snapshot; returns the page's rows. */
function replayed(final: RunDetail, events: EngineEvent[]): RunDetail {
  const started = events[0] as Extract<EngineEvent, { type: 'run_started' }>;
  const store = new RunStore(snapshotAtStart(final, started));
  store.apply(events.slice(1));
  return {
    run: store.run.value,
    steps: store.allSteps(),
    attempts: store.order.flatMap((id) => store.attempts.get(id)!.value).sort((a, b) => a.step_id.localeCompare(b.step_id) || a.attempt - b.attempt),
    outputs: store.outputs.value,
    children: store.children.value,
  };
}

function expectSameRows(page: RunDetail, db: RunDetail): void {
  // heartbeat_at is the writer's clock at each flush, not an event's time.
  const { heartbeat_at: _a, ...pageRun } = page.run;
  const { heartbeat_at: _b, ...dbRun } = db.run;
  expect(pageRun).toEqual(dbRun);
  expect(page.steps).toEqual(db.steps);
  expect(page.attempts).toEqual([...db.attempts].sort((a, b) => a.step_id.localeCompare(b.step_id) || a.attempt - b.attempt));
}

describe('the page applying a run\'s events', () => {
  it('ends with the rows runs.db has, for retries, a failure, skips and cancellations', async () => {
    const flaky = join(ws.dir, 'flaky-count');
    const p = plan(
      [
        shStep('flaky', `n=$(cat '${flaky}' 2>/dev/null || echo 0); echo $((n+1)) > '${flaky}'; test $n -ge 1`, { retries: 2 }),
        shStep('broken', 'echo no; exit 4', { depends_on: ['flaky'], on_failure: 'skip_dependents', critical: false }),
        { id: 'skipped', command: 'true', depends_on: ['broken'] },
        { id: 'guarded', command: 'true', preconditions: [{ value: '', not_empty: true, description: 'never' }] },
        shStep('fatal', 'exit 2'),
        { id: 'aborted', command: 'true', depends_on: ['fatal', 'flaky'] },
        { id: 'cleanup', command: 'true', depends_on: ['aborted'], trigger_rule: 'all_done' },
      ],
      { plan_id: 'mixed', globals: { max_concurrency: 1 } },
    );
    const r = await ws.engine(['run', ws.writePlan(p, 'mixed.json')]);
    expect(r.exitCode, r.all).toBe(1);
    const events = readEvents(ws);
    const runId = events[0]!.run_id;
    const db = await detail(runId);
    expect(new Set(db.steps.map((s) => s.status))).toEqual(new Set(['succeeded', 'failed', 'skipped', 'cancelled']));
    expectSameRows(replayed(db, events), db);
  });

  it('ends with the rows, outputs and child runs runs.db has, for a matrix, a for_each expansion and sub-plans', async () => {
    ws.writePlan(plan([{ id: 'inner', command: 'echo', args: ['${WHO}'] }], { plan_id: 'inner', vars: { WHO: { required: true } } }), 'inner.json');
    const p = plan(
      [
        shStep('test', 'echo "r=${matrix.os}" >> "$ENGINE_OUTPUT"; [ ${matrix.os} != mac ]', { matrix: { os: ['linux', 'mac', 'bsd'] }, tolerated_failures: 1 }),
        shStep('list', `echo 'items=["a","b"]' >> "$ENGINE_OUTPUT"`),
        shStep('each', 'echo "seen=${item}" >> "$ENGINE_OUTPUT"', { for_each: '${steps.list.outputs.items}', depends_on: ['list'] }),
        { id: 'none', command: 'true', for_each: '[]' },
        { id: 'sub', plan: 'inner.json', vars: { WHO: 'one' }, depends_on: ['each'] },
        { id: 'subs', plan: 'inner.json', vars: { WHO: '${matrix.who}' }, matrix: { who: ['x', 'y'] } },
      ],
      { plan_id: 'fanned' },
    );
    const r = await ws.engine(['run', ws.writePlan(p, 'fanned.json')]);
    expect(r.exitCode, r.all).toBe(0);
    // The newest run is a child run: the parent is the plan's.
    const runId = ((await (await fetch(new URL('/api/runs?plan=fanned', ui.url))).json()) as RunsPage).runs[0]!.run_id;
    const events = readEvents(ws, runId);
    expect(events.some((e) => e.type === 'step_expanded')).toBe(true);
    const db = await detail(runId);
    expect(db.steps.map((s) => s.kind)).toContain('for_each');
    expect(db.children).toHaveLength(3);
    const page = replayed(db, events);
    expectSameRows(page, db);
    expect(page.outputs).toEqual(db.outputs);
    expect(page.outputs.test).toEqual({ r: '["linux",null,"bsd"]' });
    expect(page.children.map((c) => [c.run_id, c.step_id])).toEqual(db.children.map((c) => [c.run_id, c.step_id]));
    // The page's groups: each group's instances, in instance order.
    const store = new RunStore(db);
    expect(store.groups.get('test')).toEqual(['test[os=linux]', 'test[os=mac]', 'test[os=bsd]']);
    expect(store.groups.get('each')).toEqual(['each[a]', 'each[b]']);
    expect(store.groups.get('none')).toEqual([]);
    expect(store.lines.value.map((l) => `${'  '.repeat(l.depth)}${l.id}`)).toEqual([
      'test',
      '  test[os=linux]',
      '  test[os=mac]',
      '  test[os=bsd]',
      'list',
      'each',
      '  each[a]',
      '  each[b]',
      'none',
      'sub',
      'subs',
      '  subs[who=x]',
      '  subs[who=y]',
    ]);
  });

  it('ends with the rows runs.db has after a resume', async () => {
    const flag = join(ws.dir, 'fixed');
    const p = plan([shStep('check', `test -e '${flag}'`), { id: 'next', command: 'true', depends_on: ['check'] }], { plan_id: 'resumed' });
    expect((await ws.engine(['run', ws.writePlan(p, 'resumed.json')])).exitCode).toBe(1);
    writeFileSync(flag, '');
    const runId = readEvents(ws)[0]!.run_id;
    const resumed = await ws.engine(['resume', runId, '--state-dir', ws.stateDir]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    const events = readEvents(ws, runId);
    expect(events.some((e) => e.type === 'run_resumed')).toBe(true);
    const db = await detail(runId);
    expectSameRows(replayed(db, events), db);
  });

  it('ends with the rows runs.db has after crash recovery marked the run interrupted', async () => {
    const engine = ws.engine(['run', ws.writePlan(plan([shStep('hang', 'sleep 30')], { plan_id: 'crashed' }), 'crashed.json')]);
    const runId = await until('the step to run', async () => {
      const runs = (await (await fetch(new URL('/api/runs?plan=crashed', ui.url))).json()) as RunsPage;
      const id = runs.runs[0]?.run_id;
      return id !== undefined && (await detail(id)).steps[0]!.status === 'running' ? id : undefined;
    });
    process.kill((await detail(runId)).run.pid, 'SIGKILL');
    await engine;
    // Any reading command recovers the dead run: run_interrupted.
    expect((await ws.engine(['runs', '--state-dir', ws.stateDir])).exitCode).toBe(0);
    const events = readEvents(ws, runId);
    expect(events.at(-1)!.type).toBe('run_interrupted');
    const db = await detail(runId);
    expect(db.run.status).toBe('interrupted');
    expectSameRows(replayed(db, events), db);
  });
});

