/**
 * Every SQL statement the dashboard runs, prepared once per connection. The connection is
 * read-only; a call that reads several tables runs in one read transaction, so what it returns
 * is one consistent snapshot, and every transaction is short (a writing engine never waits).
 */
import type { RunsDb } from '../state/store/runs-db.js';
import type { ApiAttempt, ApiPlan, AttemptStatus, ApiRun, ApiStep, RunDetail, RunStatus, StepDetail } from './api-types.js';
import { engineGone } from './engine-liveness.js';

/** Filters and cursor of `GET /api/runs`, already checked. */
export interface RunsQuery {
  status: RunStatus | null;
  planId: string | null;
  /** Substring of the run id or plan id, matched literally. */
  text: string | null;
  /** Only runs older than this run (keyset pagination). */
  beforeRunId: string | null;
  /** Only runs that are no child run of a plan step (`parent_run_id IS NULL`). */
  topLevel: boolean;
  /** Only the child runs of this run. */
  parentRunId: string | null;
  limit: number;
}

/** A run's event as stored: `data` is the event's JSON text, byte for byte its events.jsonl line. */
export interface EventRecord {
  seq: number;
  data: string;
}

/** Which runs got events since a position in the events table, and the new position. */
export interface NewEvents {
  runIds: string[];
  lastRowid: number;
}

type Row = Record<string, unknown>;

/** A `runs` row and its derived number of child runs (an index lookup: `runs_parent_run_id`). */
const RUN_COLUMNS = 'runs.*, (SELECT count(*) FROM runs AS c WHERE c.parent_run_id = runs.run_id) AS child_runs';
type Statement = ReturnType<RunsDb['prepare']>;

export class Queries {
  private readonly runsByShape = new Map<string, Statement>();
  private readonly s;
  private readonly runDetailTx: (runId: string) => RunDetail | undefined;
  private readonly stepDetailTx: (runId: string, stepId: string) => StepDetail | undefined;

  constructor(private readonly db: RunsDb) {
    this.s = {
      run: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`),
      steps: db.prepare('SELECT * FROM steps WHERE run_id = ? ORDER BY position'),
      step: db.prepare('SELECT * FROM steps WHERE run_id = ? AND step_id = ?'),
      attempts: db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY step_id, attempt'),
      attemptsOfStep: db.prepare('SELECT * FROM attempts WHERE run_id = ? AND step_id = ? ORDER BY attempt'),
      outputs: db.prepare('SELECT step_id, key, value FROM outputs WHERE run_id = ? ORDER BY step_id, key'),
      instancesOf: db.prepare('SELECT * FROM steps WHERE run_id = ? AND instance_of = ? ORDER BY position'),
      outputsOfStep: db.prepare('SELECT key, value FROM outputs WHERE run_id = ? AND step_id = ? ORDER BY key'),
      children: db.prepare('SELECT run_id, parent_step_id AS step_id, status FROM runs WHERE parent_run_id = ? ORDER BY started_at, run_id'),
      attemptStatus: db.prepare('SELECT status FROM attempts WHERE run_id = ? AND step_id = ? AND attempt = ?').pluck(),
      // The ready and spawn times are only in the events; a range scan of the run's events.
      startTimes: db.prepare(
        `SELECT step_id, attempt, json_extract(data, '$.ready_at_ms') AS ready_at_ms,
                json_extract(data, '$.started_at_ms') AS started_at_ms
         FROM events WHERE run_id = ? AND type = 'step_started'`,
      ),
      startTimesOfStep: db.prepare(
        `SELECT step_id, attempt, json_extract(data, '$.ready_at_ms') AS ready_at_ms,
                json_extract(data, '$.started_at_ms') AS started_at_ms
         FROM events WHERE run_id = ? AND type = 'step_started' AND step_id = ?`,
      ),
      eventsAfter: db.prepare('SELECT seq, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      // events is append-only and writers are serialised, so rowids grow in commit order: the
      // rows above a rowid are exactly what was committed since it was read.
      newEventRuns: db.prepare('SELECT run_id, max(rowid) AS last FROM events WHERE rowid > ? GROUP BY run_id'),
      lastRowid: db.prepare('SELECT coalesce(max(rowid), 0) FROM events').pluck(),
      // SQLite's bare columns next to a single max() come from the row holding the max.
      plans: db.prepare(
        `SELECT plan_id, plan_version, count(*) AS runs, run_id AS last_run_id,
                max(started_at) AS last_started_at, status AS last_status
         FROM runs GROUP BY plan_id ORDER BY last_started_at DESC`,
      ),
    };
    // One read transaction each: the rows agree with each other and with `run.last_seq`.
    this.runDetailTx = db.transaction((runId: string): RunDetail | undefined => {
      const run = this.run(runId);
      if (run === undefined) return undefined;
      const steps = this.s.steps.all(runId) as ApiStep[];
      const attempts = withStartTimes(this.s.attempts.all(runId) as Row[], this.s.startTimes.all(runId) as Row[]);
      const outputs: Record<string, Record<string, string>> = {};
      for (const o of this.s.outputs.all(runId) as { step_id: string; key: string; value: string }[]) (outputs[o.step_id] ??= {})[o.key] = o.value;
      const children = this.s.children.all(runId) as RunDetail['children'];
      return { run, steps, attempts, outputs, children };
    });
    this.stepDetailTx = db.transaction((runId: string, stepId: string): StepDetail | undefined => {
      const run = this.run(runId);
      const step = this.s.step.get(runId, stepId) as ApiStep | undefined;
      if (run === undefined || step === undefined) return undefined;
      const attempts = withStartTimes(
        this.s.attemptsOfStep.all(runId, stepId) as Row[],
        this.s.startTimesOfStep.all(runId, stepId) as Row[],
      );
      const outputs: Record<string, string> = {};
      for (const o of this.s.outputsOfStep.all(runId, stepId) as { key: string; value: string }[]) outputs[o.key] = o.value;
      const instances = step.kind === 'matrix' || step.kind === 'for_each' ? (this.s.instancesOf.all(runId, stepId) as ApiStep[]) : [];
      return { run, step, attempts, outputs, instances };
    });
  }

  /** `PRAGMA data_version`: changes whenever another connection commits. */
  dataVersion(): number {
    return Number(this.db.pragma('data_version', { simple: true }));
  }

  /** One page of runs, newest first; `next` is set when more runs follow. */
  runsPage(q: RunsQuery): { runs: ApiRun[]; next: string | null } {
    const rows = this.runsStatement(q).all({
      status: q.status,
      plan_id: q.planId,
      pattern: q.text === null ? null : `%${q.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      before: q.beforeRunId,
      parent: q.parentRunId,
      limit: q.limit + 1,
    }) as Row[];
    const more = rows.length > q.limit;
    const runs = rows.slice(0, q.limit).map(toRun);
    return { runs, next: more ? runs.at(-1)!.run_id : null };
  }

