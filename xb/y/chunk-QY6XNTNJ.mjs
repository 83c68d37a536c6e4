import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  UserError
} from "./chunk-4DO664QM.mjs";

// ../../work/main/src/state/paths.ts
import { isAbsolute, join } from "node:path";
var RUNS_DB_FILE = "runs.db";
var RUNS_DIR = "runs";
var EVENTS_FILE = "events.jsonl";
var LOGS_DIR = "logs";
function runsDbPath(stateDir) {
  return join(checkStateDir(stateDir), RUNS_DB_FILE);
}
function runDir(stateDir, runId) {
  checkName("run id", runId);
  if (runId === "." || runId === "..") throw new Error(`invalid run id ${JSON.stringify(runId)}`);
  return join(checkStateDir(stateDir), RUNS_DIR, runId);
}
function eventsPath(stateDir, runId) {
  return join(runDir(stateDir, runId), EVENTS_FILE);
}
function logsDir(stateDir, runId) {
  return join(runDir(stateDir, runId), LOGS_DIR);
}
function stepLogPath(stateDir, runId, stepId, attempt) {
  checkName("step id", stepId);
  if (!Number.isInteger(attempt) || attempt < 1) throw new Error(`invalid attempt number ${attempt}`);
  return join(logsDir(stateDir, runId), `${stepId}.${attempt}.log`);
}
function checkStateDir(stateDir) {
  if (!isAbsolute(stateDir)) throw new Error(`state directory must be an absolute path, got ${JSON.stringify(stateDir)}`);
  return stateDir;
}
function checkName(what, name) {
  if (name === "" || /[/\\\0]/.test(name)) throw new Error(`invalid ${what} ${JSON.stringify(name)}: not usable as a file name`);
}

// ../../work/main/src/state/jsonl-sink.ts
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
function serializeEvent(event) {
  return JSON.stringify(event);
}
var JsonlSink = class {
  /** Opens (creating it and its parent directories when missing) `path` for appending. */
  constructor(path) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "a");
  }
  fd;
  handle(event) {
    if (this.fd === null) throw new Error(`JsonlSink for ${this.path} is closed`);
    const bytes = Buffer.from(serializeEvent(event) + "\n", "utf8");
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
  }
  close() {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
};

// ../../work/main/src/engine/events.ts
function unreachable(x) {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}

