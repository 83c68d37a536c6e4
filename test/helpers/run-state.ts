/**
 * Reads what a finished `engine run` left behind in a workspace's state directory:
 * events.jsonl, runs.db (opened read-only with better-sqlite3) and the step log files.
 * Also small helpers for end-to-end tests: a step script that records its own start and end
 * times, interval overlap, and process liveness.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isProcessGone } from './state.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { Workspace } from './cli.js';

/** Id of the only run (or the newest, ids sort by start time) in the workspace's state dir. */
export function lastRunId(ws: Workspace): string {
  const dir = join(ws.stateDir, 'runs');
  const ids = existsSync(dir) ? readdirSync(dir).sort() : [];
  if (ids.length === 0) throw new Error(`no run under ${dir}`);
  return ids.at(-1)!;
}

/** Every event of the run, parsed from `runs/<run_id>/events.jsonl`, in file order. */
export function readEvents(ws: Workspace, runId = lastRunId(ws)): EngineEvent[] {
  return readEventsText(ws, runId)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as EngineEvent);
}

/** Raw text of the run's events.jsonl. */
export function readEventsText(ws: Workspace, runId = lastRunId(ws)): string {
  return readFileSync(join(ws.stateDir, 'runs', runId, 'events.jsonl'), 'utf8');
}

/** Events of one type (narrowed), optionally of one step. */
export function eventsOf<T extends EngineEvent['type']>(
  events: readonly EngineEvent[],
  type: T,
  stepId?: string,
): Extract<EngineEvent, { type: T }>[] {
  return events.filter(
    (e) => e.type === type && (stepId === undefined || (e as { step_id?: string }).step_id === stepId),
  ) as Extract<EngineEvent, { type: T }>[];
}

/** The single event of a type (for a step); throws when there is not exactly one. */
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

/** Final status of every step, from the events (`pending` if it never ended). */
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

/** Milliseconds since the epoch of an event's `ts`. */
export function tsMs(e: { ts: string }): number {
  return Date.parse(e.ts);
}

/** Opens `<state>/runs.db` read-only; close it when done (or use {@link withDb}). */
export function openRunsDb(ws: Workspace): Database.Database {
  return new Database(join(ws.stateDir, 'runs.db'), { readonly: true, fileMustExist: true });
}

