/**
 * Naming runs and keeping the state directory tidy (issue 15): every form of RUN (id, unique
 * prefix, unique suffix, last, last~N, last-failed) with close matches when none fits;
 * `engine runs` counting all runs and filtering with --since; `engine prune` deleting finished
 * runs, never a live one, and leaving runs.db intact.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { engineQ, engineResult, plan, runPlanFile, startRun, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { runIdsInDb, runsDbPath } from '../helpers/record.js';

const workspaces = workspacesForThisFile('engine-refs-');

/** `engine show REF`'s run id, or the error. */
async function shown(w: Workspace, ref: string): Promise<{ exitCode: number; runId: string | undefined; stderr: string }> {
  const r = await engineQ(w, ['show', ref, '--json']);
  const runId = r.exitCode === 0 ? (JSON.parse(r.stdout) as { run: { run_id: string } }).run.run_id : undefined;
  return { exitCode: r.exitCode ?? -1, runId, stderr: r.stderr };
}

describe('naming a run', () => {
  let w: Workspace;
  /** Oldest first: succeeded, failed, succeeded, failed, succeeded. */
  let ids: string[];

  beforeAll(async () => {
    w = workspaces();
    const ok = w.writePlan(plan([{ id: 'a', command: 'true' }]), 'ok.json');
    const bad = w.writePlan(plan([{ id: 'a', command: 'false' }]), 'bad.json');
    ids = [];
    for (const [p, exit] of [[ok, 0], [bad, 1], [ok, 0], [bad, 1], [ok, 0]] as const) ids.push(await runPlanFile(w, p, exit));
  });

  it('by its full id, a unique prefix and a unique suffix (the random part)', async () => {
    const id = ids[2]!;
    expect((await shown(w, id)).runId).toBe(id);
    expect((await shown(w, id.slice(0, -1))).runId).toBe(id);
    expect((await shown(w, id.slice(-6))).runId).toBe(id);
  });

  it('as last, last~N and last-failed', async () => {
    expect((await shown(w, 'last')).runId).toBe(ids[4]);
    expect((await shown(w, 'last~0')).runId).toBe(ids[4]);
    expect((await shown(w, 'last~1')).runId).toBe(ids[3]);
    expect((await shown(w, 'last~4')).runId).toBe(ids[0]);
    expect((await shown(w, 'last-failed')).runId).toBe(ids[3]);
    const logs = await engineQ(w, ['logs', 'last-failed', 'a']);
    expect(logs.exitCode).toBe(0);
  });

  it('says how many runs there are when last~N goes past the oldest', async () => {
    const r = await shown(w, 'last~5');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('there are only 5 runs');
  });

  it('lists the close matches of a reference that names no run', async () => {
    const suffix = ids[1]!.slice(-6);
    const typo = `${suffix.slice(0, 5)}${suffix[5] === '0' ? '1' : '0'}`;
    const r = await shown(w, typo);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`no run matches "${typo}"`);
    expect(r.stderr).toContain('close matches');
    expect(r.stderr).toContain(ids[1]);
  });

  it('lists the runs an ambiguous prefix matches', async () => {
    const r = await shown(w, ids[0]!.slice(0, 4));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('is ambiguous');
    for (const id of ids) expect(r.stderr).toContain(id);
  });

  it('engine runs says how many runs there are in all', async () => {
    const all = await engineQ(w, ['runs']);
    expect(all.stderr).toContain('5 of 5 runs');
    const some = await engineQ(w, ['runs', '--limit', '2']);
    expect(some.stderr).toContain('2 of 5 runs');
    const failed = await engineQ(w, ['runs', '--status', 'failed']);
    expect(failed.stderr).toContain('2 of 2 matching runs (5 in all)');
  });

  it('engine runs --since takes an age or a local date', async () => {
    const count = async (since: string): Promise<number> =>
      (JSON.parse((await engineQ(w, ['runs', '--since', since, '--json'])).stdout) as unknown[]).length;
    expect(await count('1h')).toBe(5);
    expect(await count('2000-01-01')).toBe(5);
    expect(await count('2999-01-01')).toBe(0);
    const none = await engineQ(w, ['runs', '--since', '2999-01-01']);
    expect(none.stderr).toContain('0 of 5 runs match');
    const bad = await engineQ(w, ['runs', '--since', 'yesterday']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday"');
  });
});

