/**
 * Reading what a run left behind in a state directory, as an outside program would: the run
 * directories, `runs/<run_id>/events.jsonl` (events typed as {@link EngineEvent}), `runs.db`
 * (opened read-only with better-sqlite3; rows typed as in src/query/runs-reader.ts) and the
 * step log files.
 *
 * Every function takes a {@link StateSource}: a state directory's path, or anything with a
 * `stateDir` (a Workspace of ./cli.ts, the Repos of ./git-repo.ts). Where a run id is
 * optional, it defaults to the newest run ({@link lastRunId}).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EngineEvent } from '../../src/engine/events.js';
import type { AttemptRow, RunRow, StepRow } from '../../src/query/runs-reader.js';

/** The event union and the runs.db row types, re-exported for tests that read records. */
export type { AttemptRow, EngineEvent, RunRow, StepRow };

/** A state directory: its path, or an object that has one (a Workspace, Repos). */
export type StateSource = string | { readonly stateDir: string };

/** The state directory's path of a {@link StateSource}. */
export function stateDirOf(src: StateSource): string {
  return typeof src === 'string' ? src : src.stateDir;
}

/** ISO 8601 UTC with milliseconds, as every event's `ts`. */
export const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// ---------------------------------------------------------------------------------------------
// Run ids

/**
 * Run ids that have a directory under `<state>/runs`, sorted (ids sort by start time).
 * @returns an empty list while there is no `runs` directory.
 */