/** Runs `fn` with runs.db open read-only and closes it afterwards. */
export function withDb<T>(ws: Workspace, fn: (db: Database.Database) => T): T {
  const db = openRunsDb(ws);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

import type { AttemptRow, RunRow, StepRow } from '../../src/query/runs-reader.js';

export type { AttemptRow, RunRow, StepRow };

export function runRow(ws: Workspace, runId = lastRunId(ws)): RunRow {
  return withDb(ws, (db) => db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunRow);
}

/** The run's `steps` rows by step id. */
export function stepRows(ws: Workspace, runId = lastRunId(ws)): Record<string, StepRow> {
  return withDb(ws, (db) => {
    const rows = db.prepare('SELECT * FROM steps WHERE run_id = ? ORDER BY position').all(runId) as StepRow[];
    return Object.fromEntries(rows.map((r) => [r.step_id, r]));
  });
}

/** The `attempts` rows of one step, by attempt number. */
export function attemptRows(ws: Workspace, stepId: string, runId = lastRunId(ws)): AttemptRow[] {
  return withDb(
    ws,
    (db) =>
      db
        .prepare('SELECT * FROM attempts WHERE run_id = ? AND step_id = ? ORDER BY attempt')
        .all(runId, stepId) as AttemptRow[],
  );
}

/** Every text value in every column of every table of runs.db, as `table.column: value`. */
export function dumpRunsDbText(ws: Workspace): string[] {
  return withDb(ws, (db) => {
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

/** Log files of the run (`<step>.<attempt>.log`), sorted. */
export function logFiles(ws: Workspace, runId = lastRunId(ws)): string[] {
  const dir = join(ws.stateDir, 'runs', runId, 'logs');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

export function readLog(ws: Workspace, stepId: string, attempt: number, runId = lastRunId(ws)): string {
  return readFileSync(join(ws.stateDir, 'runs', runId, 'logs', `${stepId}.${attempt}.log`), 'utf8');
}

// ---------------------------------------------------------------------------------------------
// A step that records its own times

/**
 * Writes `<ws.dir>/rec.mjs`, a step program: `node rec.mjs NAME SLEEP_MS [FAIL_BELOW_ATTEMPT]`.
 * It appends `{"attempt", "start", "end"}` (epoch ms, measured inside the step process) as one
 * JSON line to `<cwd>/times/NAME.jsonl`, sleeping SLEEP_MS in between, prints a line to its
 * log, and exits 1 while `$ENGINE_ATTEMPT` < FAIL_BELOW_ATTEMPT (else 0).
 * @returns a step factory: `rec(id, sleepMs, extra)` builds a plan step running it.
 */
export function recorderStep(ws: Workspace): (id: string, sleepMs: number, extra?: Record<string, unknown>) => Record<string, unknown> {
  const script = join(ws.dir, 'rec.mjs');
  writeFileSync(
    script,
    `import { appendFileSync, mkdirSync } from 'node:fs';
const [name, sleepMs, failBelow] = process.argv.slice(2);
const attempt = Number(process.env.ENGINE_ATTEMPT ?? 0);
const start = Date.now();
await new Promise((r) => setTimeout(r, Number(sleepMs)));
const code = failBelow !== undefined && attempt < Number(failBelow) ? 1 : 0;
console.log('step ' + name + ' attempt ' + attempt + ' exiting ' + code);
mkdirSync('times', { recursive: true });
appendFileSync('times/' + name + '.jsonl', JSON.stringify({ attempt, start, end: Date.now() }) + '\\n');
process.exit(code);
`,
  );
  return (id, sleepMs, extra = {}) => {
    const { failBelowAttempt, ...rest } = extra as { failBelowAttempt?: number };
    const args = [script, id, String(sleepMs)];
    if (failBelowAttempt !== undefined) args.push(String(failBelowAttempt));
    return { id, command: process.execPath, args, ...rest };
  };
}

export interface Interval {
  name: string;
  attempt: number;
  start: number;
  end: number;
}

/** Intervals recorded by {@link recorderStep} steps (all attempts), by step name. */
export function recordedTimes(ws: Workspace, cwd = ws.dir): Record<string, Interval[]> {
  const dir = join(cwd, 'times');
  const out: Record<string, Interval[]> = {};
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    const name = f.replace(/\.jsonl$/, '');
    out[name] = readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => ({ name, ...(JSON.parse(l) as { attempt: number; start: number; end: number }) }))
      .sort((a, b) => a.attempt - b.attempt);
  }
  return out;
}

/** The single recorded interval of a step that ran once. */
export function onlyInterval(times: Record<string, Interval[]>, name: string): Interval {
  const list = times[name];
  if (!list || list.length !== 1) throw new Error(`expected one recorded interval of ${name}, got ${list?.length ?? 0}`);
  return list[0]!;
}

/** Largest number of half-open intervals [start, end) that overlap at one instant. */
export function maxOverlap(intervals: readonly { start: number; end: number }[]): number {
  // At equal times an end comes before a start: touching intervals do not overlap.
  const points = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const p of points) {
    cur += p.d;
    max = Math.max(max, cur);
  }
  return max;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** True when a process with this pid exists and is not a zombie (killed but not yet reaped). */
export function isAlive(pid: number): boolean {
  return !isProcessGone(pid);
}

/** Waits until `pred` is true or `ms` passed; returns the last value of `pred`. */
export async function eventually(pred: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** Pids written one per line (whitespace-separated) to a file. */
export function readPids(path: string): number[] {
  return readFileSync(path, 'utf8')
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
}
