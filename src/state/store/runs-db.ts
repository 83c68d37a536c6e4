/**
 * Opens `runs.db`, creating or migrating its schema. The schema is documented in
 * docs/runs-db.md; rows are written only by {@link SqliteSink} (from events).
 *
 * Versioning: `PRAGMA user_version` holds the schema version. {@link MIGRATIONS}`[v]` turns a
 * version-`v` database into version `v + 1` (index 0 creates the first schema), so the next
 * schema change appends one function and bumps nothing else: {@link SCHEMA_VERSION} is
 * `MIGRATIONS.length`. A database newer than this engine is refused with
 * {@link RunsDbVersionError} rather than written with a schema it does not know.
 *
 * Several engine processes may open the same (possibly brand-new) file at once: the schema is
 * created or migrated inside a `BEGIN IMMEDIATE` transaction that re-reads `user_version`, so
 * exactly one process applies each migration and the others see its result.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { UserError } from '../../errors.js';
import { ExitCode } from '../../exit-codes.js';

let addonPath: string | undefined;

/**
 * Path of better-sqlite3's compiled module, where its install (node-gyp or a prebuilt binary)
 * puts it. Given to it as `nativeBinding`: its own lookup (the `bindings` package) tries ~10
 * paths relative to the calling file, which is wrong once the CLI is bundled (scripts/bundle.mjs).
 * @throws UserError when better-sqlite3 has no compiled module (an incomplete install)
 */
function sqliteAddon(): string {
  if (addonPath === undefined) {
    try {
      addonPath = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
    } catch {
      throw new UserError("better-sqlite3's native module is not built (node_modules/better-sqlite3/build/Release); run npm ci", ExitCode.failed);
    }
  }
  return addonPath;
}

export type RunsDb = Database.Database;

/** One schema step, run inside the migration transaction. It must not COMMIT or change `user_version`. */
export type Migration = (db: RunsDb) => void;

