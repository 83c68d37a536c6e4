/**
 * Keeps `runs.db` (docs/runs-db.md) in step with the events of runs. Rows are derived only
 * from events: this is the one writer of runs.db besides schema migrations.
 *
 * Each batch (one event-loop turn's events, turn-buffer.ts) is written in one `BEGIN IMMEDIATE`
 * transaction with statements prepared once and no SELECT, so a 10,000-step run costs a
 * handful of transactions per turn rather than one per event.
 *
 * Events are never dropped silently: a write that fails (after retrying SQLITE_BUSY) keeps the
 * events pending, throws, and the next write (or heartbeat) writes them first.
 */
import type Database from 'better-sqlite3';
import {
  endedStatusOf,
  unreachable,
  type RunFinishedEvent,
  type RunStartedEvent,
  type StepCancelledEvent,
  type StepFailedEvent,
  type StepStartedEvent,
  type StepSucceededEvent,
  type StepSkippedEvent,
  type RunCancelRequestedEvent,
} from '../../engine/events.js';
import { noSteps, type StepCounts } from '../../engine/status.js';
import { closeRunsDb, openRunsDb, retryBusy, type RunsDb } from '../store/runs-db.js';
import type { BatchSink, SerializedEvent } from './turn-buffer.js';

export interface SqliteSinkOptions {
  /**
   * While a run is active, also flush (which updates `runs.heartbeat_at`) at least this often,
   * in ms, even when no event arrives; 0 disables the timer. The timer is unref'd. Default 5000.
   */
  heartbeatMs?: number;
  /**
   * Receives the error when a heartbeat write fails; pending events stay pending and the next
   * write retries them. Without it the error is thrown from the timer callback, i.e. it
   * becomes an uncaught exception.
   */
  onError?: (error: unknown) => void;
  /** Extra tries of a flush that fails with SQLITE_BUSY despite the busy timeout. Default 5. */
  busyRetries?: number;
}

/** Builds a claimed run's events; `recordedAfter(seq)` gives runs.db's `data` of its events after `seq`. */
export type ClaimBuilder = (recordedAfter: (seq: number) => string[]) => SerializedEvent[];

/** Per-run changes accumulated during one write and applied once at its end. */
interface RunDelta extends StepCounts {
  lastSeq: number;
}

type Stmt = Database.Statement;

export class SqliteSink implements BatchSink {
  private readonly db: RunsDb;
  /** Events handed over but not yet committed. */
  private buffer: SerializedEvent[] = [];
  private readonly heartbeat: NodeJS.Timeout | null = null;
  private closed = false;
  /** Next free `steps.position` of each run this sink wrote steps for (for_each instances go last). */
  private readonly positions = new Map<string, number>();
  /** Runs started and not yet finished, with their last seq handled: heartbeats go to these. */
  private readonly active = new Map<string, number>();
  private readonly onError: ((error: unknown) => void) | undefined;
  private readonly busyRetries: number;
  private readonly writeBatch: Database.Transaction<(batch: readonly SerializedEvent[]) => void>;
  private readonly claim: Database.Transaction<(runId: string, pid: number, build: ClaimBuilder) => boolean>;

  private readonly s: {
    insertEvent: Stmt;
    insertRun: Stmt;
    insertStep: Stmt;
    expandStep: Stmt;
    stepsTotal: Stmt;
    insertOutput: Stmt;
    clearOutputs: Stmt;
    stepStarted: Stmt;
    insertAttempt: Stmt;
    attemptSucceeded: Stmt;
    stepSucceeded: Stmt;
    attemptFailed: Stmt;
    stepFailed: Stmt;
    stepSkipped: Stmt;
    attemptCancelled: Stmt;
    stepCancelled: Stmt;
    runCancelRequested: Stmt;
    stepWaiting: Stmt;
    runFinished: Stmt;
    runProgress: Stmt;
    runInterrupted: Stmt;
    stepsInterrupted: Stmt;
    attemptsInterrupted: Stmt;
    runResumed: Stmt;
    stepRerun: Stmt;
    recount: Stmt;
  };

