/**
 * runs.db written by the previous release (user_version 1, before outputs, instances and child
 * runs) is migrated in place to user_version 2 by this engine, keeping every recorded row.
 * The fixture test/fixtures/runs-v1.db was written by release b0a1dfa: two runs of a 3-step plan
 * (`release_v1` version 3: hello succeeded, check failed with exit code 3, after cancelled).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { engineQ, plan, workspacesForThisFile } from '../helpers/cli.js';
import { openDbFileReadonly } from '../helpers/record.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/runs-v1.db', import.meta.url));
const OLD_RUNS = ['20261203T084523956Z-5c7372', '20261203T084523377Z-ef77bf'];
const workspace = workspacesForThisFile('engine-migrate-');

function rowsOf(dbPath: string): { runs: unknown[]; steps: unknown[]; attempts: unknown[]; events: number } {
  const db = openDbFileReadonly(dbPath);
  try {
    return {
      runs: db.prepare('SELECT run_id, plan_id, plan_version, status, started_at, finished_at, steps_total FROM runs ORDER BY run_id').all(),
      steps: db.prepare('SELECT run_id, step_id, status, attempts FROM steps ORDER BY run_id, step_id').all(),
      attempts: db.prepare('SELECT run_id, step_id, attempt, exit_code FROM attempts ORDER BY run_id, step_id, attempt').all(),
      events: db.prepare('SELECT count(*) FROM events').pluck().get() as number,
    };
  } finally {
    db.close();
  }
}

describe('runs.db from the previous release (user_version 1)', () => {
  it('is migrated in place to user_version 2 by the next run, keeping every run, step, attempt and event', async () => {
    const ws = workspace();
    mkdirSync(ws.stateDir, { recursive: true });
    const dbPath = join(ws.stateDir, 'runs.db');
    copyFileSync(FIXTURE, dbPath);
    const v1 = openDbFileReadonly(dbPath);
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    v1.close();
    const before = rowsOf(dbPath);
    expect(before.runs).toHaveLength(2);
    expect(before.events).toBeGreaterThan(10);

    const file = ws.writePlan(
      plan([
        { id: 'produce', command: 'sh', args: ['-c', 'echo "version=4.5.6" >> "$ENGINE_OUTPUT"'] },
        { id: 'use', depends_on: ['produce'], command: 'echo', args: ['v${steps.produce.outputs.version}'] },
      ]),
    );
    const r = await ws.engine(['run', file]);
    expect(r.exitCode, r.all).toBe(0);

    const db = openDbFileReadonly(dbPath);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(2);
      // The old rows are all there, unchanged, and read with the new columns' defaults.
      const after = rowsOf(dbPath);
      expect(after.runs.filter((x) => OLD_RUNS.includes((x as { run_id: string }).run_id))).toEqual(before.runs);
      expect(after.steps.filter((x) => OLD_RUNS.includes((x as { run_id: string }).run_id))).toEqual(before.steps);
      expect(after.attempts.filter((x) => OLD_RUNS.includes((x as { run_id: string }).run_id))).toEqual(before.attempts);
      const old = db.prepare('SELECT parent_run_id FROM runs WHERE run_id = ?').get(OLD_RUNS[0]) as { parent_run_id: string | null };
      expect(old.parent_run_id).toBeNull();
      const oldStep = db.prepare('SELECT kind, instance_of, child_run_id FROM steps WHERE run_id = ? AND step_id = ?').get(OLD_RUNS[0], 'check');
      expect(oldStep).toEqual({ kind: 'command', instance_of: null, child_run_id: null });
      // The new run's outputs are recorded in the new table.
      expect(db.prepare('SELECT step_id, key, value FROM outputs').all()).toEqual([{ step_id: 'produce', key: 'version', value: '4.5.6' }]);
    } finally {
      db.close();
    }

    // History from before the migration still reads as it did.
    const show = await engineQ(ws, ['show', OLD_RUNS[1]!, '--json']);
    expect(show.exitCode, show.all).toBe(0);
    const shown = JSON.parse(show.stdout) as { run: { status: string; plan_id: string }; steps: { step_id: string; status: string; outputs?: unknown }[] };
    expect(shown.run).toMatchObject({ status: 'failed', plan_id: 'release_v1' });
    expect(shown.steps.map((s) => [s.step_id, s.status])).toEqual([
      ['hello', 'succeeded'],
      ['check', 'failed'],
      ['after', 'cancelled'],
    ]);
    const runs = await engineQ(ws, ['runs']);
    expect(runs.exitCode, runs.all).toBe(0);
    for (const id of OLD_RUNS) expect(runs.stdout).toContain(id);
  });
});
