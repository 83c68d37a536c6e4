import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/engine/events.js';
import { EventsFile, serializeEvent } from '../../src/state/sinks/events-file-sink.js';
import { bufferedSqlite, nextTurn, recorder, runStarted, stepStarted, stepSucceeded, typicalRun } from '../helpers/event-fixtures.js';
import { openDbFileReadonly } from '../helpers/record.js';
import { tempDirWithCleanup } from '../helpers/temp-dirs.js';

describe('SqliteSink', () => {
  let dir: string;
  let dbPath: string;
  let cleanup: () => void;
  const open: { close(): unknown }[] = [];
  beforeEach(() => {
    ({ dir, cleanup } = tempDirWithCleanup('engine-state-test-'));
    dbPath = join(dir, 'runs.db');
  });
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
    cleanup();
  });

  function reader(): Database.Database {
    const db = openDbFileReadonly(dbPath);
    open.push(db);
    return db;
  }

  function writeAll(events: EngineEvent[]): void {
    const sink = bufferedSqlite(dbPath);
    for (const e of events) sink.handle(e);
    sink.close();
  }

  it('records the final status, exit code, duration and step counts of a run', () => {
    writeAll(typicalRun());
    expect(reader().prepare('SELECT * FROM runs').all()).toEqual([
      {
        run_id: 'run-1',
        plan_id: 'demo',
        plan_version: '1.0.0',
        plan_path: '/plans/demo.json',
        plan_sha256: 'ab'.repeat(32),
        cwd: '/home/user/project',
        status: 'cancelled',
        exit_code: 130,
        started_at: '2025-01-02T03:04:05.010Z',
        finished_at: '2025-01-02T03:04:05.160Z',
        duration_ms: 160,
        vars_json: '{"NAME":"x","TOKEN":"***"}',
        max_concurrency: 4,
        pid: 4242,
        hostname: 'host-1',
        heartbeat_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        cancel_requested_at: '2025-01-02T03:04:05.130Z',
        finish_reason: null,
        finish_detail: null,
        parent_run_id: null,
        parent_step_id: null,
        steps_total: 6,
        steps_succeeded: 2,
        steps_failed: 1,
        steps_skipped: 1,
        steps_cancelled: 2,
        last_seq: 16,
      },
    ]);
  });

  it('records each step with its position, status, reason, attempts and last exit code', () => {
    writeAll(typicalRun());
    const steps = reader()
      .prepare(
        `SELECT step_id, position, name, depends_on, status, reason, detail, upstream, attempts,
                exit_code, signal, started_at, finished_at, duration_ms, log_path
         FROM steps WHERE run_id = 'run-1' ORDER BY position`,
      )
      .all();
    const t = (ms: number) => new Date(Date.parse('2025-01-02T03:04:05.000Z') + ms).toISOString();
    expect(steps).toEqual([
      { step_id: 'a', position: 0, name: 'Step A', depends_on: '[]', status: 'succeeded', reason: null, detail: null, upstream: null, attempts: 1, exit_code: 0, signal: null, started_at: t(20), finished_at: t(40), duration_ms: 120, log_path: '/state/runs/r/logs/a.1.log' },
      { step_id: 'e', position: 1, name: 'e', depends_on: '[]', status: 'cancelled', reason: 'run_cancelled', detail: 'run cancelled (SIGINT)', upstream: null, attempts: 1, exit_code: null, signal: 'SIGTERM', started_at: t(30), finished_at: t(140), duration_ms: 130, log_path: '/state/runs/r/logs/e.1.log' },
      { step_id: 'b', position: 2, name: 'b', depends_on: '["a"]', status: 'succeeded', reason: null, detail: null, upstream: null, attempts: 2, exit_code: 0, signal: null, started_at: t(50), finished_at: t(120), duration_ms: 70, log_path: '/state/runs/r/logs/b.2.log' },
      { step_id: 'c', position: 3, name: 'c', depends_on: '["a"]', status: 'failed', reason: 'exit_code', detail: 'exit code 2 (expected 0)', upstream: null, attempts: 1, exit_code: 2, signal: null, started_at: t(60), finished_at: t(90), duration_ms: 40, log_path: '/state/runs/r/logs/c.1.log' },
      { step_id: 'd', position: 4, name: 'd', depends_on: '["c"]', status: 'skipped', reason: 'trigger_rule', detail: 'upstream c failed', upstream: 'c', attempts: 0, exit_code: null, signal: null, started_at: null, finished_at: t(100), duration_ms: null, log_path: null },
      { step_id: 'f', position: 5, name: 'f', depends_on: '["e"]', status: 'cancelled', reason: 'run_cancelled', detail: 'run cancelled (SIGINT)', upstream: null, attempts: 0, exit_code: null, signal: null, started_at: null, finished_at: t(150), duration_ms: null, log_path: null },
    ]);
  });

  it('records every attempt, including the failed one that was retried and the cancelled one', () => {
    writeAll(typicalRun());
    const attempts = reader()
      .prepare(
        `SELECT step_id, attempt, status, pid, exit_code, signal, reason, error, duration_ms,
                log_path, command, args_json, cwd, started_at IS NOT NULL AS started, finished_at IS NOT NULL AS finished
         FROM attempts WHERE run_id = 'run-1' ORDER BY started_at, step_id`,
      )
      .all();
    const common = { command: 'sh', cwd: '/work', started: 1, finished: 1 };
    expect(attempts).toEqual([
      { ...common, step_id: 'a', attempt: 1, status: 'succeeded', pid: 1001, exit_code: 0, signal: null, reason: null, error: null, duration_ms: 120, log_path: '/state/runs/r/logs/a.1.log', args_json: '["-c","echo a"]' },
      { ...common, step_id: 'e', attempt: 1, status: 'cancelled', pid: 1001, exit_code: null, signal: 'SIGTERM', reason: 'run_cancelled', error: 'run cancelled (SIGINT)', duration_ms: 130, log_path: '/state/runs/r/logs/e.1.log', args_json: '["-c","echo e"]' },
      { ...common, step_id: 'b', attempt: 1, status: 'failed', pid: 1001, exit_code: 3, signal: null, reason: 'exit_code', error: 'exit code 3 (expected 0)', duration_ms: 30, log_path: '/state/runs/r/logs/b.1.log', args_json: '["-c","echo b"]' },
      { ...common, step_id: 'c', attempt: 1, status: 'failed', pid: 1001, exit_code: 2, signal: null, reason: 'exit_code', error: 'exit code 2 (expected 0)', duration_ms: 40, log_path: '/state/runs/r/logs/c.1.log', args_json: '["-c","echo c"]' },
      { ...common, step_id: 'b', attempt: 2, status: 'succeeded', pid: 1002, exit_code: 0, signal: null, reason: null, error: null, duration_ms: 70, log_path: '/state/runs/r/logs/b.2.log', args_json: '["-c","echo b"]' },
    ]);
  });

  it('leaves a step pending, with its failure, while a retry is due', () => {
    const events = typicalRun().slice(0, 8); // up to b's step_retrying
    const sink = bufferedSqlite(dbPath);
    for (const e of events) sink.handle(e);
    sink.flush();
    const b = reader().prepare(`SELECT status, attempts, exit_code, reason, detail, finished_at FROM steps WHERE step_id = 'b'`).get();
    expect(b).toEqual({ status: 'pending', attempts: 1, exit_code: 3, reason: 'exit_code', detail: 'exit code 3 (expected 0)', finished_at: null });
    sink.close();
  });

  it('records an attempt whose process could not be started', () => {
    const ev = recorder('spawn');
    writeAll([
      ev(runStarted([{ id: 'a', name: 'a', depends_on: [] }])),
      ev({ ...stepStarted('a', 1), pid: null }),
      ev({ type: 'step_failed', step_id: 'a', attempt: 1, exit_code: null, signal: null, duration_ms: 0, reason: 'spawn_error', error: 'spawn nope ENOENT', will_retry: false, not_retried: null, instances: null }),
      ev({ type: 'run_finished', status: 'failed', exit_code: 1, duration_ms: 5, succeeded: 0, failed: 1, skipped: 0, cancelled: 0, reason: null, detail: null }),
    ]);
    const db = reader();
    expect(db.prepare(`SELECT status, pid, exit_code, reason, error FROM attempts`).get()).toEqual({ status: 'failed', pid: null, exit_code: null, reason: 'spawn_error', error: 'spawn nope ENOENT' });
    expect(db.prepare(`SELECT status, attempts, reason FROM steps`).get()).toEqual({ status: 'failed', attempts: 1, reason: 'spawn_error' });
    expect(db.prepare(`SELECT status, exit_code, steps_failed FROM runs`).get()).toEqual({ status: 'failed', exit_code: 1, steps_failed: 1 });
  });

  it('keeps the step counts and last_seq current while the run is in progress', () => {
    const events = typicalRun();
    const sink = bufferedSqlite(dbPath);
    const db = reader();
    const progress = db.prepare(
      'SELECT status, steps_succeeded, steps_failed, steps_skipped, steps_cancelled, last_seq FROM runs',
    );
    for (const e of events.slice(0, 10)) sink.handle(e); // through d's step_skipped
    sink.flush();
    expect(progress.get()).toEqual({ status: 'running', steps_succeeded: 1, steps_failed: 1, steps_skipped: 1, steps_cancelled: 0, last_seq: 10 });
    for (const e of events.slice(10, 14)) sink.handle(e); // through e's step_cancelled
    sink.flush();
    expect(progress.get()).toEqual({ status: 'running', steps_succeeded: 2, steps_failed: 1, steps_skipped: 1, steps_cancelled: 1, last_seq: 14 });
    sink.close();
  });

  it('stores in the events table exactly the lines of events.jsonl', () => {
    const events = typicalRun();
    const jsonlPath = join(dir, 'runs', 'run-1', 'events.jsonl');
    const jsonl = new EventsFile(jsonlPath);
    const sqlite = bufferedSqlite(dbPath);
    for (const e of events) {
      jsonl.append(serializeEvent(e));
      sqlite.handle(e);
    }
    jsonl.close();
    sqlite.close();
    const lines = readFileSync(jsonlPath, 'utf8').trimEnd().split('\n');
    const rows = reader().prepare(`SELECT seq, ts, type, step_id, attempt, data FROM events WHERE run_id = 'run-1' ORDER BY seq`).all();
    expect(rows.map((r) => (r as { data: string }).data)).toEqual(lines);
    expect(rows).toEqual(
      events.map((e) => ({
        seq: e.seq,
        ts: e.ts,
        type: e.type,
        step_id: 'step_id' in e ? e.step_id : null,
        attempt: 'attempt' in e ? e.attempt : null,
        data: JSON.stringify(e),
      })),
    );
  });

  it('buffers step events in handle() and writes them on the next turn of the event loop', async () => {
    const sink = bufferedSqlite(dbPath);
    const count = reader().prepare('SELECT count(*) AS n FROM events').pluck();
    for (const e of typicalRun().slice(0, 5)) sink.handle(e);
    expect(count.get()).toBe(1);
    expect(sink.pending).toBe(4);
    await nextTurn();
    expect(count.get()).toBe(5);
    expect(sink.pending).toBe(0);
    sink.close();
  });

  it('writes the run row as soon as run_started is handled, so crash recovery can find the run', () => {
    const sink = bufferedSqlite(dbPath);
    sink.handle(typicalRun()[0]!);
    expect(reader().prepare('SELECT status FROM runs').pluck().get()).toBe('running');
    sink.close();
  });

  it('writes buffered events synchronously on flush() and on close()', () => {
    const events = typicalRun();
    const sink = bufferedSqlite(dbPath);
    const count = reader().prepare('SELECT count(*) AS n FROM events').pluck();
    for (const e of events.slice(0, 5)) sink.handle(e);
    sink.flush();
    expect(count.get()).toBe(5);
    for (const e of events.slice(5)) sink.handle(e);
    sink.close();
    expect(count.get()).toBe(events.length);
  });

  it('updates heartbeat_at on a flush even when no event is buffered', async () => {
    const ev = recorder('hb');
    const sink = bufferedSqlite(dbPath);
    sink.handle(ev(runStarted([{ id: 'a', name: 'a', depends_on: [] }])));
    sink.handle(ev(stepStarted('a', 1)));
    sink.flush();
    const heartbeat = reader().prepare(`SELECT heartbeat_at FROM runs WHERE run_id = 'hb'`).pluck();
    const first = heartbeat.get() as string;
    await new Promise((r) => setTimeout(r, 15));
    sink.flush();
    const second = heartbeat.get() as string;
    expect(second > first).toBe(true);
    sink.close();
  });

  it('updates heartbeat_at on a timer while a run is active', async () => {
    const ev = recorder('hb');
    const sink = bufferedSqlite(dbPath, { heartbeatMs: 20 });
    sink.handle(ev(runStarted([{ id: 'a', name: 'a', depends_on: [] }])));
    sink.flush();
    const heartbeat = reader().prepare(`SELECT heartbeat_at FROM runs WHERE run_id = 'hb'`).pluck();
    const first = heartbeat.get() as string;
    await new Promise((r) => setTimeout(r, 100));
    expect((heartbeat.get() as string) > first).toBe(true);
    sink.close();
  });

  it('lets a second connection read while the sink has unflushed writes', () => {
    const events = typicalRun();
    const sink = bufferedSqlite(dbPath);
    for (const e of events.slice(0, 6)) sink.handle(e);
    sink.flush();
    for (const e of events.slice(6)) sink.handle(e); // buffered, not yet written
    const db = reader();
    expect(db.prepare('SELECT status, last_seq FROM runs').get()).toEqual({ status: 'running', last_seq: 6 });
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(6);
    sink.close();
    expect(db.prepare('SELECT status, last_seq FROM runs').get()).toEqual({ status: 'cancelled', last_seq: 16 });
  });

  it('flushes while a reader holds an open read transaction, which keeps its snapshot', () => {
    const events = typicalRun();
    const sink = bufferedSqlite(dbPath);
    for (const e of events.slice(0, 6)) sink.handle(e);
    sink.flush();
    const db = reader();
    const count = db.prepare('SELECT count(*) FROM events').pluck();
    db.exec('BEGIN');
    expect(count.get()).toBe(6); // the read transaction now holds a snapshot
    for (const e of events.slice(6)) sink.handle(e);
    const started = Date.now();
    sink.flush(); // in WAL mode a writer does not wait for readers
    expect(Date.now() - started).toBeLessThan(2000);
    expect(count.get()).toBe(6);
    db.exec('COMMIT');
    expect(count.get()).toBe(events.length);
    sink.close();
  });

  it('keeps the events of a failed background flush, reports the error, and writes them on the next flush', async () => {
    const events = typicalRun();
    const errors: unknown[] = [];
    const sink = bufferedSqlite(dbPath, { onError: (e) => errors.push(e) });
    sink.handle(events[0]!);
    sink.flush();
    // Another writer takes seq 2 of the run: the sink's batch now violates the primary key.
    const other = new Database(dbPath);
    open.push(other);
    other.prepare(`INSERT INTO events (run_id, seq, ts, type, data) VALUES ('run-1', 2, 'x', 'x', '{}')`).run();
    for (const e of events.slice(1, 4)) sink.handle(e);
    await nextTurn();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/UNIQUE|PRIMARY KEY/i);
    expect(sink.pending).toBe(3);
    expect(() => sink.flush()).toThrow(/UNIQUE|PRIMARY KEY/i);
    other.prepare(`DELETE FROM events WHERE type = 'x'`).run();
    sink.flush();
    expect(sink.pending).toBe(0);
    expect(other.prepare(`SELECT count(*) FROM events`).pluck().get()).toBe(4);
    expect(other.prepare(`SELECT attempts, status FROM steps WHERE step_id = 'a'`).get()).toEqual({ attempts: 1, status: 'succeeded' });
    sink.close();
  });

  it('writes a 10,000-step run quickly', () => {
    const n = 10_000;
    const ev = recorder('big');
    const steps = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, name: `s${i}`, depends_on: i > 0 ? [`s${i - 1}`] : [] }));
    const events = [ev(runStarted(steps))];
    for (const s of steps) events.push(ev(stepStarted(s.id, 1)), ev(stepSucceeded(s.id, 1)));
    events.push(ev({ type: 'run_finished', status: 'succeeded', exit_code: 0, duration_ms: 1, succeeded: n, failed: 0, skipped: 0, cancelled: 0, reason: null, detail: null }));
    const started = Date.now();
    const sink = bufferedSqlite(dbPath);
    events.forEach((e, i) => {
      sink.handle(e);
      if (i % 50 === 0) sink.flush(); // many small transactions, as in a real run
    });
    sink.close();
    const elapsed = Date.now() - started;
    const db = reader();
    expect(db.prepare(`SELECT count(*) FROM events`).pluck().get()).toBe(events.length);
    expect(db.prepare(`SELECT steps_succeeded FROM runs`).pluck().get()).toBe(n);
    expect(elapsed).toBeLessThan(10_000);
  });
});
