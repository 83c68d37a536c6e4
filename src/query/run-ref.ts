/**
 * The ways a command names a run (`RUN` of `show`, `logs`, `resume`, `cancel`): its full id,
 * a unique prefix of it, a unique suffix (the random part: `4f2a9c`), `last` (the newest run),
 * `last~N` (the N-th before the newest) and `last-failed` (the newest failed run). `last…`
 * counts only runs that are not child runs of a plan step (issue 13): `engine resume last` after
 * a failed run resumes it, not the child run it started last. A reference that names no run,
 * or several, is a UserError listing the close matches.
 */
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { editDistance } from '../schema/did-you-mean.js';
import type { RunsDb } from '../state/store/runs-db.js';
import { formatLocalTime } from './format.js';
import type { RunRow } from './runs-reader.js';

/** Candidates listed when a reference is ambiguous or names nothing. */
const MAX_CANDIDATES = 10;
/** Runs compared with a reference that names nothing, for close matches (the newest ones). */
const CLOSE_MATCH_POOL = 2000;

const NEWEST = 'ORDER BY started_at DESC, run_id DESC';

/**
 * The run `ref` names.
 * @throws UserError (exit 2) when no run matches or several do (the message lists them, newest first)
 */
export function resolveRunRef(db: RunsDb, ref: string, stateDir: string): RunRow {
  const relative = /^last(?:~(\d+))?$/.exec(ref);
  if (relative) {
    const back = relative[1] === undefined ? 0 : Number(relative[1]);
    const row = db.prepare(`SELECT * FROM runs WHERE parent_run_id IS NULL ${NEWEST} LIMIT 1 OFFSET ?`).get(back) as RunRow | undefined;
    if (row) return row;
    const n = (db.prepare('SELECT count(*) AS n FROM runs WHERE parent_run_id IS NULL').get() as { n: number }).n;
    if (n === 0) throw new UserError(`no runs yet in ${stateDir}`, ExitCode.usage);
    throw new UserError(`"${ref}": there ${n === 1 ? 'is only 1 run' : `are only ${n} runs`} in ${stateDir} (last~${n - 1} is the oldest)`, ExitCode.usage);
  }
  if (ref === 'last-failed') {
    const row = db.prepare(`SELECT * FROM runs WHERE status = 'failed' AND parent_run_id IS NULL ${NEWEST} LIMIT 1`).get() as RunRow | undefined;
    if (row) return row;
    throw new UserError(`no failed run in ${stateDir}`, ExitCode.usage);
  }
  const exact = db.prepare('SELECT * FROM runs WHERE run_id = ?').get(ref) as RunRow | undefined;
  if (exact) return exact;
  const matches = ref === '' ? [] : byPrefixOrSuffix(db, ref);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    const more = matches.length > MAX_CANDIDATES ? '\n  … and more; give more of the id' : '';
    const kind = matches.every((r) => r.run_id.startsWith(ref)) ? 'prefix' : matches.every((r) => r.run_id.endsWith(ref)) ? 'suffix' : 'prefix or suffix';
    throw new UserError(`run id ${kind} "${ref}" is ambiguous; it matches:\n${listRuns(matches.slice(0, MAX_CANDIDATES))}${more}`, ExitCode.usage);
  }
  const close = closeMatches(db, ref);
  const hint = close.length > 0 ? `; close matches:\n${listRuns(close)}` : ' (engine runs lists recent runs)';
  throw new UserError(`no run matches "${ref}" in ${stateDir}${hint}`, ExitCode.usage);
}

/** Runs whose id starts with `ref` (a range on the primary key) or ends with it, newest first. */
function byPrefixOrSuffix(db: RunsDb, ref: string): RunRow[] {
  const prefixed = (
    db
      .prepare(`SELECT * FROM runs WHERE run_id >= @lo AND run_id < @hi ${NEWEST} LIMIT @n`)
      .all({ lo: ref, hi: `${ref}\u{10FFFF}`, n: MAX_CANDIDATES + 1 }) as RunRow[]
  ).filter((r) => r.run_id.startsWith(ref));
  // A suffix (the random part) cannot use the key's order: a scan, cheap next to what a person types.
  const suffixed = db
    .prepare(`SELECT * FROM runs WHERE substr(run_id, -length(@ref)) = @ref ${NEWEST} LIMIT @n`)
    .all({ ref, n: MAX_CANDIDATES + 1 }) as RunRow[];
  const seen = new Set<string>();
  return [...prefixed, ...suffixed].filter((r) => !seen.has(r.run_id) && seen.add(r.run_id));
}

/** Up to a few recent runs whose id is closest to `ref` (edit distance on the same length). */
function closeMatches(db: RunsDb, ref: string): RunRow[] {
  if (ref.length < 3) return [];
  const rows = db.prepare(`SELECT * FROM runs ${NEWEST} LIMIT ?`).all(CLOSE_MATCH_POOL) as RunRow[];
  const scored = rows
    .map((r) => ({ r, d: distanceToPart(ref, r.run_id) }))
    .filter((x) => x.d <= Math.max(1, Math.floor(ref.length / 4)))
    .sort((a, b) => a.d - b.d);
  return scored.slice(0, 5).map((x) => x.r);
}

/** Smallest edit distance between `ref` and the id's prefix, suffix or whole of `ref`'s length. */
function distanceToPart(ref: string, id: string): number {
  const n = ref.length;
  return Math.min(editDistance(ref, id.slice(0, n)), editDistance(ref, id.slice(-n)), editDistance(ref, id));
}

function listRuns(rows: readonly RunRow[]): string {
  return rows.map((r) => `  ${r.run_id}  ${r.plan_id}  ${r.status}  ${formatLocalTime(r.started_at)}`).join('\n');
}
