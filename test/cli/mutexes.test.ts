/**
 * Mutual exclusion across runs (issue 14) through the built CLI: two engines on one state
 * directory contend for a step's `mutex` and for a run's `globals.mutex`, in each
 * `on_mutex_busy` mode; the steps' own clocks show they never overlap.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { eventsOf, oneEvent, readEvents, runIds, withRunsDb } from '../helpers/record.js';

const workspace = workspacesForThisFile('engine-mutex-');

/** A step that records `<who> start|end <ms>` in ../mutex.log around `sleep sec`. */
function guarded(who: string, sleepSec: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const rec = (what: string) => `echo "${who} ${what} $(date +%s%3N)" >> "$LOG"`;
  return {
    id: 'deploy',
    command: 'sh',
    args: ['-c', `${rec('start')}; sleep ${sleepSec}; ${rec('end')}`],
    env: { LOG: '${PLAN_DIR}/mutex.log' },
    ...extra,
  };
}

function intervals(ws: Workspace): Record<string, { start: number; end: number }> {
  const out: Record<string, { start: number; end: number }> = {};
  for (const line of readFileSync(join(ws.dir, 'mutex.log'), 'utf8').trim().split('\n')) {
    const [who, what, ms] = line.split(' ');
    const t = (out[who!] ??= { start: NaN, end: NaN });
    t[what as 'start' | 'end'] = Number(ms);
  }
  return out;
}

function newestRun(ws: Workspace, before: ReadonlySet<string>): string | undefined {
  return runIds(ws.stateDir).find((id) => !before.has(id));
}

describe('a step mutex shared by two engines', () => {
  it('never lets the two steps overlap, and shows the waiting one as waiting', async () => {
    const ws = workspace();
    const a = ws.writePlan(plan([guarded('a', 1, { mutex: 'deploy-${ENV}' })], { plan_id: 'a', vars: { ENV: { default: 'prod' } } }), 'a.json');
    const b = ws.writePlan(plan([guarded('b', 0.2, { mutex: 'deploy-prod' })], { plan_id: 'b' }), 'b.json');
    const first = ws.engine(['run', a]);
    await waitFor(() => existsSync(join(ws.dir, 'mutex.log')), 'a to start');
    const before = new Set(runIds(ws.stateDir));
    const second = ws.engine(['run', b]);
    // While a holds it, b's step is `waiting` in runs.db, naming the holder.
    const waiting = await waitFor(() => {
      const id = newestRun(ws, before);
      if (!id) return undefined;
      return withRunsDb(ws.stateDir, (db) => db.prepare(`SELECT status, detail FROM steps WHERE run_id = ? AND step_id = 'deploy'`).get(id) as { status: string; detail: string } | undefined)
        ?.status === 'waiting'
        ? id
        : undefined;
    }, 'b to wait');
    expect((await first).exitCode).toBe(0);
    expect((await second).exitCode).toBe(0);
    const t = intervals(ws);
    expect(t.b!.start).toBeGreaterThanOrEqual(t.a!.end);
    const events = readEvents(ws.stateDir, waiting);
    expect(oneEvent(events, 'step_waiting', 'deploy')).toMatchObject({ mutex: 'deploy-prod', holder_step_id: 'deploy' });
    const started = oneEvent(events, 'step_started', 'deploy');
    // The wait for the mutex is part of the step's measured ready-to-start wait.
    expect(started.started_at_ms - started.ready_at_ms).toBeGreaterThan(300);
  });

  it('is freed when the holding engine is killed with -9, after its step was stopped', async () => {
    const ws = workspace();
    const a = ws.writePlan(plan([guarded('a', 30, { mutex: 'm' })], { plan_id: 'a' }), 'a.json');
    const b = ws.writePlan(plan([guarded('b', 0.1, { mutex: 'm' })], { plan_id: 'b' }), 'b.json');
    const holder = ws.engine(['run', a]);
    await waitFor(() => existsSync(join(ws.dir, 'mutex.log')), 'a to start');
    const waiter = ws.engine(['run', b]);
    await new Promise((r) => setTimeout(r, 500));
    holder.kill('SIGKILL');
    await holder;
    const r = await waiter;
    expect(r.exitCode, r.all).toBe(0);
    const log = readFileSync(join(ws.dir, 'mutex.log'), 'utf8');
    expect(log).toMatch(/^b start/m);
    expect(log).not.toMatch(/^a end/m); // a's step was killed by the recovery, not left running
  }, 60_000);
});

describe('a run mutex (globals.mutex)', () => {
  const runMutexPlans = (ws: Workspace, onBusy: string) => ({
    a: ws.writePlan(plan([guarded('a', 1.5)], { plan_id: 'a', globals: { mutex: 'release' } }), 'a.json'),
    b: ws.writePlan(plan([guarded('b', 0.1)], { plan_id: 'b', globals: { mutex: 'release', on_mutex_busy: onBusy } }), 'b.json'),
  });

  it('wait: the second run waits, then runs after the first', async () => {
    const ws = workspace();
    const { a, b } = runMutexPlans(ws, 'wait');
    const first = ws.engine(['run', a]);
    await waitFor(() => existsSync(join(ws.dir, 'mutex.log')), 'a to start');
    const before = new Set(runIds(ws.stateDir));
    const r = await ws.engine(['run', b]);
    expect(r.exitCode, r.all).toBe(0);
    expect((await first).exitCode).toBe(0);
    const t = intervals(ws);
    expect(t.b!.start).toBeGreaterThanOrEqual(t.a!.end);
    expect(oneEvent(readEvents(ws.stateDir, newestRun(ws, before)!), 'run_waiting')).toMatchObject({ mutex: 'release', holder_step_id: null });
  });

  it('fail: the second run fails at once with exit 1, naming who holds it', async () => {
    const ws = workspace();
    const { a, b } = runMutexPlans(ws, 'fail');
    const first = ws.engine(['run', a]);
    await waitFor(() => existsSync(join(ws.dir, 'mutex.log')), 'a to start');
    const before = new Set(runIds(ws.stateDir));
    const r = await ws.engine(['run', b]);
    expect(r.exitCode).toBe(1);
    const holderRun = runIds(ws.stateDir).find((id) => before.has(id))!;
    expect(r.all).toContain(holderRun);
    const finished = oneEvent(readEvents(ws.stateDir, newestRun(ws, before)!), 'run_finished');
    expect(finished).toMatchObject({ status: 'failed', reason: 'mutex_busy' });
    expect(finished.detail).toContain(holderRun);
    expect(eventsOf(readEvents(ws.stateDir, newestRun(ws, before)!), 'step_started')).toHaveLength(0);
    expect((await first).exitCode).toBe(0);
  });

  it('cancel_other: the second run cancels the running holder, then runs', async () => {
    const ws = workspace();
    const { a, b } = runMutexPlans(ws, 'cancel_other');
    const first = ws.engine(['run', a]);
    await waitFor(() => existsSync(join(ws.dir, 'mutex.log')), 'a to start');
    const r = await ws.engine(['run', b]);
    expect(r.exitCode, r.all).toBe(0);
    expect((await first).exitCode).toBe(130);
    const t = intervals(ws);
    expect(Number.isNaN(t.a!.end)).toBe(true); // a's step was stopped
    expect(t.b!.start).toBeGreaterThan(t.a!.start);
  });
});