export function runIds(src: StateSource): string[] {
  const dir = join(stateDirOf(src), 'runs');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The id of the only run of a state directory; throws when there is not exactly one. */
export function onlyRunId(src: StateSource): string {
  const ids = runIds(src);
  if (ids.length !== 1) {
    throw new Error(`expected exactly one run in ${stateDirOf(src)}, found ${ids.length}: ${ids.join(', ')}`);
  }
  return ids[0]!;
}

/** The id of the newest run of a state directory; throws when there is none. */
export function lastRunId(src: StateSource): string {
  const ids = runIds(src);
  if (ids.length === 0) throw new Error(`no run under ${join(stateDirOf(src), 'runs')}`);
  return ids.at(-1)!;
}

/**
 * Run ids recorded in runs.db, oldest first (by `started_at`, then id).
 * @returns an empty list while there is no runs.db.
 */
export function runIdsInDb(src: StateSource): string[] {
  if (!existsSync(runsDbPath(src))) return [];
  return withRunsDb(src, (db) =>
    (db.prepare('SELECT run_id FROM runs ORDER BY started_at, run_id').all() as { run_id: string }[]).map((r) => r.run_id),
  );
}

/**
 * What a state directory records at all.
 * @returns `dirs`, the run directories ({@link runIds}), and `dbRuns`, the number of rows of
 * `runs` (0 without runs.db).
 */
export function recordedRuns(src: StateSource): { dirs: string[]; dbRuns: number } {
  const dirs = runIds(src);
  const dbRuns = existsSync(runsDbPath(src))
    ? withRunsDb(src, (db) => (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n)
    : 0;
  return { dirs, dbRuns };
}

// ---------------------------------------------------------------------------------------------
// events.jsonl

/** Path of a run's `events.jsonl`. */
export function eventsPath(src: StateSource, runId: string): string {
  return join(stateDirOf(src), 'runs', runId, 'events.jsonl');
}

/** Raw text of a run's events.jsonl (the file must exist). */
export function readEventsText(src: StateSource, runId = lastRunId(src)): string {
  return readFileSync(eventsPath(src, runId), 'utf8');
}

/**
 * A run's events.jsonl, line by line. Throws when the file is missing, or not empty and not
 * ending with a newline (a torn last line).
 * @returns `lines`, the lines without their newline, and `events`, each line parsed.
 */
export function readJsonl(src: StateSource, runId = lastRunId(src)): { lines: string[]; events: EngineEvent[] } {
  const text = readEventsText(src, runId);
  if (text !== '' && !text.endsWith('\n')) throw new Error('events.jsonl does not end with a newline');
  const lines = text === '' ? [] : text.slice(0, -1).split('\n');
  return { lines, events: lines.map((l) => JSON.parse(l) as EngineEvent) };
}

/** Every event of a run, parsed from its events.jsonl, in file order (see {@link readJsonl}). */
export function readEvents(src: StateSource, runId = lastRunId(src)): EngineEvent[] {
  return readJsonl(src, runId).events;
}

/** Events of one type (narrowed to it), optionally of one step, in their order. */
export function eventsOf<T extends EngineEvent['type']>(
  events: readonly EngineEvent[],
  type: T,
  stepId?: string,
): Extract<EngineEvent, { type: T }>[] {
  return events.filter(
    (e) => e.type === type && (stepId === undefined || (e as { step_id?: string }).step_id === stepId),
  ) as Extract<EngineEvent, { type: T }>[];
}

/** The single event of a type (of a step); throws when there is not exactly one. */
export function oneEvent<T extends EngineEvent['type']>(
  events: readonly EngineEvent[],
  type: T,
  stepId?: string,
): Extract<EngineEvent, { type: T }> {
  const found = eventsOf(events, type, stepId);
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${stepId ? ` of ${stepId}` : ''}, found ${found.length}`);
  }
  return found[0]!;
}

/**
 * The final status of every step of `run_started`, from the events.
 * @returns step id → `succeeded`, `failed`, `skipped`, `cancelled`, or `pending` if it never ended.
 */
export function finalStatuses(events: readonly EngineEvent[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) {
    if (e.type === 'run_started') for (const s of e.steps) out[s.id] = 'pending';
    if (e.type === 'step_succeeded') out[e.step_id] = 'succeeded';
    if (e.type === 'step_failed' && !e.will_retry) out[e.step_id] = 'failed';
    if (e.type === 'step_skipped') out[e.step_id] = 'skipped';
    if (e.type === 'step_cancelled') out[e.step_id] = 'cancelled';
  }
  return out;
}

/** An event's `ts` as milliseconds since the epoch. */
export function tsMs(e: { ts: string }): number {
  return Date.parse(e.ts);
}

// ---------------------------------------------------------------------------------------------
// runs.db

/** Path of a state directory's runs.db. */
export function runsDbPath(src: StateSource): string {
  return join(stateDirOf(src), 'runs.db');
}

/**
 * Opens an SQLite file read-only (it must exist), as another program would.
 * @returns the connection; close it when done.
 */
export function openDbFileReadonly(path: string): Database.Database {
  return new Database(path, { readonly: true, fileMustExist: true });
}

/**
 * Opens a state directory's runs.db read-only (it must exist).
 * @returns the connection; close it when done (or use {@link withRunsDb}).
 */
export function openRunsDbReadonly(src: StateSource): Database.Database {
  return openDbFileReadonly(runsDbPath(src));
}

/** Runs `fn` with a read-only connection to runs.db, then closes it; returns what `fn` returns. */
export function withRunsDb<T>(src: StateSource, fn: (db: Database.Database) => T): T {
  const db = openRunsDbReadonly(src);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** A run's row of `runs` (at run time undefined when there is none, which the type leaves out). */
export function runRow(src: StateSource, runId = lastRunId(src)): RunRow {
  return withRunsDb(src, (db) => db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunRow);
}

/** `runs.status` of a run, or undefined when runs.db or the row does not exist. */
export function runStatus(src: StateSource, runId: string): string | undefined {
  if (!existsSync(runsDbPath(src))) return undefined;
  return withRunsDb(
    src,
    (db) => (db.prepare('SELECT status FROM runs WHERE run_id = ?').get(runId) as { status: string } | undefined)?.status,
  );
}

/** A run's rows of `steps`, by step id (in `position` order). */
export function stepRows(src: StateSource, runId = lastRunId(src)): Record<string, StepRow> {
  return withRunsDb(src, (db) => {
    const rows = db.prepare('SELECT * FROM steps WHERE run_id = ? ORDER BY position').all(runId) as StepRow[];
    return Object.fromEntries(rows.map((r) => [r.step_id, r]));
  });
}

/** The rows of `attempts` of one step of a run, by attempt number. */
export function attemptRows(src: StateSource, stepId: string, runId = lastRunId(src)): AttemptRow[] {
  return withRunsDb(
    src,
    (db) =>
      db
        .prepare('SELECT * FROM attempts WHERE run_id = ? AND step_id = ? ORDER BY attempt')
        .all(runId, stepId) as AttemptRow[],
  );
}

/** The `data` column of a run's rows of `events` (each an events.jsonl line), in seq order. */
export function dbEventLines(src: StateSource, runId: string): string[] {
  return withRunsDb(src, (db) =>
    (db.prepare('SELECT data FROM events WHERE run_id = ? ORDER BY seq').all(runId) as { data: string }[]).map((r) => r.data),
  );
}

/** A run's status, exit code and steps, from runs.db. */
export interface RunRecord {
  status: string;
  exitCode: number | null;
  /** step_id → its row. */
  steps: Record<string, StepRow>;
}

/** A run's {@link RunRecord}; throws when runs.db has no row for it. */
export function runRecord(src: StateSource, runId: string): RunRecord {
  const run = runRow(src, runId) as RunRow | undefined;
  if (!run) throw new Error(`no run ${runId} in runs.db`);
  return { status: run.status, exitCode: run.exit_code, steps: stepRows(src, runId) };
}

/** step_id → status, of a {@link RunRecord}. */
export function stepStatuses(record: RunRecord): Record<string, string> {
  return Object.fromEntries(Object.entries(record.steps).map(([id, r]) => [id, r.status]));
}

/**
 * Every non-null value in every column of every table of runs.db.
 * @returns `table.column: value` strings (blobs as latin1 text).
 */
export function dumpRunsDbText(src: StateSource): string[] {
  return withRunsDb(src, (db) => {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    const out: string[] = [];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
        for (const [col, v] of Object.entries(row)) {
          if (v === null || v === undefined) continue;
          out.push(`${name}.${col}: ${Buffer.isBuffer(v) ? v.toString('latin1') : String(v)}`);
        }
      }
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Log files

/** Path of the log file of one attempt of a step: `runs/<run_id>/logs/<step>.<attempt>.log`. */
export function logPath(src: StateSource, runId: string, stepId: string, attempt: number): string {
  return join(stateDirOf(src), 'runs', runId, 'logs', `${stepId}.${attempt}.log`);
}

/** Names of a run's log files (`<step>.<attempt>.log`), sorted; empty without a logs directory. */
export function logFiles(src: StateSource, runId = lastRunId(src)): string[] {
  const dir = join(stateDirOf(src), 'runs', runId, 'logs');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Text of the log of one attempt (default 1) of a step; the file must exist. */
export function readLog(src: StateSource, stepId: string, attempt = 1, runId = lastRunId(src)): string {
  return readFileSync(logPath(src, runId, stepId, attempt), 'utf8');
}
