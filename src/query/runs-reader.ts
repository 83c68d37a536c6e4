/**
 * Read-only queries on `<state>/runs.db` for the read-side commands (`runs`, `show`, `logs`,
 * `cancel`, `resume`): listing runs, resolving a run reference (run-ref.ts), a
 * run's steps and attempts. The database is opened read-only, never created, migrated or
 * recovered (commands that want dead runs recovered call crash recovery themselves, first);
 * every query is its own short read transaction, so a live engine keeps writing undisturbed
 * (WAL mode).
 */
import { existsSync } from 'node:fs';
import type { PlannedStep, RunCancelRequestedEvent, RunResumedEvent, RunStartedEvent } from '../engine/events.js';
import type { AttemptStatus, RunStatus, StepReason, StepStatus } from '../engine/status.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { engineIsAlive } from '../state/store/liveness.js';
import { runsDbPath } from '../state/store/paths.js';
import { openRunsDb, type RunsDb } from '../state/store/runs-db.js';
import { resolveRunRef } from './run-ref.js';

/** A row of `runs` (docs/runs-db.md). */
export interface RunRow {
  run_id: string;
  plan_id: string;
  plan_version: string;
  plan_path: string;
  plan_sha256: string;
  cwd: string;
  status: RunStatus;
  exit_code: number | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  vars_json: string;
  max_concurrency: number;
  pid: number;
  hostname: string;
  heartbeat_at: string;
  cancel_requested_at: string | null;
  steps_total: number;
  steps_succeeded: number;
  steps_failed: number;
  steps_skipped: number;
  steps_cancelled: number;
  last_seq: number;
  /** Why the run ended besides its steps (`run_finished.reason`: run_timeout, mutex_busy), else null. */
  finish_reason: string | null;
  finish_detail: string | null;
  /** A child run of a plan step (issue 13): the parent run and step, else null. */
  parent_run_id: string | null;
  parent_step_id: string | null;
}

/** A row of `steps`. */
export interface StepRow {
  run_id: string;
  step_id: string;
  position: number;
  name: string;
  depends_on: string;
  status: StepStatus;
  reason: StepReason | null;
  detail: string | null;
  upstream: string | null;
  attempts: number;
  exit_code: number | null;
  signal: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  log_path: string | null;
  /** `command`, `plan` (a child run), `matrix` or `for_each` (they run nothing; they end with their instances' verdict). */
  kind: 'command' | 'plan' | 'matrix' | 'for_each';
  /** An instance's matrix / for_each step, else null. */
  instance_of: string | null;
  /** A plan step's latest child run, else null. */
  child_run_id: string | null;
}

/** A row of `attempts`. */
export interface AttemptRow {
  run_id: string;
  step_id: string;
  attempt: number;
  status: AttemptStatus;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  reason: StepReason | null;
  error: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  log_path: string;
  command: string;
  args_json: string;
  cwd: string;
}

/** Opens `<stateDir>/runs.db` read-only, or returns null when it does not exist. */
export function openRunsDbForReading(stateDir: string): RunsDb | null {
  const path = runsDbPath(stateDir);
  if (!existsSync(path)) return null;
  return openRunsDb(path, { readonly: true });
}

/**
 * Like {@link openRunsDbForReading}, for commands that need a run: a missing database is a
 * {@link UserError} (exit 2).
 */
export function requireRunsDb(stateDir: string): RunsDb {
  const db = openRunsDbForReading(stateDir);
  if (!db) throw new UserError(`no runs yet in ${stateDir} (no runs.db there)`, ExitCode.usage);
  return db;
}

