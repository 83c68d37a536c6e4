/**
 * Helpers for CLI-level tests that look at what a run left behind: the state directory, its
 * `events.jsonl` files and `runs.db` (opened read-only with better-sqlite3, as an outside
 * reader would), and at processes the run started.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** A parsed event line (fields as documented in src/engine/events.ts). */
export type Event = Record<string, unknown> & { seq: number; ts: string; run_id: string; type: string };

/** Run ids that have a directory under `<stateDir>/runs` (sorted: they sort by start time). */
export function runIds(stateDir: string): string[] {
  const dir = join(stateDir, 'runs');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** The only run of a state directory; fails when there is not exactly one. */
export function onlyRunId(stateDir: string): string {
  const ids = runIds(stateDir);
  if (ids.length !== 1) throw new Error(`expected exactly one run in ${stateDir}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0]!;
}

export function eventsPath(stateDir: string, runId: string): string {
  return join(stateDir, 'runs', runId, 'events.jsonl');
}

/** The lines of a run's events.jsonl (without newlines) and the events they hold. */
export function readJsonl(stateDir: string, runId: string): { lines: string[]; events: Event[] } {
  const text = readFileSync(eventsPath(stateDir, runId), 'utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error('events.jsonl does not end with a newline');
  const lines = text === '' ? [] : text.slice(0, -1).split('\n');
  return { lines, events: lines.map((l) => JSON.parse(l) as Event) };
}

export function runsDbPath(stateDir: string): string {
  return join(stateDir, 'runs.db');
}

/** Opens `<stateDir>/runs.db` read-only (it must exist). Close it when done. */
export function openRunsDbReadonly(stateDir: string): Database.Database {
  return new Database(runsDbPath(stateDir), { readonly: true, fileMustExist: true });
}

/** Runs `fn` with a read-only connection to the state directory's runs.db, then closes it. */
export function withRunsDb<T>(stateDir: string, fn: (db: Database.Database) => T): T {
  const db = openRunsDbReadonly(stateDir);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** What a state directory records: run directories and rows of `runs`. */
export function recordedRuns(stateDir: string): { dirs: string[]; dbRuns: number } {
  const dirs = runIds(stateDir);
  const dbRuns = existsSync(runsDbPath(stateDir))
    ? withRunsDb(stateDir, (db) => (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n)
    : 0;
  return { dirs, dbRuns };
}

/**
 * True when process `pid` no longer runs: `kill(pid, 0)` fails with ESRCH, or (Linux) the
 * process has terminated and only its zombie entry is left. The zombie case matters for
 * grandchildren orphaned by a killed step: they are re-parented to PID 1, and in some
 * containers PID 1 never reaps them, so their (dead) entry stays visible to kill(pid, 0).
 */
export function isProcessGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw err;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name (which may itself contain spaces or ')').
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' || state === 'X';
  } catch {
    // No /proc (macOS), or the entry vanished between the two checks: ask kill(2) again.
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false. */
export async function waitFor<T>(
  check: () => T | undefined | false,
  what: string,
  { timeoutMs = 10_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined | false;
    let error: unknown;
    try {
      value = check();
    } catch (err) {
      error = err;
    }
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${error ? `: ${(error as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Reads a pid written by a step (empty or missing file: undefined). */
export function readPidFile(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const n = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Removes a test's temporary directory. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** ISO 8601 UTC with milliseconds, as every event's `ts`. */
export const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
