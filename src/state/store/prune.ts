/**
 * `engine prune`: deletes old runs, their rows in runs.db and their directories under `runs/`.
 * The one writer of runs.db that is not an event (docs/runs-db.md, "Pruning"): deleting a
 * run's record is not something that happens in the run.
 *
 * Never a live run: only runs whose status is not `running` (the command runs crash recovery
 * first, so a run whose engine died is `interrupted` by then), checked again inside the
 * deleting transaction, so a run resumed meanwhile is left alone. Crash-safe: every chosen
 * run's directory gets a `.pruning` mark first; one `BEGIN IMMEDIATE` transaction deletes the
 * rows of all of them; only then are the directories removed. A crash before the commit
 * leaves every run whole (the marks are dropped by the next prune); after it, directories
 * with a mark and no row, which the next prune removes.
 */
import { existsSync, lstatSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunStatus } from '../../engine/status.js';
import { RUNS_DIR, runDir, runsDbPath } from './paths.js';
import { closeRunsDb, openRunsDb, type RunsDb } from './runs-db.js';

export interface PruneCriteria {
  /** Keep the newest N runs (among those of `status`, when given). */
  keep?: number;
  /** Only runs started before this ISO 8601 UTC time. */
  startedBefore?: string;
  status?: RunStatus;
}

export interface PrunedRun {
  run_id: string;
  plan_id: string;
  status: RunStatus;
  started_at: string;
  /** Bytes of its directory (events.jsonl and logs). */
  bytes: number;
  /** Its rows in `events`. */
  events: number;
}

/** A directory's mark while its run is being pruned. */
const MARK = '.pruning';

/** Tables of a run's record, whose rows go with it; `runs` itself last. The lock state and
 * caches (mutexes, fingerprints, file hashes) are not a run's record and stay. */
const RUN_TABLES = ['events', 'attempts', 'steps', 'outputs'] as const;

/**
 * The runs `criteria` choose, newest first, with their sizes; and, unless `dryRun`, deletes
 * them. A state directory without runs.db has nothing to prune.
 */
export function pruneRuns(stateDir: string, criteria: PruneCriteria, dryRun: boolean): PrunedRun[] {
  const path = runsDbPath(stateDir);
  if (!existsSync(path)) return [];
  const db = openRunsDb(path, dryRun ? { readonly: true } : {});
  try {
    if (!dryRun) finishEarlierPrune(db, stateDir);
    const chosen = choose(db, stateDir, criteria);
    if (dryRun || chosen.length === 0) return chosen;
    for (const r of chosen) mark(stateDir, r.run_id);
    const deleted = deleteRows(db, chosen.map((r) => r.run_id));
    for (const r of chosen) {
      if (deleted.has(r.run_id)) rmSync(runDir(stateDir, r.run_id), { recursive: true, force: true });
      else rmSync(join(runDir(stateDir, r.run_id), MARK), { force: true });
    }
    return chosen.filter((r) => deleted.has(r.run_id));
  } finally {
    closeRunsDb(db);
  }
}

/**
 * Top-level runs only (`keep` and `status` count them); each chosen run brings its child runs
 * (issue 13: the runs of its plan steps, recursively), listed right after it: a child run is
 * part of its parent's record (`engine show` links it, a resumed parent resumes it), so it is
 * never pruned alone.
 */
function choose(db: RunsDb, stateDir: string, c: PruneCriteria): PrunedRun[] {
  const where: string[] = ['parent_run_id IS NULL'];
  const params: Record<string, unknown> = { keep: c.keep ?? 0 };
  if (c.status !== undefined) {
    where.push('status = @status');
    params.status = c.status;
  }
  const rows = db
    .prepare(
      `SELECT run_id, plan_id, status, started_at, last_seq AS events FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY started_at DESC, run_id DESC LIMIT -1 OFFSET @keep`,
    )
    .all(params) as Omit<PrunedRun, 'bytes'>[];
  const descendants = db.prepare(
    `WITH RECURSIVE d(run_id) AS (SELECT run_id FROM runs WHERE parent_run_id = ? UNION ALL SELECT r.run_id FROM runs r JOIN d ON r.parent_run_id = d.run_id)
     SELECT runs.run_id, plan_id, status, started_at, last_seq AS events FROM runs JOIN d USING (run_id) ORDER BY started_at, run_id`,
  );
  return rows
    .filter((r) => r.status !== 'running' && (c.startedBefore === undefined || r.started_at < c.startedBefore))
    .flatMap((r) => {
      const family = [r, ...(descendants.all(r.run_id) as Omit<PrunedRun, 'bytes'>[])];
      // A family with a live member (a child run resumed on its own) is left whole.
      return family.some((m) => m.status === 'running') ? [] : family;
    })
    .map((r) => ({ ...r, bytes: treeBytes(runDir(stateDir, r.run_id)) }));
}

/** Deletes the rows of the runs that are still not running; returns their ids. */
function deleteRows(db: RunsDb, runIds: readonly string[]): Set<string> {
  const status = db.prepare('SELECT status FROM runs WHERE run_id = ?').pluck();
  const deletes = [...RUN_TABLES, 'runs'].map((t) => db.prepare(`DELETE FROM ${t} WHERE run_id = ?`));
  const deleted = new Set<string>();
  db.transaction(() => {
    for (const id of runIds) {
      const s = status.get(id) as string | undefined;
      if (s === undefined || s === 'running') continue;
      for (const d of deletes) d.run(id);
      deleted.add(id);
    }
  }).immediate();
  return deleted;
}

/** What a prune that crashed left: marked directories of deleted runs (removed), marks on whole runs (dropped). */
function finishEarlierPrune(db: RunsDb, stateDir: string): void {
  const dir = join(stateDir, RUNS_DIR);
  if (!existsSync(dir)) return;
  const known = db.prepare('SELECT 1 FROM runs WHERE run_id = ?').pluck();
  for (const name of readdirSync(dir)) {
    if (!existsSync(join(dir, name, MARK))) continue;
    if (known.get(name) === undefined) rmSync(join(dir, name), { recursive: true, force: true });
    else rmSync(join(dir, name, MARK), { force: true });
  }
}

function mark(stateDir: string, runId: string): void {
  const dir = runDir(stateDir, runId);
  if (existsSync(dir)) writeFileSync(join(dir, MARK), '');
}

/** Bytes of the files under `path` (0 when it does not exist); symbolic links are not followed. */
function treeBytes(path: string): number {
  let total = 0;
  const stack = [path];
  while (stack.length > 0) {
    const p = stack.pop()!;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) for (const name of readdirSync(p)) stack.push(join(p, name));
    else total += st.size;
  }
  return total;
}