/** Runs `fn` with `db`, closing it afterwards. */
export function using<T>(db: RunsDb, fn: (db: RunsDb) => T): T {
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export interface RunFilter {
  status?: RunStatus | undefined;
  planId?: string | undefined;
  /** Only runs started at or after this ISO 8601 UTC time. */
  since?: string | undefined;
}

/** Runs, newest first, optionally of one status and/or plan id, started since a time. */
export function listRuns(db: RunsDb, filter: RunFilter & { limit: number }): RunRow[] {
  const { where, params } = runFilterSql(filter);
  const sql = `SELECT * FROM runs ${where} ORDER BY started_at DESC, run_id DESC LIMIT @limit`;
  return db.prepare(sql).all({ ...params, limit: filter.limit }) as RunRow[];
}

/** How many runs match `filter`, and how many there are in all. */
export function countRuns(db: RunsDb, filter: RunFilter): { matching: number; all: number } {
  const { where, params } = runFilterSql(filter);
  const count = (sql: string, p: Record<string, unknown>): number => (db.prepare(sql).get(p) as { n: number }).n;
  const all = count('SELECT count(*) AS n FROM runs', {});
  return { matching: where === '' ? all : count(`SELECT count(*) AS n FROM runs ${where}`, params), all };
}

function runFilterSql(filter: RunFilter): { where: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (filter.status !== undefined) {
    where.push('status = @status');
    params.status = filter.status;
  }
  if (filter.planId !== undefined) {
    where.push('plan_id = @plan_id');
    params.plan_id = filter.planId;
  }
  if (filter.since !== undefined) {
    where.push('started_at >= @since');
    params.since = filter.since;
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** The run with this exact id, or undefined. */
export function getRun(db: RunsDb, runId: string): RunRow | undefined {
  return db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunRow | undefined;
}

/**
 * The run `ref` names: its id, a unique prefix or suffix of it, `last`, `last~N`, `last-failed`
 * (run-ref.ts).
 * @throws UserError (exit 2) when no run matches, or several do
 */
export function resolveRun(db: RunsDb, ref: string, stateDir: string): RunRow {
  return resolveRunRef(db, ref, stateDir);
}

/** A run's steps in topological order (`steps.position`). */
export function stepsOf(db: RunsDb, runId: string): StepRow[] {
  return db.prepare('SELECT * FROM steps WHERE run_id = ? ORDER BY position').all(runId) as StepRow[];
}

/** One step of a run, or undefined. */
export function getStep(db: RunsDb, runId: string, stepId: string): StepRow | undefined {
  return db.prepare('SELECT * FROM steps WHERE run_id = ? AND step_id = ?').get(runId, stepId) as StepRow | undefined;
}

/** Every attempt of a run, by step id, each list in attempt order. */
export function attemptsOf(db: RunsDb, runId: string): Map<string, AttemptRow[]> {
  const rows = db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY step_id, attempt').all(runId) as AttemptRow[];
  const byStep = new Map<string, AttemptRow[]>();
  for (const r of rows) {
    const list = byStep.get(r.step_id);
    if (list) list.push(r);
    else byStep.set(r.step_id, [r]);
  }
  return byStep;
}

/** The attempts of one step, in attempt order. */
export function attemptsOfStep(db: RunsDb, runId: string, stepId: string): AttemptRow[] {
  return db
    .prepare('SELECT * FROM attempts WHERE run_id = ? AND step_id = ? ORDER BY attempt')
    .all(runId, stepId) as AttemptRow[];
}

/** A run's steps with their attempts, in topological order. */
export interface StepWithAttempts {
  step: StepRow;
  attempts: AttemptRow[];
  /** Its recorded outputs ({} when none). */
  outputs: Record<string, string>;
}

export function stepsWithAttempts(db: RunsDb, runId: string): StepWithAttempts[] {
  const attempts = attemptsOf(db, runId);
  const outputs = outputsOf(db, runId);
  return stepsOf(db, runId).map((step) => ({ step, attempts: attempts.get(step.step_id) ?? [], outputs: outputs.get(step.step_id) ?? {} }));
}

/** The recorded outputs of a run's steps (issue 13; secret values masked), by step id. */
export function outputsOf(db: RunsDb, runId: string): Map<string, Record<string, string>> {
  const rows = db.prepare('SELECT step_id, key, value FROM outputs WHERE run_id = ? ORDER BY step_id, key').all(runId) as { step_id: string; key: string; value: string }[];
  const byStep = new Map<string, Record<string, string>>();
  for (const r of rows) {
    let o = byStep.get(r.step_id);
    if (!o) byStep.set(r.step_id, (o = {}));
    o[r.key] = r.value;
  }
  return byStep;
}

/** Child runs of a run's plan steps (issue 13), oldest first. */
export function childRunsOf(db: RunsDb, runId: string): RunRow[] {
  return db.prepare('SELECT * FROM runs WHERE parent_run_id = ? ORDER BY started_at, run_id').all(runId) as RunRow[];
}

/** Parses a JSON column, falling back to `fallback` when it is not valid JSON. */
export function parseJsonColumn<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * True when `run` is recorded as `running` but its engine is gone (liveness.ts). Such a run
 * will never finish by itself (crash recovery marks it `interrupted`).
 */
export function engineSeemsGone(run: RunRow, now: number = Date.now()): boolean {
  return run.status === 'running' && !engineIsAlive(run, now);
}

/** The steps as the run's latest `run_started` or `run_resumed` announced them (with `critical`); [] when unreadable. */
export function plannedStepsOf(db: RunsDb, runId: string): PlannedStep[] {
  const data = db
    .prepare("SELECT data FROM events WHERE run_id = ? AND type IN ('run_started', 'run_resumed') ORDER BY seq DESC LIMIT 1")
    .pluck()
    .get(runId) as string | undefined;
  return parseJsonColumn<RunStartedEvent | RunResumedEvent | null>(data ?? null, null)?.steps ?? [];
}

/** The first cancel request since the run (last) started or resumed, or null. */
export function cancelRequestOf(db: RunsDb, runId: string): RunCancelRequestedEvent | null {
  const rows = db
    .prepare("SELECT type, data FROM events WHERE run_id = ? AND type IN ('run_resumed', 'run_cancel_requested') ORDER BY seq")
    .all(runId) as { type: string; data: string }[];
  let first: RunCancelRequestedEvent | null = null;
  for (const r of rows) {
    if (r.type === 'run_resumed') first = null;
    else first ??= parseJsonColumn<RunCancelRequestedEvent | null>(r.data, null);
  }
  return first;
}
