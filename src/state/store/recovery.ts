/**
 * Crash recovery (issue 4). A run whose engine process died without finishing (kill -9, power
 * loss) would otherwise stay `running` forever. Commands that need an up-to-date picture call
 * {@link recoverInterruptedRuns} explicitly at their top. For each `running` run of this host
 * whose engine is gone (liveness.ts), in one runs.db write transaction that only the first
 * recovering process wins (SqliteSink.claimRun), it:
 *  1. brings events.jsonl and runs.db to the same events: the events file gets each event
 *     before runs.db's batched write (except `run_started` and `run_resumed`, which runs.db
 *     gets first so that the run is findable here), so lines of events.jsonl that runs.db has
 *     not seen (seq > runs.last_seq) are replayed into it, and events only runs.db has are
 *     appended to the file;
 *  2. unless the record already ends (the engine died after `run_finished`, or an earlier
 *     recovery died after writing the file), kills the process groups of steps still recorded
 *     as running (the process stack's signalProcessGroup) and records `run_interrupted` in
 *     events.jsonl and, through the SQLite sink, in runs.db.
 * So runs.db is written only from events here too. Runs of other hosts are left alone: their
 * pids mean nothing here.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { EngineEvent, RunInterruptedEvent } from '../../engine/events.js';
import { signalProcessGroup } from '../../engine/process/process-group.js';
import { EventsFile, serializeEvent } from '../sinks/events-file-sink.js';
import { SqliteSink } from '../sinks/sqlite-sink.js';
import { readEvents, repairTornLine } from './event-log.js';
import { engineIsAlive, type EngineRecord } from './liveness.js';
import { eventsPath, runsDbPath } from './paths.js';
import { openRunsDb, RunsDbVersionError, SCHEMA_VERSION } from './runs-db.js';

interface RunningRow extends EngineRecord {
  run_id: string;
  last_seq: number;
}

/**
 * Marks dead runs of this host `interrupted`; returns their ids. No-op without a runs.db.
 * Looks with a read-only connection first, so when nothing is dead nothing is written.
 * @throws what runs.db throws (a newer schema, an unwritable state directory)
 */
export function recoverInterruptedRuns(stateDir: string): string[] {
  const dbPath = runsDbPath(stateDir);
  if (!existsSync(dbPath)) return [];
  const dead = runningRuns(dbPath).filter((r) => r.hostname === hostname() && !engineIsAlive(r));
  if (dead.length === 0) return [];
  const sink = new SqliteSink(dbPath, { heartbeatMs: 0 });
  try {
    return dead.filter((run) => recoverRun(stateDir, run, sink)).map((run) => run.run_id);
  } finally {
    sink.close();
  }
}

/** Runs recorded as running. An older database is opened read-write (migrated) instead. */
function runningRuns(dbPath: string): RunningRow[] {
  let db;
  try {
    db = openRunsDb(dbPath, { readonly: true });
  } catch (err) {
    if (!(err instanceof RunsDbVersionError) || err.found > SCHEMA_VERSION) throw err;
    db = openRunsDb(dbPath);
  }
  try {
    return db.prepare(`SELECT run_id, pid, hostname, heartbeat_at, last_seq FROM runs WHERE status = 'running'`).all() as RunningRow[];
  } finally {
    db.close();
  }
}

/** Recovers one dead run; false when another process claimed it first or it had finished. */
function recoverRun(stateDir: string, run: RunningRow, sink: SqliteSink): boolean {
  const path = eventsPath(stateDir, run.run_id);
  let interrupted = false;
  sink.claimRun(run.run_id, (recordedAfter) => {
    repairTornLine(path);
    const file = new EventsFile(path);
    try {
      let events = readEvents(path);
      const onlyInDb = recordedAfter(events.at(-1)?.seq ?? 0);
      for (const json of onlyInDb) file.append(json);
      if (onlyInDb.length > 0) events = [...events, ...onlyInDb.map((json) => JSON.parse(json) as EngineEvent)];
      const replay = events.filter((e) => e.seq > run.last_seq);
      const last = events.at(-1);
      if (last?.type === 'run_finished' || last?.type === 'run_interrupted') return replay.map(serialized);
      const event = interruption(run, events, last?.seq ?? run.last_seq);
      const json = serializeEvent(event);
      file.append(json);
      interrupted = true;
      return [...replay.map(serialized), { event, json }];
    } finally {
      file.close();
    }
  });
  return interrupted;
}

/** Kills the process groups of the steps still running and drafts the `run_interrupted` event. */
function interruption(run: RunningRow, events: readonly EngineEvent[], lastSeq: number): RunInterruptedEvent {
  const running = new Map<string, number | null>();
  for (const e of events) {
    if (e.type === 'step_started') running.set(e.step_id, e.pid);
    else if (e.type === 'step_succeeded' || e.type === 'step_failed' || e.type === 'step_cancelled') running.delete(e.step_id);
    else if (e.type === 'run_resumed') running.clear();
  }
  const killed: number[] = [];
  for (const pid of running.values()) {
    if (pid !== null && signalProcessGroup(pid, 'SIGKILL')) killed.push(pid);
  }
  return {
    seq: lastSeq + 1,
    ts: new Date().toISOString(),
    run_id: run.run_id,
    type: 'run_interrupted',
    pid: run.pid,
    hostname: run.hostname,
    steps: [...running.keys()],
    killed_pgids: killed,
  };
}

function serialized(event: EngineEvent): { event: EngineEvent; json: string } {
  return { event, json: serializeEvent(event) };
}
