/**
 * What earlier runs tell a new one (the console's RunHistory): each step's median duration in
 * the latest runs of the same plan, for the status area's ETA, and the recorded attempts and
 * durations of the steps a resumed run keeps. Read-only, one short read each.
 */
import type { RunHistory } from '../state/sinks/console-sink.js';
import type { RunsDb } from '../state/store/runs-db.js';
import { openRunsDbForReading, using } from './runs-reader.js';

/** Earlier runs of the plan whose durations count. */
const HISTORY_RUNS = 10;

/**
 * The history of `planId` for the run `runId` (which itself is left out of the medians);
 * empty when there is no runs.db yet.
 */
export function runHistory(stateDir: string, planId: string, runId: string, opts: { medians: boolean; kept: boolean }): RunHistory {
  const empty: RunHistory = { medianMs: new Map(), kept: new Map() };
  if (!opts.medians && !opts.kept) return empty;
  const db = openRunsDbForReading(stateDir);
  if (!db) return empty;
  return using(db, (d) => ({
    medianMs: opts.medians ? stepMedians(d, planId, runId) : new Map(),
    kept: opts.kept ? keptSteps(d, runId) : new Map(),
  }));
}

/** Median duration of each step's succeeded attempts in the latest finished runs of the plan. */
function stepMedians(db: RunsDb, planId: string, runId: string): Map<string, number> {
  const rows = db
    .prepare(
      `SELECT a.step_id AS step_id, a.duration_ms AS duration_ms
       FROM attempts a
       JOIN (SELECT run_id FROM runs WHERE plan_id = @plan AND run_id != @run AND status != 'running'
             ORDER BY started_at DESC LIMIT @n) r ON r.run_id = a.run_id
       WHERE a.status = 'succeeded' AND a.duration_ms IS NOT NULL`,
    )
    .all({ plan: planId, run: runId, n: HISTORY_RUNS }) as { step_id: string; duration_ms: number }[];
  const byStep = new Map<string, number[]>();
  for (const r of rows) {
    const list = byStep.get(r.step_id);
    if (list) list.push(r.duration_ms);
    else byStep.set(r.step_id, [r.duration_ms]);
  }
  const out = new Map<string, number>();
  for (const [id, list] of byStep) {
    list.sort((a, b) => a - b);
    const mid = list.length >> 1;
    out.set(id, list.length % 2 === 1 ? list[mid]! : (list[mid - 1]! + list[mid]!) / 2);
  }
  return out;
}

/** The succeeded steps of a run with their attempts and the total of their attempts' durations. */
function keptSteps(db: RunsDb, runId: string): RunHistory['kept'] {
  const rows = db
    .prepare(
      `SELECT s.step_id AS step_id, s.attempts AS attempts, s.duration_ms AS last_ms,
              (SELECT sum(a.duration_ms) FROM attempts a WHERE a.run_id = s.run_id AND a.step_id = s.step_id) AS total_ms
       FROM steps s WHERE s.run_id = ? AND s.status = 'succeeded'`,
    )
    .all(runId) as { step_id: string; attempts: number; last_ms: number | null; total_ms: number | null }[];
  return new Map(rows.map((r) => [r.step_id, { attempts: r.attempts, durationMs: r.last_ms, totalMs: r.total_ms ?? r.last_ms ?? 0 }]));
}