// ../../work/main/src/state/runs-db.ts
import { mkdirSync as mkdirSync2 } from "node:fs";
import { dirname as dirname2 } from "node:path";
import Database from "better-sqlite3";
var MIGRATIONS = [
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
  }
];
var SCHEMA_VERSION = MIGRATIONS.length;
var BUSY_TIMEOUT_MS = 1e4;
var RunsDbVersionError = class extends UserError {
  constructor(path, found, supported) {
    super(
      found > supported ? `${path} has schema version ${found}, but this engine supports schema version ${supported} at most; upgrade the engine or use another state directory` : `${path} has schema version ${found}, but this engine needs schema version ${supported}; open it read-write (run the engine) to migrate it`
    );
    this.path = path;
    this.found = found;
    this.supported = supported;
    this.name = "RunsDbVersionError";
  }
};
function openRunsDb(path, options = {}) {
  if (options.readonly) {
    const db2 = new Database(path, { readonly: true, fileMustExist: true });
    try {
      db2.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      const version = userVersion(db2);
      if (version !== SCHEMA_VERSION) throw new RunsDbVersionError(path, version, SCHEMA_VERSION);
      return db2;
    } catch (error) {
      db2.close();
      throw error;
    }
  }
  mkdirSync2(dirname2(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    checkNotNewer(path, userVersion(db));
    retryBusy(() => {
      if (String(db.pragma("journal_mode", { simple: true })).toLowerCase() !== "wal") {
        const mode = String(db.pragma("journal_mode = WAL", { simple: true })).toLowerCase();
        if (mode !== "wal") throw new Error(`${path}: cannot switch to WAL journal mode (got ${mode})`);
      }
    });
    db.pragma("synchronous = NORMAL");
    migrate(db, path);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
function userVersion(db) {
  return Number(db.pragma("user_version", { simple: true }));
}
function checkNotNewer(path, version) {
  if (version > SCHEMA_VERSION) throw new RunsDbVersionError(path, version, SCHEMA_VERSION);
}
function migrate(db, path) {
  if (userVersion(db) === SCHEMA_VERSION) return;
  const apply = db.transaction(() => {
    let version = userVersion(db);
    checkNotNewer(path, version);
    for (; version < SCHEMA_VERSION; version++) {
      const step = MIGRATIONS[version];
      if (step === void 0) throw new Error(`no migration from schema version ${version}`);
      step(db);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  });
  retryBusy(() => apply.immediate());
}
function isBusyError(error) {
  const code = error?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}
function retryBusy(fn, retries = 5) {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      if (!isBusyError(error) || attempt >= retries) throw error;
      sleepSync(Math.min(25 * 2 ** attempt, 1e3) + Math.floor(Math.random() * 25));
    }
  }
}
var sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms) {
  Atomics.wait(sleepCell, 0, 0, ms);
}

// ../../work/main/src/state/sqlite-sink.ts
var MAX_BUFFERED = 5e3;
var SqliteSink = class {
  /** Opens (creating or migrating) the database at `dbPath`; see {@link openRunsDb}. */
  constructor(dbPath, options = {}) {
    this.dbPath = dbPath;
    this.onError = options.onError;
    this.busyRetries = options.busyRetries ?? 5;
    this.db = openRunsDb(dbPath);
    const db = this.db;
    try {
      this.s = {
        insertEvent: db.prepare(
          `INSERT INTO events (run_id, seq, ts, type, step_id, attempt, data)
           VALUES (?, ?, ?, ?, ?, ?, ?)`
        ),
        insertRun: db.prepare(
          `INSERT INTO runs (run_id, plan_id, plan_version, plan_path, plan_sha256, cwd, status,
             started_at, vars_json, max_concurrency, pid, hostname, heartbeat_at, steps_total, last_seq)
           VALUES (@run_id, @plan_id, @plan_version, @plan_path, @plan_sha256, @cwd, 'running',
             @ts, @vars_json, @max_concurrency, @pid, @hostname, @ts, @steps_total, @seq)`
        ),
        insertStep: db.prepare(
          `INSERT INTO steps (run_id, step_id, position, name, depends_on, status)
           VALUES (?, ?, ?, ?, ?, 'pending')`
        ),
        stepStarted: db.prepare(
          `UPDATE steps SET status = 'running', attempts = MAX(attempts, @attempt),
             started_at = COALESCE(started_at, @ts), finished_at = NULL, duration_ms = NULL,
             exit_code = NULL, signal = NULL, reason = NULL, detail = NULL, upstream = NULL,
             log_path = @log_path
           WHERE run_id = @run_id AND step_id = @step_id`
        ),
        insertAttempt: db.prepare(
          `INSERT INTO attempts (run_id, step_id, attempt, status, pid, started_at, log_path,
             command, args_json, cwd)
           VALUES (@run_id, @step_id, @attempt, 'running', @pid, @ts, @log_path,
             @command, @args_json, @cwd)`
        ),
        attemptSucceeded: db.prepare(
          `UPDATE attempts SET status = 'succeeded', exit_code = @exit_code, finished_at = @ts,
             duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id AND attempt = @attempt`
        ),
        stepSucceeded: db.prepare(
          `UPDATE steps SET status = 'succeeded', exit_code = @exit_code, signal = NULL,
             reason = NULL, detail = NULL, finished_at = @ts, duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id`
        ),
        attemptFailed: db.prepare(
          `UPDATE attempts SET status = 'failed', exit_code = @exit_code, signal = @signal,
             reason = @reason, error = @error, finished_at = @ts, duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id AND attempt = @attempt`
        ),
        stepFailed: db.prepare(
          `UPDATE steps SET status = CASE WHEN @will_retry THEN 'pending' ELSE 'failed' END,
             exit_code = @exit_code, signal = @signal, reason = @reason, detail = @error,
             finished_at = CASE WHEN @will_retry THEN NULL ELSE @ts END, duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id`
        ),
        stepSkipped: db.prepare(
          `UPDATE steps SET status = 'skipped', reason = @reason, detail = @detail,
             upstream = @upstream, finished_at = @ts
           WHERE run_id = @run_id AND step_id = @step_id`
        ),
        attemptCancelled: db.prepare(
          `UPDATE attempts SET status = 'cancelled', exit_code = @exit_code, signal = @signal,
             reason = @reason, error = @detail, finished_at = @ts, duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id AND attempt = @attempt`
        ),
        // A step cancelled while waiting (attempt null) keeps its last attempt's outcome.
        stepCancelled: db.prepare(
          `UPDATE steps SET status = 'cancelled', reason = @reason, detail = @detail,
             upstream = @upstream, finished_at = @ts,
             exit_code = CASE WHEN @attempt IS NULL THEN exit_code ELSE @exit_code END,
             signal = CASE WHEN @attempt IS NULL THEN signal ELSE @signal END,
             duration_ms = CASE WHEN @attempt IS NULL THEN duration_ms ELSE @duration_ms END
           WHERE run_id = @run_id AND step_id = @step_id`
        ),
        runCancelRequested: db.prepare(
          `UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, @ts)
           WHERE run_id = @run_id`
        ),
        runFinished: db.prepare(
          `UPDATE runs SET status = @status, exit_code = @exit_code, finished_at = @ts,
             duration_ms = @duration_ms, steps_succeeded = @succeeded, steps_failed = @failed,
             steps_skipped = @skipped, steps_cancelled = @cancelled
           WHERE run_id = @run_id`
        ),
        runProgress: db.prepare(
          `UPDATE runs SET last_seq = MAX(last_seq, @last_seq), heartbeat_at = @now,
             steps_succeeded = steps_succeeded + @succeeded, steps_failed = steps_failed + @failed,
             steps_skipped = steps_skipped + @skipped, steps_cancelled = steps_cancelled + @cancelled
           WHERE run_id = @run_id`
        ),
        runInterrupted: db.prepare(
          `UPDATE runs SET status = 'interrupted', finished_at = @ts WHERE run_id = @run_id`
        ),
        stepsInterrupted: db.prepare(
          `UPDATE steps SET status = 'interrupted', reason = 'interrupted',
             detail = 'the engine process vanished while the step was running', finished_at = @ts
           WHERE run_id = @run_id AND status = 'running'`
        ),
        attemptsInterrupted: db.prepare(
          `UPDATE attempts SET status = 'interrupted', reason = 'interrupted', finished_at = @ts
           WHERE run_id = @run_id AND status = 'running'`
        ),
        runResumed: db.prepare(
          `UPDATE runs SET status = 'running', exit_code = NULL, finished_at = NULL, duration_ms = NULL,
             cancel_requested_at = NULL, pid = @pid, hostname = @hostname, heartbeat_at = @ts,
             plan_sha256 = @plan_sha256
           WHERE run_id = @run_id`
        ),
        stepRerun: db.prepare(
          `UPDATE steps SET status = 'pending', reason = NULL, detail = NULL, upstream = NULL,
             finished_at = NULL
           WHERE run_id = ? AND step_id = ?`
        ),
        recount: db.prepare(
          `UPDATE runs SET
             steps_succeeded = (SELECT count(*) FROM steps WHERE run_id = @run_id AND status = 'succeeded'),
             steps_failed = (SELECT count(*) FROM steps WHERE run_id = @run_id AND status = 'failed'),
             steps_skipped = (SELECT count(*) FROM steps WHERE run_id = @run_id AND status = 'skipped'),
             steps_cancelled = (SELECT count(*) FROM steps WHERE run_id = @run_id AND status = 'cancelled')
           WHERE run_id = @run_id`
        )
      };
    } catch (error) {
      db.close();
      throw error;
    }
    this.writeBatch = db.transaction((batch) => this.apply(batch));
    const heartbeatMs = options.heartbeatMs ?? 5e3;
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(() => {
        if (this.active.size > 0) this.backgroundFlush();
      }, heartbeatMs);
      this.heartbeat.unref();
    }
  }
  db;
  buffer = [];
  scheduled = null;
  heartbeat = null;
  closed = false;
  /** Runs started and not yet finished, with their last seq handled: heartbeats go to these. */
  active = /* @__PURE__ */ new Map();
  onError;
  busyRetries;
  writeBatch;
  s;
  /** Buffers the event; a flush follows on the next turn of the event loop (at once for
   * `run_started` and `run_resumed`, and when the buffer is full). */
  handle(event) {
    if (this.closed) throw new Error(`SqliteSink for ${this.dbPath} is closed`);
    this.buffer.push({ event, json: serializeEvent(event) });
    if (this.buffer.length >= MAX_BUFFERED || event.type === "run_started" || event.type === "run_resumed") {
      this.flush();
    } else if (this.scheduled === null) {
      this.scheduled = setImmediate(() => {
        this.scheduled = null;
        this.backgroundFlush();
      });
    }
  }
  /** Number of events handled but not yet written. */
  get pending() {
    return this.buffer.length;
  }
  /**
   * Writes every buffered event now, in one transaction, and updates `heartbeat_at` of the
   * active runs. Synchronous: safe to call right before `process.exit`.
   * @throws the database error when the write still fails after retries (events stay buffered).
   */
  flush() {
    if (this.closed) return;
    if (this.buffer.length === 0 && this.active.size === 0) return;
    const batch = this.buffer;
    retryBusy(() => this.writeBatch.immediate(batch), this.busyRetries);
    this.buffer = this.buffer === batch ? [] : this.buffer.slice(batch.length);
    for (const e of batch) {
      const { run_id: runId } = e.event;
      const type = e.event.type;
      if (type === "run_finished" || type === "run_interrupted") this.active.delete(runId);
      else if (type === "run_started" || type === "run_resumed" || this.active.has(runId)) {
        this.active.set(runId, e.event.seq);
      }
    }
  }
  /** Flushes synchronously, then closes the database (also when the flush throws). */
  close() {
    if (this.closed) return;
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.db.close();
    }
  }
  backgroundFlush() {
    try {
      this.flush();
    } catch (error) {
      if (this.onError === void 0) throw error;
      this.onError(error);
    }
  }
  /** Runs inside the flush transaction. */
  apply(batch) {
    const s = this.s;
    const deltas = /* @__PURE__ */ new Map();
    const delta = (runId) => {
      let d = deltas.get(runId);
      if (d === void 0) {
        d = { lastSeq: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
        deltas.set(runId, d);
      }
      return d;
    };
    for (const { event: e, json } of batch) {
      const d = delta(e.run_id);
      d.lastSeq = Math.max(d.lastSeq, e.seq);
      s.insertEvent.run(
        e.run_id,
        e.seq,
        e.ts,
        e.type,
        "step_id" in e ? e.step_id : null,
        "attempt" in e ? e.attempt : null,
        json
      );
      switch (e.type) {
        case "run_started":
          this.runStarted(e);
          break;
        case "step_started":
          this.stepStarted(e);
          break;
        case "step_succeeded":
          this.stepSucceeded(e);
          d.succeeded++;
          break;
        case "step_failed":
          this.stepFailed(e);
          if (!e.will_retry) d.failed++;
          break;
        case "step_retrying":
          break;
        case "step_skipped":
          this.stepSkipped(e);
          d.skipped++;
          break;
        case "step_cancelled":
          this.stepCancelled(e);
          d.cancelled++;
          break;
        case "run_cancel_requested":
          this.runCancelRequested(e);
          break;
        case "run_interrupted": {
          const p = { run_id: e.run_id, ts: e.ts };
          this.s.runInterrupted.run(p);
          this.s.stepsInterrupted.run(p);
          this.s.attemptsInterrupted.run(p);
          break;
        }
        case "run_resumed":
          this.s.runResumed.run({
            run_id: e.run_id,
            ts: e.ts,
            pid: e.pid,
            hostname: e.hostname,
            plan_sha256: e.plan_sha256
          });
          for (const id of e.rerun) this.s.stepRerun.run(e.run_id, id);
          this.s.recount.run({ run_id: e.run_id });
          d.succeeded = d.failed = d.skipped = d.cancelled = 0;
          break;
        case "run_finished":
          this.runFinished(e);
          d.succeeded = d.failed = d.skipped = d.cancelled = 0;
          break;
        default:
          unreachable(e);
      }
    }
    const now = (/* @__PURE__ */ new Date()).toISOString();
    for (const [runId, lastSeq] of this.active) {
      if (!deltas.has(runId)) deltas.set(runId, { lastSeq, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 });
    }
    for (const [runId, d] of deltas) {
      s.runProgress.run({
        run_id: runId,
        last_seq: d.lastSeq,
        now,
        succeeded: d.succeeded,
        failed: d.failed,
        skipped: d.skipped,
        cancelled: d.cancelled
      });
    }
  }
  runStarted(e) {
    this.s.insertRun.run({
      run_id: e.run_id,
      plan_id: e.plan_id,
      plan_version: e.plan_version,
      plan_path: e.plan_path,
      plan_sha256: e.plan_sha256,
      cwd: e.cwd,
      ts: e.ts,
      vars_json: JSON.stringify(e.vars),
      max_concurrency: e.max_concurrency,
      pid: e.pid,
      hostname: e.hostname,
      steps_total: e.steps.length,
      seq: e.seq
    });
    e.steps.forEach((step, position) => {
      this.s.insertStep.run(e.run_id, step.id, position, step.name, JSON.stringify(step.depends_on));
    });
  }
  stepStarted(e) {
    const key = { run_id: e.run_id, step_id: e.step_id, attempt: e.attempt, ts: e.ts, log_path: e.log_path };
    this.s.stepStarted.run(key);
    this.s.insertAttempt.run({
      ...key,
      pid: e.pid,
      command: e.command,
      args_json: JSON.stringify(e.args),
      cwd: e.cwd
    });
  }
  stepSucceeded(e) {
    const p = {
      run_id: e.run_id,
      step_id: e.step_id,
      attempt: e.attempt,
      ts: e.ts,
      exit_code: e.exit_code,
      duration_ms: Math.round(e.duration_ms)
    };
    this.s.attemptSucceeded.run(p);
    this.s.stepSucceeded.run(p);
  }
  stepFailed(e) {
    const p = {
      run_id: e.run_id,
      step_id: e.step_id,
      attempt: e.attempt,
      ts: e.ts,
      exit_code: e.exit_code,
      signal: e.signal,
      reason: e.reason,
      error: e.error,
      duration_ms: Math.round(e.duration_ms),
      will_retry: e.will_retry ? 1 : 0
    };
    this.s.attemptFailed.run(p);
    this.s.stepFailed.run(p);
  }
  stepSkipped(e) {
    this.s.stepSkipped.run({
      run_id: e.run_id,
      step_id: e.step_id,
      ts: e.ts,
      reason: e.reason,
      detail: e.detail,
      upstream: e.upstream
    });
  }
  stepCancelled(e) {
    const p = {
      run_id: e.run_id,
      step_id: e.step_id,
      attempt: e.attempt,
      ts: e.ts,
      reason: e.reason,
      detail: e.detail,
      upstream: e.upstream,
      exit_code: e.exit_code,
      signal: e.signal,
      duration_ms: e.duration_ms === null ? null : Math.round(e.duration_ms)
    };
    if (e.attempt !== null) this.s.attemptCancelled.run(p);
    this.s.stepCancelled.run(p);
  }
  runCancelRequested(e) {
    this.s.runCancelRequested.run({ run_id: e.run_id, ts: e.ts });
  }
  runFinished(e) {
    this.s.runFinished.run({
      run_id: e.run_id,
      status: e.status,
      exit_code: e.exit_code,
      ts: e.ts,
      duration_ms: Math.round(e.duration_ms),
      succeeded: e.succeeded,
      failed: e.failed,
      skipped: e.skipped,
      cancelled: e.cancelled
    });
  }
};