/** `MIGRATIONS[v]` migrates a database from schema version `v` to `v + 1`. Append only. */
export const MIGRATIONS: readonly Migration[] = [
  // 0 -> 1: the first schema.
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        run_id              TEXT PRIMARY KEY,
        plan_id             TEXT NOT NULL,
        plan_version        TEXT NOT NULL,
        plan_path           TEXT NOT NULL,
        plan_sha256         TEXT NOT NULL,
        cwd                 TEXT NOT NULL,
        status              TEXT NOT NULL,
        exit_code           INTEGER,
        started_at          TEXT NOT NULL,
        finished_at         TEXT,
        duration_ms         INTEGER,
        vars_json           TEXT NOT NULL,
        max_concurrency     INTEGER NOT NULL,
        pid                 INTEGER NOT NULL,
        hostname            TEXT NOT NULL,
        heartbeat_at        TEXT NOT NULL,
        cancel_requested_at TEXT,
        steps_total         INTEGER NOT NULL,
        steps_succeeded     INTEGER NOT NULL DEFAULT 0,
        steps_failed        INTEGER NOT NULL DEFAULT 0,
        steps_skipped       INTEGER NOT NULL DEFAULT 0,
        steps_cancelled     INTEGER NOT NULL DEFAULT 0,
        last_seq            INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS runs_started_at ON runs (started_at);
      CREATE INDEX IF NOT EXISTS runs_status_started_at ON runs (status, started_at);

      CREATE TABLE IF NOT EXISTS steps (
        run_id      TEXT NOT NULL,
        step_id     TEXT NOT NULL,
        position    INTEGER NOT NULL,
        name        TEXT NOT NULL,
        depends_on  TEXT NOT NULL,
        status      TEXT NOT NULL,
        reason      TEXT,
        detail      TEXT,
        upstream    TEXT,
        attempts    INTEGER NOT NULL DEFAULT 0,
        exit_code   INTEGER,
        signal      TEXT,
        started_at  TEXT,
        finished_at TEXT,
        duration_ms INTEGER,
        log_path    TEXT,
        PRIMARY KEY (run_id, step_id)
      );
      CREATE INDEX IF NOT EXISTS steps_run_id_position ON steps (run_id, position);

      CREATE TABLE IF NOT EXISTS attempts (
        run_id      TEXT NOT NULL,
        step_id     TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        status      TEXT NOT NULL,
        pid         INTEGER,
        exit_code   INTEGER,
        signal      TEXT,
        reason      TEXT,
        error       TEXT,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        duration_ms INTEGER,
        log_path    TEXT NOT NULL,
        command     TEXT NOT NULL,
        args_json   TEXT NOT NULL,
        cwd         TEXT NOT NULL,
        PRIMARY KEY (run_id, step_id, attempt)
      );

      CREATE TABLE IF NOT EXISTS events (
        run_id  TEXT NOT NULL,
        seq     INTEGER NOT NULL,
        ts      TEXT NOT NULL,
        type    TEXT NOT NULL,
        step_id TEXT,
        attempt INTEGER,
        data    TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
    `);
  },
  // 1 -> 2 (issues 13 and 14): why a run ended besides its steps; cross-run mutexes and their
  // waiters; fingerprints of steps' sources for up-to-date skipping, with a cache of file
  // hashes; step outputs; matrix / for_each instances and child runs of plan steps.
  (db) => {
    db.exec(`
      ALTER TABLE runs ADD COLUMN finish_reason TEXT;
      ALTER TABLE runs ADD COLUMN finish_detail TEXT;
      ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
      ALTER TABLE runs ADD COLUMN parent_step_id TEXT;
      CREATE INDEX IF NOT EXISTS runs_parent_run_id ON runs (parent_run_id);
      ALTER TABLE steps ADD COLUMN kind TEXT NOT NULL DEFAULT 'command';
      ALTER TABLE steps ADD COLUMN instance_of TEXT;
      ALTER TABLE steps ADD COLUMN child_run_id TEXT;

      CREATE TABLE IF NOT EXISTS mutex_holders (
        name        TEXT PRIMARY KEY,
        run_id      TEXT NOT NULL,
        step_id     TEXT,
        pid         INTEGER NOT NULL,
        hostname    TEXT NOT NULL,
        acquired_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS mutex_waiters (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        name         TEXT NOT NULL,
        run_id       TEXT NOT NULL,
        step_id      TEXT,
        pid          INTEGER NOT NULL,
        hostname     TEXT NOT NULL,
        requested_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS mutex_waiters_name_id ON mutex_waiters (name, id);

      CREATE TABLE IF NOT EXISTS fingerprints (
        plan_id     TEXT NOT NULL,
        step_id     TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        run_id      TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (plan_id, step_id)
      );
      CREATE TABLE IF NOT EXISTS file_hashes (
        path     TEXT PRIMARY KEY,
        size     INTEGER NOT NULL,
        mtime_ns TEXT NOT NULL,
        sha256   TEXT NOT NULL
      );

      CREATE TABLE IF NOT EXISTS outputs (
        run_id  TEXT NOT NULL,
        step_id TEXT NOT NULL,
        key     TEXT NOT NULL,
        value   TEXT NOT NULL,
        PRIMARY KEY (run_id, step_id, key)
      );
    `);
  },
];

/** The schema version this engine reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** How long a connection waits for another one's lock before SQLITE_BUSY, in ms. */
export const BUSY_TIMEOUT_MS = 10_000;

/** The database's schema is newer than this engine knows (or, read-only, older than it needs). */
export class RunsDbVersionError extends UserError {
  constructor(
    readonly path: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      found > supported
        ? `${path} has schema version ${found}, but this engine supports schema version ${supported} at most; ` +
            `upgrade the engine or use another state directory`
        : `${path} has schema version ${found}, but this engine needs schema version ${supported}; ` +
            `open it read-write (run the engine) to migrate it`,
    );
    this.name = 'RunsDbVersionError';
  }
}

export interface OpenRunsDbOptions {
  /**
   * Open for reading only (a viewer): the file must exist and already have the current schema;
   * nothing is created or migrated. Default false.
   */
  readonly?: boolean;
}

/**
 * Opens `path` (creating the file and its directory when missing), sets WAL mode,
 * `synchronous = NORMAL` and a {@link BUSY_TIMEOUT_MS} busy timeout, and brings the schema to
 * {@link SCHEMA_VERSION}.
 *
 * @throws RunsDbVersionError when the database's schema is newer than {@link SCHEMA_VERSION}.
 */
export function openRunsDb(path: string, options: OpenRunsDbOptions = {}): RunsDb {
  if (options.readonly) {
    const db = new Database(path, { readonly: true, fileMustExist: true, nativeBinding: sqliteAddon() });
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      const version = userVersion(db);
      if (version !== SCHEMA_VERSION) throw new RunsDbVersionError(path, version, SCHEMA_VERSION);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { nativeBinding: sqliteAddon() });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Refuse a newer database before changing anything in it.
    checkNotNewer(path, userVersion(db));
    // journal_mode is stored in the file; switching a new file to WAL needs a lock that, when
    // several processes race, can fail with SQLITE_BUSY without waiting for the busy timeout.
    retryBusy(() => {
      if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') {
        const mode = String(db.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
        if (mode !== 'wal') throw new Error(`${path}: cannot switch to WAL journal mode (got ${mode})`);
      }
    });
    db.pragma('synchronous = NORMAL');
    migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Closes a read-write connection with as short an exclusive lock as SQLite allows. When the
 * last connection to a WAL database closes, SQLite checkpoints the WAL into the database and
 * deletes it, holding an exclusive lock meanwhile; a reader that opens the database at that
 * moment without a busy timeout (as `sqlite3 -readonly` and many GUIs do) fails with "database
 * is locked". A passive checkpoint first (which readers pass) leaves that close-time checkpoint
 * almost nothing to copy. Measured with 4 engines starting 20-step runs in a loop and a reader
 * opening runs.db every 5 ms with no busy timeout: 63 of 1,219 reads locked without it, 4 of
 * 1,070 with it (docs/runs-db.md: what a reader should set to see none).
 */
export function closeRunsDb(db: RunsDb): void {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or read-only: the close checkpoints as usual.
  }
  db.close();
}

/** `PRAGMA user_version`. */
export function userVersion(db: RunsDb): number {
  return Number(db.pragma('user_version', { simple: true }));
}

function checkNotNewer(path: string, version: number): void {
  if (version > SCHEMA_VERSION) throw new RunsDbVersionError(path, version, SCHEMA_VERSION);
}

/** Applies the missing migrations in one `BEGIN IMMEDIATE` transaction. */
function migrate(db: RunsDb, path: string): void {
  if (userVersion(db) === SCHEMA_VERSION) return;
  const apply = db.transaction(() => {
    // Re-read under the write lock: another process may have migrated meanwhile.
    let version = userVersion(db);
    checkNotNewer(path, version);
    for (; version < SCHEMA_VERSION; version++) {
      const step = MIGRATIONS[version];
      if (step === undefined) throw new Error(`no migration from schema version ${version}`);
      step(db);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  retryBusy(() => apply.immediate());
}

/** True for SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, …). */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `fn`, retrying it (after a short synchronous pause) when it fails with SQLITE_BUSY,
 * which can still happen despite the busy timeout (e.g. a lock upgrade, a WAL recovery, or a
 * writer holding the lock longer than the timeout). Rethrows the last error after `retries`.
 */
export function retryBusy<T>(fn: () => T, retries = 5): T {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      if (!isBusyError(error) || attempt >= retries) throw error;
      sleepSync(Math.min(25 * 2 ** attempt, 1000) + Math.floor(Math.random() * 25));
    }
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
