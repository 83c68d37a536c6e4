import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BUSY_TIMEOUT_MS,
  MIGRATIONS,
  openRunsDb,
  retryBusy,
  RunsDbVersionError,
  SCHEMA_VERSION,
} from '../../src/state/store/runs-db.js';
import { SqliteSink } from '../../src/state/sinks/sqlite-sink.js';
import { bufferedSqlite, typicalRun } from '../helpers/event-fixtures.js';
import { openDbFileReadonly } from '../helpers/record.js';
import { tempDirWithCleanup } from '../helpers/temp-dirs.js';

describe('runs.db', () => {
  let dir: string;
  let dbPath: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDirWithCleanup('engine-state-test-'));
    dbPath = join(dir, 'state', 'runs.db');
  });
  afterEach(() => cleanup());

  it('is created in WAL mode with user_version 2', () => {
    openRunsDb(dbPath).close();
    const db = openDbFileReadonly(dbPath);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(SCHEMA_VERSION).toBe(2);
    expect(MIGRATIONS).toHaveLength(SCHEMA_VERSION);
    db.close();
  });

  it('is opened with synchronous = NORMAL and a 10 s busy timeout', () => {
    const db = openRunsDb(dbPath);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    expect(BUSY_TIMEOUT_MS).toBe(10_000);
    db.close();
  });

  it('has the documented tables and indexes', () => {
    const db = openRunsDb(dbPath);
    const names = db.prepare(`SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name`).pluck().all();
    expect(names).toEqual(['attempts', 'events', 'file_hashes', 'fingerprints', 'mutex_holders', 'mutex_waiters', 'mutex_waiters_name_id', 'outputs', 'runs', 'runs_parent_run_id', 'runs_started_at', 'runs_status_started_at', 'steps', 'steps_run_id_position']);
    db.close();
  });

  it('keeps existing rows when reopened', () => {
    const sink = bufferedSqlite(dbPath);
    for (const e of typicalRun()) sink.handle(e);
    sink.close();
    const db = openRunsDb(dbPath);
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(typicalRun().length);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database whose user_version is newer than the engine knows, naming both versions', () => {
    openRunsDb(dbPath).close();
    const raw = new Database(dbPath);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    let error: unknown;
    try {
      openRunsDb(dbPath).close();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunsDbVersionError);
    expect((error as Error).message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
    expect((error as Error).message).toContain(`schema version ${SCHEMA_VERSION} at most`);
    expect(() => new SqliteSink(dbPath)).toThrow(RunsDbVersionError);
    // Nothing was changed.
    const check = openDbFileReadonly(dbPath);
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    check.close();
  });

  it('opens read-only for viewers without creating anything', () => {
    expect(() => openRunsDb(dbPath, { readonly: true })).toThrow();
    openRunsDb(dbPath).close();
    const db = openRunsDb(dbPath, { readonly: true });
    expect(db.readonly).toBe(true);
    expect(db.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(0);
    db.close();
  });

  it('retries an operation that fails with SQLITE_BUSY and rethrows after the last retry', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    let calls = 0;
    expect(retryBusy(() => (++calls < 3 ? (() => { throw busy; })() : 'ok'), 5)).toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    expect(() => retryBusy(() => { calls++; throw busy; }, 2)).toThrow('database is locked');
    expect(calls).toBe(3);
    calls = 0;
    expect(() => retryBusy(() => { calls++; throw new Error('other'); }, 5)).toThrow('other');
    expect(calls).toBe(1);
  });
});