// ../../work/main/src/state/liveness.ts
import { readFileSync } from "node:fs";
function isProcessAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === "EPERM";
  }
  let cmdline;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return true;
  }
  return /node|engine/.test(cmdline);
}

// ../../work/main/src/state/recovery.ts
import { existsSync, readFileSync as readFileSync2, truncateSync } from "node:fs";
import { hostname } from "node:os";

// ../../work/main/src/engine/process-group.ts
function signalProcessGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (err.code === "ESRCH") return false;
    throw err;
  }
}

// ../../work/main/src/state/recovery.ts
function recoverInterruptedRuns(stateDir) {
  const dbPath = runsDbPath(stateDir);
  if (!existsSync(dbPath)) return [];
  const here = hostname();
  const db = openRunsDb(dbPath);
  let claimed;
  try {
    const candidates = db.prepare(`SELECT run_id, pid, hostname, last_seq FROM runs WHERE status = 'running'`).all().filter((r) => r.hostname === here && !isProcessAlive(r.pid));
    if (candidates.length === 0) return [];
    const claim = db.prepare(`UPDATE runs SET status = 'interrupted' WHERE run_id = ? AND status = 'running'`);
    claimed = candidates.filter((r) => claim.run(r.run_id).changes === 1);
  } finally {
    db.close();
  }
  if (claimed.length === 0) return [];
  const sink = new SqliteSink(dbPath, { heartbeatMs: 0 });
  try {
    return claimed.filter((run) => recoverRun(stateDir, run, sink)).map((run) => run.run_id);
  } finally {
    sink.close();
  }
}
function recoverRun(stateDir, run, sink) {
  const path = eventsPath(stateDir, run.run_id);
  const events = readEvents(path);
  let lastSeq = run.last_seq;
  const running = /* @__PURE__ */ new Map();
  let finished = false;
  for (const e of events) {
    if (e.seq > lastSeq) {
      sink.handle(e);
      lastSeq = e.seq;
    }
    if (e.type === "step_started") running.set(e.step_id, e.pid);
    else if (e.type === "step_succeeded" || e.type === "step_failed" || e.type === "step_cancelled") running.delete(e.step_id);
    else if (e.type === "run_resumed") running.clear();
    finished = e.type === "run_finished";
  }
  if (finished) {
    sink.flush();
    return false;
  }
  const killed = [];
  for (const pid of running.values()) {
    if (pid !== null && signalProcessGroup(pid, "SIGKILL")) killed.push(pid);
  }
  const event = {
    seq: lastSeq + 1,
    ts: (/* @__PURE__ */ new Date()).toISOString(),
    run_id: run.run_id,
    type: "run_interrupted",
    pid: run.pid,
    hostname: run.hostname,
    steps: [...running.keys()],
    killed_pgids: killed
  };
  const jsonl = new JsonlSink(path);
  try {
    jsonl.handle(event);
  } finally {
    jsonl.close();
  }
  sink.handle(event);
  sink.flush();
  return true;
}
function readEvents(path) {
  let bytes;
  try {
    bytes = readFileSync2(path);
  } catch {
    return [];
  }
  const end = bytes.lastIndexOf(10) + 1;
  if (end < bytes.length) truncateSync(path, end);
  const out = [];
  for (const line of bytes.subarray(0, end).toString("utf8").split("\n")) {
    if (line !== "") out.push(JSON.parse(line));
  }
  return out;
}

export {
  runsDbPath,
  eventsPath,
  logsDir,
  stepLogPath,
  signalProcessGroup,
  unreachable,
  serializeEvent,
  JsonlSink,
  openRunsDb,
  SqliteSink,
  isProcessAlive,
  recoverInterruptedRuns,
  readEvents
};
