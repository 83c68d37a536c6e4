/**
 * Crash recovery (issue 4). A run whose engine process died without finishing (kill -9, power
 * loss) would otherwise stay `running` forever. Every command that reads runs calls
 * {@link recoverInterruptedRuns} first. For each `running` run of this host whose engine
 * process is gone it:
 *  1. claims the run (one UPDATE guarded by `status = 'running'`, so two recovering commands
 *     never both handle it);
 *  2. replays the lines of events.jsonl that runs.db has not seen (seq > runs.last_seq): the
 *     JSONL sink writes each event before runs.db's batched flush, so after this both hold
 *     exactly the same events;
 *  3. unless the replay ended with `run_finished` (the engine died after finishing), kills the
 *     process groups of steps still recorded as running and appends a `run_interrupted` event
 *     to both events.jsonl and runs.db.
 * Runs of other hosts are left alone: their pids mean nothing here.
 */
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import { hostname } from 'node:os';
import type { EngineEvent } from '../engine/events.js';
import { signalProcessGroup } from '../engine/process-group.js';
import { JsonlSink } from './jsonl-sink.js';
import { isProcessAlive } from './liveness.js';
import { eventsPath, runsDbPath } from './paths.js';
import { openRunsDb } from './runs-db.js';
import { SqliteSink } from './sqlite-sink.js';

interface RunningRow {
  run_id: string;
  pid: number;
  hostname: string;
  last_seq: number;
}

/** Marks dead runs of this host `interrupted`; returns their ids. No-op without a runs.db. */
export function recoverInterruptedRuns(stateDir: string): string[] {
  const dbPath = runsDbPath(stateDir);
  if (!existsSync(dbPath)) return [];
  const here = hostname();
  const db = openRunsDb(dbPath);
  let claimed: RunningRow[];
  try {
    const candidates = (
      db.prepare(`SELECT run_id, pid, hostname, last_seq FROM runs WHERE status = 'running'`).all() as RunningRow[]
    ).filter((r) => r.hostname === here && !isProcessAlive(r.pid));
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

/** Steps 2 and 3 above for one claimed run; false when it turned out to have finished. */
function recoverRun(stateDir: string, run: RunningRow, sink: SqliteSink): boolean {
  const path = eventsPath(stateDir, run.run_id);
  const events = readEvents(path);
  let lastSeq = run.last_seq;
  const running = new Map<string, number | null>();
  let finished = false;
  for (const e of events) {
    if (e.seq > lastSeq) {
      sink.handle(e);
      lastSeq = e.seq;
    }
    if (e.type === 'step_started') running.set(e.step_id, e.pid);
    else if (e.type === 'step_succeeded' || e.type === 'step_failed' || e.type === 'step_cancelled') running.delete(e.step_id);
    else if (e.type === 'run_resumed') running.clear();
    finished = e.type === 'run_finished';
  }
  if (finished) {
    sink.flush();
    return false;
  }
  const killed: number[] = [];
  for (const pid of running.values()) {
    if (pid !== null && signalProcessGroup(pid, 'SIGKILL')) killed.push(pid);
  }
  const event: EngineEvent = {
    seq: lastSeq + 1,
    ts: new Date().toISOString(),
    run_id: run.run_id,
    type: 'run_interrupted',
    pid: run.pid,
    hostname: run.hostname,
    steps: [...running.keys()],
    killed_pgids: killed,
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

/**
 * The events of a run's events.jsonl. A torn last line (the engine killed in the middle of a
 * write) is cut off the file, so that what is appended next starts on a line of its own.
 */
export function readEvents(path: string): EngineEvent[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return [];
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (end < bytes.length) truncateSync(path, end);
  const out: EngineEvent[] = [];
  for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
    if (line !== '') out.push(JSON.parse(line) as EngineEvent);
  }
  return out;
}
