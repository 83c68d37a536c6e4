/**
 * What `engine run` records, read back as other programs would: `events.jsonl` line by line and
 * `runs.db` through separate read-only better-sqlite3 connections, from real runs of the built
 * CLI with real processes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepCancelledEvent, StepFailedEvent, StepSucceededEvent } from '../../src/engine/events.js';
import { plan, workspace, type Workspace } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import {
  eventsOf,
  ISO_MS_UTC,
  logPath,
  onlyRunId,
  openRunsDbReadonly,
  readJsonl,
  readLog,
  runIds,
  runsDbPath,
  withRunsDb,
  type EngineEvent,
} from '../helpers/record.js';
import { removeDir } from '../helpers/temp-dirs.js';

const EVENT_TYPES = [
  'run_started',
  'step_started',
  'step_succeeded',
  'step_failed',
  'step_retrying',
  'step_skipped',
  'step_cancelled',
  'run_cancel_requested',
  'run_finished',
];

interface EventRow {
  run_id: string;
  seq: number;
  ts: string;
  type: string;
  step_id: string | null;
  attempt: number | null;
  data: string;
}

function eventRows(db: Database.Database, runId: string): EventRow[] {
  return db.prepare('SELECT * FROM events WHERE run_id = ? ORDER BY seq').all(runId) as EventRow[];
}

describe('a varied run (success, a retried step, a failed non-critical step, a skipped step)', () => {
  let w: Workspace;
  let exitCode: number | undefined;
  let runId: string;
  let lines: string[];
  let events: EngineEvent[];
  let planPath: string;

  beforeAll(async () => {
    w = workspace('engine-cli-state-');
    planPath = w.writePlan(
      plan([
        { id: 'ok', shell: true, command: 'echo ok-output' },
        {
          id: 'flaky',
          shell: true,
          command: 'echo "attempt $ENGINE_ATTEMPT"; [ "$ENGINE_ATTEMPT" -ge 2 ]',
          retries: 2,
          retry_delay_sec: 0.1,
        },
        { id: 'broken', shell: true, command: 'echo broken-output; exit 3', critical: false },
        { id: 'downstream', command: 'touch', args: ['downstream-ran.txt'], depends_on: ['broken'] },
        { id: 'custom_exit', shell: true, command: 'exit 7', success_exit_codes: [0, 7] },
        { id: 'final', shell: true, command: 'echo final-output', depends_on: ['ok', 'flaky', 'custom_exit'] },
      ], { globals: { max_concurrency: 3 } }),
    );
    const r = await w.engine(['run', 'plan.json']);
    exitCode = r.exitCode;
    if (r.exitCode !== 0) throw new Error(`engine run failed (${r.exitCode}):\n${r.all}`);
    runId = onlyRunId(w.stateDir);
    ({ lines, events } = readJsonl(w.stateDir, runId));
  });
  afterAll(() => removeDir(w.dir));

  const byType = <T extends EngineEvent['type']>(type: T, stepId?: string) => eventsOf(events, type, stepId);

  it('exits 0 because only a non-critical step failed', () => {
    expect(exitCode).toBe(0);
    expect(byType('run_finished')).toEqual([
      expect.objectContaining({ status: 'succeeded', exit_code: 0, succeeded: 4, failed: 1, skipped: 1, cancelled: 0 }),
    ]);
    expect(existsSync(join(w.dir, 'downstream-ran.txt'))).toBe(false);
  });

  it('numbers events 1..N without gaps, each with an ISO 8601 UTC ms ts, the run_id and a known type', () => {
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    for (const e of events) {
      expect(e.ts, `ts of event ${e.seq}`).toMatch(ISO_MS_UTC);
      expect(new Date(e.ts).toISOString()).toBe(e.ts);
      expect(e.run_id).toBe(runId);
      expect(EVENT_TYPES).toContain(e.type);
    }
    // Times never go backwards, and the run starts and finishes the stream.
    expect(events.map((e) => e.ts)).toEqual([...events.map((e) => e.ts)].sort());
    expect(events[0]!.type).toBe('run_started');
    expect(events.at(-1)!.type).toBe('run_finished');
  });

  it('stores in the runs.db events table exactly the lines of events.jsonl, event for event', () => {
    const rows = withRunsDb(w.stateDir, (db) => eventRows(db, runId));
    expect(rows.map((r) => r.seq)).toEqual(events.map((e) => e.seq));
    expect(rows.map((r) => r.data)).toEqual(lines);
  });

  it('fills the events table columns ts, type, step_id and attempt from each event', () => {
    const rows = withRunsDb(w.stateDir, (db) => eventRows(db, runId));
    expect(rows.map(({ run_id, seq, ts, type, step_id, attempt }) => ({ run_id, seq, ts, type, step_id, attempt }))).toEqual(
      events.map((e) => ({
        run_id: e.run_id,
        seq: e.seq,
        ts: e.ts,
        type: e.type,
        step_id: 'step_id' in e ? e.step_id : null,
        attempt: 'attempt' in e ? e.attempt : null,
      })),
    );
  });

  it('records a retried step as attempt 1 failed, a step_retrying, then attempt 2 succeeded', () => {
    expect(events.filter((e) => 'step_id' in e && e.step_id === 'flaky').map((e) => [e.type, 'attempt' in e ? e.attempt : undefined])).toEqual([
      ['step_started', 1],
      ['step_failed', 1],
      ['step_retrying', 2],
      ['step_started', 2],
      ['step_succeeded', 2],
    ]);
    expect(byType('step_failed', 'flaky')[0]).toMatchObject({ exit_code: 1, reason: 'exit_code', will_retry: true });
    expect(byType('step_retrying', 'flaky')[0]).toMatchObject({ delay_ms: 100, reason: 'exit_code' });
  });

  it('writes a runs row that matches run_started and run_finished', () => {
    const started = byType('run_started')[0]!;
    const finished = byType('run_finished')[0]!;
    const row = withRunsDb(w.stateDir, (db) => db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId));
    expect(row).toEqual({
      run_id: runId,
      plan_id: 'test',
      plan_version: '1',
      plan_path: planPath,
      plan_sha256: createHash('sha256').update(readFileSync(planPath)).digest('hex'),
      cwd: w.dir,
      status: 'succeeded',
      exit_code: 0,
      started_at: started.ts,
      finished_at: finished.ts,
      duration_ms: finished.duration_ms,
      vars_json: JSON.stringify(started.vars),
      max_concurrency: 3,
      pid: started.pid,
      hostname: started.hostname,
      heartbeat_at: expect.stringMatching(ISO_MS_UTC),
      cancel_requested_at: null,
      finish_reason: null,
      finish_detail: null,
      parent_run_id: null,
      parent_step_id: null,
      steps_total: 6,
      steps_succeeded: 4,
      steps_failed: 1,
      steps_skipped: 1,
      steps_cancelled: 0,
      last_seq: events.length,
    });
    expect(started).toMatchObject({ plan_path: planPath, cwd: w.dir, max_concurrency: 3 });
  });

  it('writes steps rows whose status, attempts, exit code, reason and log path match the events', () => {
    const rows = withRunsDb(w.stateDir, (db) =>
      db
        .prepare('SELECT step_id, status, attempts, exit_code, reason, detail, upstream, log_path, started_at, finished_at FROM steps WHERE run_id = ? ORDER BY position')
        .all(runId),
    ) as Record<string, unknown>[];
    const logOf = (id: string, n: number) => logPath(w, runId, id, n);
    const byId = Object.fromEntries(rows.map((r) => [r.step_id, r]));
    expect(byId).toEqual({
      ok: expect.objectContaining({ status: 'succeeded', attempts: 1, exit_code: 0, reason: null, log_path: logOf('ok', 1) }),
      flaky: expect.objectContaining({ status: 'succeeded', attempts: 2, exit_code: 0, reason: null, log_path: logOf('flaky', 2) }),
      broken: expect.objectContaining({
        status: 'failed',
        attempts: 1,
        exit_code: 3,
        reason: 'exit_code',
        detail: 'exit code 3 (expected 0)',
        log_path: logOf('broken', 1),
      }),
      downstream: expect.objectContaining({
        status: 'skipped',
        attempts: 0,
        exit_code: null,
        reason: 'trigger_rule',
        upstream: 'broken',
        log_path: null,
        started_at: null,
      }),
      custom_exit: expect.objectContaining({ status: 'succeeded', attempts: 1, exit_code: 7, log_path: logOf('custom_exit', 1) }),
      final: expect.objectContaining({ status: 'succeeded', attempts: 1, exit_code: 0, log_path: logOf('final', 1) }),
    });
    // Rows are in run_started's topological order, with its names and dependencies.
    const planned = byType('run_started')[0]!.steps as { id: string; name: string; depends_on: string[] }[];
    const shape = withRunsDb(w.stateDir, (db) =>
      db.prepare('SELECT step_id AS id, name, depends_on FROM steps WHERE run_id = ? ORDER BY position').all(runId),
    ) as { id: string; name: string; depends_on: string }[];
    expect(shape.map((r) => ({ ...r, depends_on: JSON.parse(r.depends_on) as string[] }))).toEqual(
      planned.map(({ id, name, depends_on }) => ({ id, name, depends_on })),
    );
    // Each row agrees with its step's events: attempts started, last log path, final time.
    for (const r of rows) {
      const id = r.step_id as string;
      const starts = byType('step_started', id);
      expect(r.attempts, id).toBe(starts.length);
      expect(r.log_path, id).toBe(starts.at(-1)?.log_path ?? null);
      const last = events.filter((e) => 'step_id' in e && e.step_id === id).at(-1)!;
      expect(r.finished_at, id).toBe(last.ts);
      expect(r.started_at, id).toBe(starts[0]?.ts ?? null);
      if (r.log_path !== null) expect(existsSync(r.log_path as string), `${id} log exists`).toBe(true);
    }
  });

  it('writes one attempts row per step_started, matching how that attempt ended, with its log file', () => {
    const rows = withRunsDb(w.stateDir, (db) =>
      db.prepare('SELECT * FROM attempts WHERE run_id = ? ORDER BY step_id, attempt').all(runId),
    ) as Record<string, unknown>[];
    const starts = byType('step_started');
    const ends = events.filter((e): e is StepSucceededEvent | StepFailedEvent | StepCancelledEvent =>
      ['step_succeeded', 'step_failed', 'step_cancelled'].includes(e.type),
    );
    expect(rows).toHaveLength(starts.length);
    for (const s of starts) {
      const row = rows.find((r) => r.step_id === s.step_id && r.attempt === s.attempt)!;
      const end = ends.find((e) => e.step_id === s.step_id && e.attempt === s.attempt)!;
      const label = `${String(s.step_id)}#${String(s.attempt)}`;
      expect(row, label).toMatchObject({
        status: end.type.replace('step_', ''),
        pid: s.pid,
        exit_code: end.exit_code,
        started_at: s.ts,
        finished_at: end.ts,
        duration_ms: end.duration_ms,
        log_path: s.log_path,
        command: s.command,
        args_json: JSON.stringify(s.args),
        cwd: w.dir,
      });
      expect(existsSync(row.log_path as string), `${label} log exists`).toBe(true);
    }
    const log = (id: string, n: number) => readLog(w, id, n, runId);
    expect(log('broken', 1)).toContain('broken-output');
    expect(log('flaky', 1)).toContain('attempt 1');
    expect(log('flaky', 2)).toContain('attempt 2');
    expect(rows.find((r) => r.step_id === 'broken')).toMatchObject({ status: 'failed', reason: 'exit_code', error: 'exit code 3 (expected 0)' });
  });

  it('leaves runs.db in WAL mode and passing PRAGMA integrity_check', () => {
    withRunsDb(w.stateDir, (db) => {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('user_version', { simple: true })).toBe(2);
    });
  });
});

describe('several engines sharing a state directory', () => {
  let w: Workspace;
  beforeAll(() => {
    w = workspace('engine-cli-state-concurrent-');
  });
  afterAll(() => removeDir(w.dir));

  it('records both of two runs started at the same moment against the same --state-dir, with all their events', async () => {
    const steps = (prefix: string) =>
      Array.from({ length: 20 }, (_, i) => ({
        id: `${prefix}${i}`,
        command: 'true',
        ...(i >= 4 ? { depends_on: [`${prefix}${i - 4}`] } : {}),
      }));
    w.writePlan(plan(steps('a'), { plan_id: 'plan-a', globals: { max_concurrency: 4 } }), 'a.json');
    w.writePlan(plan(steps('b'), { plan_id: 'plan-b', globals: { max_concurrency: 4 } }), 'b.json');
    const results = await Promise.all([w.engine(['run', 'a.json']), w.engine(['run', 'b.json'])]);
    for (const r of results) expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });

    const ids = runIds(w.stateDir);
    expect(ids).toHaveLength(2);
    withRunsDb(w.stateDir, (db) => {
      const runs = db.prepare('SELECT run_id, plan_id, status, exit_code, steps_succeeded, last_seq FROM runs ORDER BY plan_id').all() as Record<string, unknown>[];
      expect(runs.map((r) => r.plan_id)).toEqual(['plan-a', 'plan-b']);
      expect(runs.map((r) => r.run_id).sort()).toEqual(ids);
      for (const run of runs) {
        const runId = run.run_id as string;
        const { lines } = readJsonl(w.stateDir, runId);
        const rows = eventRows(db, runId);
        expect(rows.length, `${runId}: events rows = JSONL lines`).toBe(lines.length);
        expect(rows.map((r) => r.data)).toEqual(lines);
        expect(run).toMatchObject({ status: 'succeeded', exit_code: 0, steps_succeeded: 20, last_seq: lines.length });
        // run_started, run_finished, and a start and a success per step.
        expect(lines.length).toBe(2 + 2 * 20);
      }
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    });
  });
});

describe('reading runs.db while a run is in progress', () => {
  let w: Workspace;
  let db: Database.Database | undefined;
  beforeAll(() => {
    w = workspace('engine-cli-state-reader-');
  });
  afterAll(() => {
    db?.close();
    removeDir(w.dir);
  });

  it('lets a separate read-only connection see the run and its step running, then finished', async () => {
    w.writePlan(
      plan([
        { id: 'quick', command: 'true' },
        { id: 'slow', command: 'sleep', args: ['2'], depends_on: ['quick'] },
      ]),
    );
    const proc = w.engine(['run', 'plan.json']);
    let exit: Awaited<typeof proc>;
    try {
      // Wait for the file and its schema: the engine may still be creating them.
      const reader = await waitFor(() => {
        if (!existsSync(runsDbPath(w.stateDir))) return undefined;
        const c = openRunsDbReadonly(w.stateDir);
        try {
          c.prepare('SELECT count(*) FROM runs').get();
          return c;
        } catch (err) {
          c.close();
          throw err;
        }
      }, 'runs.db with its schema');
      db = reader;

      const live = await waitFor(
        () => {
          // One read transaction: a consistent snapshot of the run, its steps and its events.
          const snap = reader.transaction(() => ({
            run: reader.prepare("SELECT run_id, status, last_seq, finished_at, steps_succeeded FROM runs WHERE plan_id = 'test'").get() as
              | Record<string, unknown>
              | undefined,
            steps: reader.prepare('SELECT step_id, status FROM steps ORDER BY position').all() as { step_id: string; status: string }[],
            events: (reader.prepare('SELECT count(*) AS n, max(seq) AS max FROM events').get() as { n: number; max: number }),
          }))();
          const slow = snap.steps.find((s) => s.step_id === 'slow');
          return snap.run?.status === 'running' && slow?.status === 'running' ? snap : undefined;
        },
        'the run and step "slow" to be running in runs.db',
        { timeoutMs: 15_000 },
      );
      expect(live.run).toMatchObject({ status: 'running', finished_at: null, steps_succeeded: 1 });
      expect(live.steps).toEqual([
        { step_id: 'quick', status: 'succeeded' },
        { step_id: 'slow', status: 'running' },
      ]);
      expect(live.events).toEqual({ n: live.run!.last_seq, max: live.run!.last_seq });
    } finally {
      // Let the run end whatever happened above; its result is checked below.
      exit = await proc;
    }
    expect({ exitCode: exit.exitCode, stderr: exit.stderr }).toEqual({ exitCode: 0, stderr: '' });

    const end = db!.prepare('SELECT status, exit_code, steps_succeeded FROM runs').get();
    expect(end).toEqual({ status: 'succeeded', exit_code: 0, steps_succeeded: 2 });
    expect(db!.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: readJsonl(w.stateDir, onlyRunId(w.stateDir)).lines.length });
  });
});