  /** One statement per combination of filters, so each can use its index (prepared on first use). */
  private runsStatement(q: RunsQuery): Statement {
    const shape = [q.status, q.planId, q.text, q.beforeRunId, q.parentRunId, q.topLevel || null].map((v) => (v === null ? '0' : '1')).join('');
    let stmt = this.runsByShape.get(shape);
    if (stmt === undefined) {
      const where: string[] = [];
      if (q.status !== null) where.push('status = @status');
      if (q.planId !== null) where.push('plan_id = @plan_id');
      if (q.text !== null) where.push(`(run_id LIKE @pattern ESCAPE '\\' OR plan_id LIKE @pattern ESCAPE '\\')`);
      if (q.parentRunId !== null) where.push('parent_run_id = @parent');
      // Unary plus: not by runs_parent_run_id (every top-level run has NULL there), but along
      // runs_started_at, stopping after one page, as without the filter.
      if (q.topLevel) where.push('+parent_run_id IS NULL');
      if (q.beforeRunId !== null) {
        where.push('(started_at, run_id) < (SELECT started_at, run_id FROM runs WHERE run_id = @before)');
      }
      stmt = this.db.prepare(
        `SELECT ${RUN_COLUMNS} FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY started_at DESC, run_id DESC LIMIT @limit`,
      );
      this.runsByShape.set(shape, stmt);
    }
    return stmt;
  }

  /** The run, or undefined. */
  run(runId: string): ApiRun | undefined {
    const row = this.s.run.get(runId) as Row | undefined;
    return row === undefined ? undefined : toRun(row);
  }

  /** The run with all its steps (topological order) and attempts, or undefined. */
  runDetail(runId: string): RunDetail | undefined {
    return this.runDetailTx(runId);
  }

  /** The run, one step and its attempts, or undefined when either does not exist. */
  stepDetail(runId: string, stepId: string): StepDetail | undefined {
    return this.stepDetailTx(runId, stepId);
  }

  /** The status of one attempt, or undefined when it never started. */
  attemptStatus(runId: string, stepId: string, attempt: number): AttemptStatus | undefined {
    return this.s.attemptStatus.get(runId, stepId, attempt) as AttemptStatus | undefined;
  }

  /** Up to `limit` events of the run with seq > `afterSeq`, in seq order. */
  eventsAfter(runId: string, afterSeq: number, limit: number): EventRecord[] {
    return this.s.eventsAfter.all(runId, afterSeq, limit) as EventRecord[];
  }

  /** Where the events table ends now. */
  lastEventRowid(): number {
    return Number(this.s.lastRowid.get());
  }

  /** The runs that got events after `afterRowid`. */
  newEvents(afterRowid: number): NewEvents {
    const rows = this.s.newEventRuns.all(afterRowid) as { run_id: string; last: number }[];
    return { runIds: rows.map((r) => r.run_id), lastRowid: rows.reduce((m, r) => Math.max(m, r.last), afterRowid) };
  }

  /** Every plan id with runs, the one with the newest run first. */
  plans(): ApiPlan[] {
    return this.s.plans.all() as ApiPlan[];
  }
}

function toRun(row: Row): ApiRun {
  const run = row as unknown as Omit<ApiRun, 'engine_gone'>;
  return { ...run, engine_gone: engineGone(run) };
}

/** Attempt rows with the ready and spawn times of their `step_started` events. */
function withStartTimes(attempts: Row[], starts: Row[]): ApiAttempt[] {
  const byKey = new Map(starts.map((s) => [`${String(s.step_id)}\0${String(s.attempt)}`, s]));
  return attempts.map((a) => {
    const s = byKey.get(`${String(a.step_id)}\0${String(a.attempt)}`);
    return {
      ...(a as unknown as Omit<ApiAttempt, 'ready_at_ms' | 'started_at_ms'>),
      ready_at_ms: (s?.ready_at_ms as number | undefined) ?? null,
      started_at_ms: (s?.started_at_ms as number | undefined) ?? null,
    };
  });
}
