/**
 * The ancestor rule through the built CLI, at the level of the steps' own clocks: a cleanup
 * step (`all_done`) starts only after every ancestor that was running has really ended, when
 * the run is aborted, when a skipped join sits in between, on Ctrl-C and on `engine cancel`,
 * with a step that takes a while to stop after SIGTERM.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';

const workspace = workspacesForThisFile('engine-cleanup-');

/**
 * A step that appends `<id> start <epoch ms>` to times.txt, runs `body`, then appends `<id> end
 * <ms>`. On SIGTERM it takes `stopMs` to stop (recording `end` when it really stops).
 */
function timed(id: string, body: string, extra: Record<string, unknown> = {}, stopMs = 0): Record<string, unknown> {
  const rec = (what: string) => `echo "${id} ${what} $(date +%s%3N)" >> times.txt`;
  const onTerm = `trap 'sleep ${stopMs / 1000}; ${rec('end')}; exit 143' TERM`;
  // `sleep … & wait` so that the shell runs its TERM trap at once.
  const script = `${onTerm}; ${rec('start')}; ${body}; status=$?; ${rec('end')}; exit $status`;
  return { id, command: 'sh', args: ['-c', script], ...extra };
}

function times(ws: Workspace): Record<string, { start: number; end?: number }> {
  const out: Record<string, { start: number; end?: number }> = {};
  const file = join(ws.dir, 'times.txt');
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const [id, what, ms] = line.split(' ');
    const t = (out[id!] ??= { start: NaN });
    if (what === 'start') t.start = Number(ms);
    else t.end = Number(ms);
  }
  return out;
}

function setUp(steps: unknown[]): { ws: Workspace; path: string } {
  const ws = workspace();
  return { ws, path: ws.writePlan(plan(steps, { globals: { max_concurrency: 4, kill_grace_sec: 5 } })) };
}

describe('a cleanup step starts only after every running ancestor has ended', () => {
  it('when a failure aborts the run while a sibling branch still runs', async () => {
    const { ws, path } = setUp([
      timed('lock', 'true'),
      timed('work1', 'sleep 0.2; exit 1', { depends_on: ['lock'] }),
      timed('work2', 'sleep 1.5 & wait', { depends_on: ['lock'] }),
      timed('after', 'true', { depends_on: ['work1', 'work2'] }),
      timed('unlock', 'true', { depends_on: ['after'], trigger_rule: 'all_done' }),
    ]);
    const r = await ws.engine(['run', path]);
    expect(r.exitCode).toBe(1);
    const t = times(ws);
    expect(t.after).toBeUndefined();
    expect(t.work2!.end).toBeDefined();
    expect(t.unlock!.start).toBeGreaterThanOrEqual(t.work2!.end!);
  });

  it('when a skipped join sits between the cleanup and a sibling branch that still runs', async () => {
    const { ws, path } = setUp([
      timed('a', 'exit 1', { on_failure: 'skip_dependents' }),
      timed('b', 'sleep 1.5 & wait'),
      timed('join', 'true', { depends_on: ['a', 'b'] }),
      timed('teardown', 'true', { depends_on: ['join'], trigger_rule: 'all_done' }),
    ]);
    const r = await ws.engine(['run', path]);
    expect(r.exitCode).toBe(1);
    const t = times(ws);
    expect(t.join).toBeUndefined();
    expect(t.teardown!.start).toBeGreaterThanOrEqual(t.b!.end!);
  });

  for (const how of ['Ctrl-C', 'engine cancel'] as const) {
    it(`on ${how}, while the running step takes a second to stop after SIGTERM`, async () => {
      const { ws, path } = setUp([
        timed('lock', 'true'),
        timed('work', 'sleep 30 & wait', { depends_on: ['lock'] }, 1000),
        timed('after', 'true', { depends_on: ['work'] }),
        timed('unlock', 'true', { depends_on: ['after'], trigger_rule: 'all_done' }),
      ]);
      const run = ws.engine(['run', path]);
      await waitFor(() => times(ws).work?.start, 'the work step to start', { timeoutMs: 15_000 });
      if (how === 'Ctrl-C') run.kill('SIGINT');
      else expect((await ws.engine(['cancel', 'last', '--state-dir', ws.stateDir])).exitCode).toBe(0);
      const r = await run;
      expect(r.exitCode).toBe(130);
      const t = times(ws);
      expect(t.work!.end! - t.work!.start).toBeGreaterThanOrEqual(900);
      expect(t.after).toBeUndefined();
      expect(t.unlock!.start).toBeGreaterThanOrEqual(t.work!.end!);
    });
  }
});