describe('engine prune', () => {
  const integrity = (w: Workspace): string => {
    const db = new Database(runsDbPath(w), { readonly: true });
    try {
      return db.pragma('integrity_check', { simple: true }) as string;
    } finally {
      db.close();
    }
  };

  it('deletes finished runs, their rows and directories, and never a live run', async () => {
    const w = workspaces();
    const quick = w.writePlan(plan([{ id: 'a', command: 'echo', args: ['some output'] }]), 'quick.json');
    const finished = [await runPlanFile(w, quick), await runPlanFile(w, quick), await runPlanFile(w, quick)];
    const { run, runId: live } = await startRun(w, w.writePlan(plan([{ id: 'wait', command: 'sleep', args: ['30'] }]), 'slow.json'), 'wait');
    try {
      const dry = await engineQ(w, ['prune', '--older-than', '0s', '--dry-run']);
      expect(dry.exitCode).toBe(0);
      expect(dry.stdout).toMatch(/would prune 3 runs \(\d+ events in runs\.db, [\d.]+ (B|KiB) of files\); nothing deleted/);
      expect(runIdsInDb(w)).toHaveLength(4);

      const r = await engineQ(w, ['prune', '--older-than', '0s', '--json']);
      expect(r.exitCode, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { dry_run: boolean; runs: { run_id: string }[]; bytes: number; events: number };
      expect(report.dry_run).toBe(false);
      expect(report.runs.map((x) => x.run_id).sort()).toEqual([...finished].sort());
      expect(report.bytes).toBeGreaterThan(0);
      expect(runIdsInDb(w)).toEqual([live]);
      for (const id of finished) expect(existsSync(join(w.stateDir, 'runs', id))).toBe(false);
      expect(existsSync(join(w.stateDir, 'runs', live, 'events.jsonl'))).toBe(true);
      expect(integrity(w)).toBe('ok');
      const db = new Database(runsDbPath(w), { readonly: true });
      for (const table of ['steps', 'attempts', 'events']) {
        const others = db.prepare(`SELECT count(*) FROM ${table} WHERE run_id != ?`).pluck().get(live);
        expect(others, table).toBe(0);
      }
      db.close();
    } finally {
      process.kill(run.pid!, 'SIGINT');
      expect((await engineResult(run)).exitCode).toBe(130);
    }
    const show = await engineQ(w, ['show', live]);
    expect(show.stdout).toMatch(/^status +cancelled/m);
  });

  it('keeps the newest N runs, of a status when given, and says what it freed', async () => {
    const w = workspaces();
    const ok = w.writePlan(plan([{ id: 'a', command: 'true' }]), 'ok.json');
    const bad = w.writePlan(plan([{ id: 'a', command: 'false' }]), 'bad.json');
    const ids = [await runPlanFile(w, bad, 1), await runPlanFile(w, ok), await runPlanFile(w, bad, 1), await runPlanFile(w, bad, 1)];
    const failedOnly = await engineQ(w, ['prune', '--status', 'failed', '--keep', '1']);
    expect(failedOnly.exitCode).toBe(0);
    expect(failedOnly.stdout).toMatch(/^pruned 2 runs \(/m);
    expect(runIdsInDb(w)).toEqual([ids[1], ids[3]]);
    const keepOne = await engineQ(w, ['prune', '--keep', '1']);
    expect(keepOne.stdout).toMatch(/^pruned 1 run \(/m);
    expect(runIdsInDb(w)).toEqual([ids[3]]);
    expect(integrity(w)).toBe('ok');
    expect((await engineQ(w, ['prune', '--keep', '1'])).stdout).toContain('nothing to prune');
  });

  it('prunes child runs of plan steps with their parent, never alone, and --keep counts top-level runs', async () => {
    const w = workspaces();
    w.writePlan(plan([{ id: 'c', command: 'true' }], { plan_id: 'child' }), 'child.json');
    const parent = w.writePlan(plan([{ id: 'sub', plan: 'child.json' }], { plan_id: 'parent' }), 'parent.json');
    const runParent = async (): Promise<string> => {
      const r = await w.engine(['run', parent]);
      expect(r.exitCode, r.all).toBe(0);
      return (JSON.parse((await engineQ(w, ['show', 'last', '--json'])).stdout) as { run: { run_id: string } }).run.run_id;
    };
    const first = await runParent();
    const second = await runParent();
    expect(first).not.toBe(second);
    expect(runIdsInDb(w)).toHaveLength(4);
    const kept = await engineQ(w, ['prune', '--keep', '1', '--json']);
    expect(kept.exitCode, kept.stderr).toBe(0);
    const report = JSON.parse(kept.stdout) as { runs: { run_id: string; plan_id: string }[] };
    // The older parent and its child run went; the newer parent kept its child run.
    expect(report.runs.map((r) => r.plan_id)).toEqual(['parent', 'child']);
    expect(report.runs[0]!.run_id).toBe(first);
    const left = runIdsInDb(w);
    expect(left).toHaveLength(2);
    expect(left).toContain(second);
    for (const r of report.runs) expect(existsSync(join(w.stateDir, 'runs', r.run_id))).toBe(false);
    expect(integrity(w)).toBe('ok');
  });

  it('without flags deletes every finished run (no question without a terminal)', async () => {
    const w = workspaces();
    const ok = w.writePlan(plan([{ id: 'a', command: 'true' }]));
    await runPlanFile(w, ok);
    await runPlanFile(w, ok);
    const r = await engineQ(w, ['prune']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^pruned 2 runs \(/m);
    expect(runIdsInDb(w)).toEqual([]);
    expect(integrity(w)).toBe('ok');
  });

  it('refuses to prune running runs and an age it cannot read', async () => {
    const w = workspaces();
    const running = await engineQ(w, ['prune', '--status', 'running']);
    expect(running.exitCode).toBe(2);
    const age = await engineQ(w, ['prune', '--older-than', 'a month']);
    expect(age.exitCode).toBe(2);
    expect(age.stderr).toContain('--older-than "a month"');
  });
});