  /** Opens (creating or migrating) the database at `dbPath`; see {@link openRunsDb}. */
  constructor(
    readonly dbPath: string,
    options: SqliteSinkOptions = {},
  ) {
    this.onError = options.onError;
    this.busyRetries = options.busyRetries ?? 5;
    this.db = openRunsDb(dbPath);
    const db = this.db;
    try {
      this.s = {
        insertEvent: db.prepare(
          `INSERT INTO events (run_id, seq, ts, type, step_id, attempt, data)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ),
        insertRun: db.prepare(
          `INSERT INTO runs (run_id, plan_id, plan_version, plan_path, plan_sha256, cwd, status,
             started_at, vars_json, max_concurrency, pid, hostname, heartbeat_at, steps_total, last_seq,
             parent_run_id, parent_step_id)
           VALUES (@run_id, @plan_id, @plan_version, @plan_path, @plan_sha256, @cwd, 'running',
             @ts, @vars_json, @max_concurrency, @pid, @hostname, @ts, @steps_total, @seq,
             @parent_run_id, @parent_step_id)`,
        ),
        insertStep: db.prepare(
          `INSERT INTO steps (run_id, step_id, position, name, depends_on, status, kind, instance_of)
           VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
        ),
        // An instance of a for_each step; expanded again on resume, it keeps a success.
        expandStep: db.prepare(
          `INSERT INTO steps (run_id, step_id, position, name, depends_on, status, kind, instance_of)
           VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
           ON CONFLICT (run_id, step_id) DO UPDATE SET
             status = CASE WHEN status = 'succeeded' THEN status ELSE 'pending' END`,
        ),
        stepsTotal: db.prepare(`UPDATE runs SET steps_total = (SELECT count(*) FROM steps WHERE run_id = @run_id) WHERE run_id = @run_id`),
        insertOutput: db.prepare(`INSERT OR REPLACE INTO outputs (run_id, step_id, key, value) VALUES (?, ?, ?, ?)`),
        clearOutputs: db.prepare(`DELETE FROM outputs WHERE run_id = ? AND step_id = ?`),
        stepStarted: db.prepare(
          `UPDATE steps SET status = 'running', attempts = MAX(attempts, @attempt),
             started_at = COALESCE(started_at, @ts), finished_at = NULL, duration_ms = NULL,
             exit_code = NULL, signal = NULL, reason = NULL, detail = NULL, upstream = NULL,
             log_path = @log_path, child_run_id = COALESCE(@child_run_id, child_run_id)
           WHERE run_id = @run_id AND step_id = @step_id`,
        ),
        insertAttempt: db.prepare(
          `INSERT INTO attempts (run_id, step_id, attempt, status, pid, started_at, log_path,
             command, args_json, cwd)
           VALUES (@run_id, @step_id, @attempt, 'running', @pid, @ts, @log_path,
             @command, @args_json, @cwd)`,
        ),
        attemptSucceeded: db.prepare(
          `UPDATE attempts SET status = 'succeeded', exit_code = @exit_code, finished_at = @ts,
             duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id AND attempt = @attempt`,
        ),
        stepSucceeded: db.prepare(
          `UPDATE steps SET status = 'succeeded', exit_code = @exit_code, signal = NULL,
             reason = NULL, detail = NULL, finished_at = @ts, duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id`,
        ),
        attemptFailed: db.prepare(
          `UPDATE attempts SET status = 'failed', exit_code = @exit_code, signal = @signal,
             reason = @reason, error = @error, finished_at = @ts, duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id AND attempt = @attempt`,
        ),
        stepFailed: db.prepare(
          `UPDATE steps SET status = CASE WHEN @will_retry THEN 'pending' ELSE 'failed' END,
             exit_code = @exit_code, signal = @signal, reason = @reason, detail = @error,
             finished_at = CASE WHEN @will_retry THEN NULL ELSE @ts END, duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id`,
        ),
        stepSkipped: db.prepare(
          `UPDATE steps SET status = 'skipped', reason = @reason, detail = @detail,
             upstream = @upstream, finished_at = @ts
           WHERE run_id = @run_id AND step_id = @step_id`,
        ),
        attemptCancelled: db.prepare(
          `UPDATE attempts SET status = 'cancelled', exit_code = @exit_code, signal = @signal,
             reason = @reason, error = @detail, finished_at = @ts, duration_ms = @duration_ms
           WHERE run_id = @run_id AND step_id = @step_id AND attempt = @attempt`,
        ),
        // A step cancelled while waiting (attempt null) keeps its last attempt's outcome.
        stepCancelled: db.prepare(
          `UPDATE steps SET status = 'cancelled', reason = @reason, detail = @detail,
             upstream = @upstream, finished_at = @ts,
             exit_code = CASE WHEN @attempt IS NULL THEN exit_code ELSE @exit_code END,
             signal = CASE WHEN @attempt IS NULL THEN signal ELSE @signal END,
             duration_ms = CASE WHEN @attempt IS NULL THEN duration_ms ELSE @duration_ms END
           WHERE run_id = @run_id AND step_id = @step_id`,
        ),
        stepWaiting: db.prepare(`UPDATE steps SET status = 'waiting', detail = @detail WHERE run_id = @run_id AND step_id = @step_id`),
        runCancelRequested: db.prepare(
          `UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, @ts)
           WHERE run_id = @run_id`,
        ),
        runFinished: db.prepare(
          `UPDATE runs SET status = @status, exit_code = @exit_code, finished_at = @ts,
             duration_ms = @duration_ms, steps_succeeded = @succeeded, steps_failed = @failed,
             steps_skipped = @skipped, steps_cancelled = @cancelled,
             finish_reason = @reason, finish_detail = @detail
           WHERE run_id = @run_id`,
        ),
        runProgress: db.prepare(
          `UPDATE runs SET last_seq = MAX(last_seq, @last_seq), heartbeat_at = @now,
             steps_succeeded = steps_succeeded + @succeeded, steps_failed = steps_failed + @failed,
             steps_skipped = steps_skipped + @skipped, steps_cancelled = steps_cancelled + @cancelled
           WHERE run_id = @run_id`,
        ),
        runInterrupted: db.prepare(
          `UPDATE runs SET status = 'interrupted', finished_at = @ts WHERE run_id = @run_id`,
        ),
        stepsInterrupted: db.prepare(
          `UPDATE steps SET status = 'interrupted', reason = 'interrupted',
             detail = 'the engine process vanished while the step was running', finished_at = @ts
           WHERE run_id = @run_id AND status = 'running'`,
        ),
        attemptsInterrupted: db.prepare(
          `UPDATE attempts SET status = 'interrupted', reason = 'interrupted', finished_at = @ts
           WHERE run_id = @run_id AND status = 'running'`,
        ),
        runResumed: db.prepare(
          `UPDATE runs SET status = 'running', exit_code = NULL, finished_at = NULL, duration_ms = NULL,
             finish_reason = NULL, finish_detail = NULL,
             cancel_requested_at = NULL, pid = @pid, hostname = @hostname, heartbeat_at = @ts,
             plan_sha256 = @plan_sha256
           WHERE run_id = @run_id`,
        ),
        stepRerun: db.prepare(
          `UPDATE steps SET status = 'pending', reason = NULL, detail = NULL, upstream = NULL,
             finished_at = NULL
           WHERE run_id = ? AND step_id = ?`,
        ),
        recount: db.prepare(
          `UPDATE runs SET
             steps_succeeded = (SELECT count(*) FROM steps WHERE run_id = @run_id AND status = 'succeeded'),
             steps_failed = (SELECT count(*) FROM steps WHERE run_id = @run_id AND status = 'failed'),
             steps_skipped = (SELECT count(*) FROM steps WHERE run_id = @run_id AND status = 'skipped'),
             steps_cancelled = (SELECT count(*) FROM steps WHERE run_id = @run_id AND status = 'cancelled')
           WHERE run_id = @run_id`,
        ),
      };
    } catch (error) {
      db.close();
      throw error;
    }
    this.writeBatch = db.transaction((batch: readonly SerializedEvent[]) => this.apply(batch));
    const isRunning = db.prepare(`SELECT 1 FROM runs WHERE run_id = ? AND status = 'running' AND pid = ?`).pluck();
    const eventsAfter = db.prepare(`SELECT data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq`).pluck();
    this.claim = db.transaction((runId: string, pid: number, build: ClaimBuilder) => {
      if (isRunning.get(runId, pid) === undefined) return false;
      this.apply(build((afterSeq) => eventsAfter.all(runId, afterSeq) as string[]));
      return true;
    });

    const heartbeatMs = options.heartbeatMs ?? 5000;
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(() => {
        if (this.active.size > 0) this.backgroundFlush();
      }, heartbeatMs);
      this.heartbeat.unref();
    }
  }

  /**
   * Writes the batch (after any events still pending from a failed write) in one transaction.
   * @throws the database error when the write still fails after retries (events stay pending)
   */
  write(batch: readonly SerializedEvent[]): void {
    if (this.closed) throw new Error(`SqliteSink for ${this.dbPath} is closed`);
    for (const e of batch) this.buffer.push(e);
    this.flush();
  }

  /**
   * Crash recovery's claim of a dead run, as one `BEGIN IMMEDIATE` transaction: only when the
   * run is still recorded as `running` under the dead engine's `pid` (not resumed by another
   * engine meanwhile), calls `build` (which may kill processes and append to
   * events.jsonl: it runs under the write lock, so two recovering processes never both do)
   * and writes the events it returns. `build` can read the JSON of the events runs.db holds
   * after a seq (the ones a dead engine wrote here but not yet to its events file). Returns
   * whether the run was claimed.
   */
  claimRun(runId: string, pid: number, build: ClaimBuilder): boolean {
    if (this.closed) throw new Error(`SqliteSink for ${this.dbPath} is closed`);
    return retryBusy(() => this.claim.immediate(runId, pid, build), this.busyRetries);
  }

  /** Number of events handled but not yet written. */
  get pending(): number {
    return this.buffer.length;
  }

  /**
   * Writes every pending event now, in one transaction, and updates `heartbeat_at` of the
   * active runs. Synchronous: safe to call right before `process.exit`.
   * @throws the database error when the write still fails after retries (events stay pending).
   */
  flush(): void {
    if (this.closed) return;
    if (this.buffer.length === 0 && this.active.size === 0) return;
    const batch = this.buffer;
    retryBusy(() => this.writeBatch.immediate(batch), this.busyRetries);
    // Only once committed: a failed transaction rolled back and the events stay buffered.
    this.buffer = this.buffer === batch ? [] : this.buffer.slice(batch.length);
    for (const e of batch) {
      const { run_id: runId } = e.event;
      const type = e.event.type;
      if (type === 'run_finished' || type === 'run_interrupted') this.active.delete(runId);
      else if (type === 'run_started' || type === 'run_resumed' || this.active.has(runId)) {
        this.active.set(runId, e.event.seq);
      }
    }
  }

  /** Flushes synchronously, then closes the database (also when the flush throws). */
  close(): void {
    if (this.closed) return;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    try {
      this.flush();
    } finally {
      this.closed = true;
      closeRunsDb(this.db);
    }
  }

  private backgroundFlush(): void {
    try {
      this.flush();
    } catch (error) {
      if (this.onError === undefined) throw error;
      this.onError(error);
    }
  }

  /** Runs inside the flush transaction. */
  private apply(batch: readonly SerializedEvent[]): void {
    const s = this.s;
    const deltas = new Map<string, RunDelta>();
    const delta = (runId: string): RunDelta => {
      let d = deltas.get(runId);
      if (d === undefined) {
        d = { lastSeq: 0, ...noSteps() };
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
        'step_id' in e ? e.step_id : null,
        'attempt' in e ? e.attempt : null,
        json,
      );
      const ended = endedStatusOf(e);
      if (ended !== null) d[ended]++;
      switch (e.type) {
        case 'run_started':
          this.runStarted(e);
          break;
        case 'step_started':
          this.stepStarted(e);
          break;
        case 'step_succeeded':
          this.stepSucceeded(e);
          break;
        case 'step_failed':
          this.stepFailed(e);
          break;
        case 'step_retrying':
          // The step stays `pending`; the event row is the record of the delay.
          break;
        case 'step_expanded': {
          const base = this.positions.get(e.run_id) ?? 0;
          e.steps.forEach((step, k) => {
            this.s.expandStep.run(e.run_id, step.id, base + k, step.name, JSON.stringify(step.depends_on), step.kind ?? 'command', step.instance_of ?? null);
          });
          this.positions.set(e.run_id, base + e.steps.length);
          this.s.stepsTotal.run({ run_id: e.run_id });
          break;
        }
        case 'step_skipped':
          this.stepSkipped(e);
          break;
        case 'step_cancelled':
          this.stepCancelled(e);
          break;
        case 'run_cancel_requested':
          this.runCancelRequested(e);
          break;
        case 'step_orphan_killed':
          // Its events row is the record; the step's row says `interrupted` (run_interrupted).
          break;
        case 'step_waiting':
          this.s.stepWaiting.run({
            run_id: e.run_id,
            step_id: e.step_id,
            detail: `waiting for mutex "${e.mutex}", held by run ${e.holder_run_id}${e.holder_step_id ? ` (step "${e.holder_step_id}")` : ''}`,
          });
          break;
        case 'run_waiting':
          // The run stays `running`; its events row says what it waits for.
          break;
        case 'step_picked_up':
        case 'step_result_discarded':
        case 'executor_unreachable':
        case 'executor_reconnected':
          // Their events rows are the record (which worker ran an attempt, a late result, a
          // wait for Redis); attempts.pid stays the engine host's (null for a worker's attempt).
          break;
        case 'run_interrupted': {
          const p = { run_id: e.run_id, ts: e.ts };
          this.s.runInterrupted.run(p);
          this.s.stepsInterrupted.run(p);
          this.s.attemptsInterrupted.run(p);
          break;
        }
        case 'run_resumed':
          this.s.runResumed.run({
            run_id: e.run_id,
            ts: e.ts,
            pid: e.pid,
            hostname: e.hostname,
            plan_sha256: e.plan_sha256,
          });
          for (const id of e.rerun) this.s.stepRerun.run(e.run_id, id);
          this.positions.set(e.run_id, Math.max(this.positions.get(e.run_id) ?? 0, e.steps.length));
          // Counts restart from the steps table, which already holds this batch's statuses.
          this.s.recount.run({ run_id: e.run_id });
          Object.assign(d, noSteps());
          break;
        case 'run_finished':
          this.runFinished(e);
          // The event's counts are authoritative and already include this batch's steps.
          Object.assign(d, noSteps());
          break;
        default:
          unreachable(e);
      }
    }

    const now = new Date().toISOString();
    for (const [runId, lastSeq] of this.active) {
      if (!deltas.has(runId)) deltas.set(runId, { lastSeq, ...noSteps() });
    }
    for (const [runId, d] of deltas) {
      s.runProgress.run({
        run_id: runId,
        last_seq: d.lastSeq,
        now,
        succeeded: d.succeeded,
        failed: d.failed,
        skipped: d.skipped,
        cancelled: d.cancelled,
      });
    }
  }

  private runStarted(e: RunStartedEvent): void {
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
      seq: e.seq,
      parent_run_id: e.parent_run_id ?? null,
      parent_step_id: e.parent_step_id ?? null,
    });
    e.steps.forEach((step, position) => {
      this.s.insertStep.run(e.run_id, step.id, position, step.name, JSON.stringify(step.depends_on), step.kind ?? 'command', step.instance_of ?? null);
    });
    this.positions.set(e.run_id, e.steps.length);
  }

  private stepStarted(e: StepStartedEvent): void {
    const key = { ...attemptKey(e), log_path: e.log_path };
    this.s.stepStarted.run({ ...key, child_run_id: e.child_run_id ?? null });
    this.s.insertAttempt.run({ ...key, pid: e.pid, command: e.command, args_json: JSON.stringify(e.args), cwd: e.cwd });
  }

  private stepSucceeded(e: StepSucceededEvent): void {
    const p = { ...attemptKey(e), exit_code: e.exit_code, duration_ms: Math.round(e.duration_ms) };
    this.s.attemptSucceeded.run(p);
    this.s.stepSucceeded.run(p);
    if (e.outputs === undefined) return;
    this.s.clearOutputs.run(e.run_id, e.step_id);
    for (const key in e.outputs) this.s.insertOutput.run(e.run_id, e.step_id, key, e.outputs[key]);
  }

  private stepFailed(e: StepFailedEvent): void {
    const p = {
      ...attemptKey(e),
      exit_code: e.exit_code,
      signal: e.signal,
      reason: e.reason,
      error: e.error,
      duration_ms: Math.round(e.duration_ms),
      will_retry: e.will_retry ? 1 : 0,
    };
    this.s.attemptFailed.run(p);
    this.s.stepFailed.run(p);
  }

  private stepSkipped(e: StepSkippedEvent): void {
    this.s.stepSkipped.run({ run_id: e.run_id, step_id: e.step_id, ts: e.ts, reason: e.reason, detail: e.detail, upstream: e.upstream });
  }

  private stepCancelled(e: StepCancelledEvent): void {
    const p = {
      ...attemptKey(e),
      reason: e.reason,
      detail: e.detail,
      upstream: e.upstream,
      exit_code: e.exit_code,
      signal: e.signal,
      duration_ms: e.duration_ms === null ? null : Math.round(e.duration_ms),
    };
    if (e.attempt !== null) this.s.attemptCancelled.run(p);
    this.s.stepCancelled.run(p);
  }

  private runCancelRequested(e: RunCancelRequestedEvent): void {
    this.s.runCancelRequested.run({ run_id: e.run_id, ts: e.ts });
  }

  private runFinished(e: RunFinishedEvent): void {
    this.s.runFinished.run({
      run_id: e.run_id,
      status: e.status,
      exit_code: e.exit_code,
      ts: e.ts,
      duration_ms: Math.round(e.duration_ms),
      succeeded: e.succeeded,
      failed: e.failed,
      skipped: e.skipped,
      cancelled: e.cancelled,
      reason: e.reason,
      detail: e.detail,
    });
  }
}

/** The statement parameters naming an attempt's row (and its step's), with the event's time. */
function attemptKey(e: { run_id: string; step_id: string; attempt: number | null; ts: string }) {
  return { run_id: e.run_id, step_id: e.step_id, attempt: e.attempt, ts: e.ts };
}
