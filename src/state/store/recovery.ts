/**
 * Crash recovery (issue 4). A run whose engine process died without finishing (kill -9, power
 * loss) would otherwise stay `running` forever. Commands that need an up-to-date picture call
 * {@link recoverInterruptedRuns} explicitly at their top. For each `running` run of this host
 * whose engine is gone (liveness.ts), in one runs.db write transaction that only the first
 * recovering process wins (SqliteSink.claimRun: the run must still be `running` under the dead
 * engine's pid, so a run resumed meanwhile is never touched), it:
 *  1. brings events.jsonl and runs.db to the same events: the events file gets each event
 *     before runs.db's batched write (except `run_started` and `run_resumed`, which runs.db
 *     gets first so that the run is findable here), so lines of events.jsonl that runs.db has
 *     not seen (seq > runs.last_seq) are replayed into it, and events only runs.db has are
 *     appended to the file;
 *  2. unless the record already ends (the engine died after `run_finished`, or an earlier
 *     recovery died after writing the file), kills every process the run left (issue 11): the
 *     whole cgroup the run was contained in, else every process whose environment names the
 *     run (process-scan.ts: children that escaped their process group, a step spawned but not
 *     yet recorded), and the process groups of steps recorded as running; records each as
 *     `step_orphan_killed` and then `run_interrupted`, in events.jsonl and, through the SQLite
 *     sink, in runs.db.
 * Then it waits until those processes are gone, so a resume that follows never starts a step
 * whose earlier attempt still runs; for a run that sent steps to workers (its `run_started`
 * or `run_resumed` names an executor, issue 16) it also takes the open attempts' jobs off the
 * queue and has the workers kill the ones they run (BullMQ is loaded only then). So runs.db is
 * written only from events here too. Runs of other hosts are left alone: their pids mean
 * nothing here.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EngineEvent, ExecutorRecord, RunInterruptedEvent, StepOrphanKilledEvent } from '../../engine/events.js';
import { cgroupPids, killCgroup } from '../../engine/process/containment.js';
import { processGone, signalProcess, signalProcessGroup } from '../../engine/process/process-group.js';
import { engineEnvOf, processesOfRun } from '../../engine/process/process-scan.js';
import { jobIdOf } from '../../engine/remote/protocol.js';
import { EventsFile, serializeEvent } from '../sinks/events-file-sink.js';
import { SqliteSink } from '../sinks/sqlite-sink.js';
import { readEvents, repairTornLine } from './event-log.js';
import { engineIsAlive, type EngineRecord } from './liveness.js';
import { eventsPath, runsDbPath } from './paths.js';
import { openRunsDb, RunsDbVersionError, SCHEMA_VERSION } from './runs-db.js';

/** How long recovery waits for the processes it killed to be gone, in ms. */
const KILL_WAIT_MS = 5000;

interface RunningRow extends EngineRecord {
  run_id: string;
  last_seq: number;
}

/** What recovering one run killed, to wait for. */
interface Killed {
  pids: number[];
  cgroup: string | null;
  /** The jobs of its attempts on workers, to cancel. */
  remote: { runId: string; executor: ExecutorRecord; jobIds: string[] } | null;
}

/**
 * Marks dead runs of this host `interrupted`; returns their ids. No-op without a runs.db.
 * Looks with a read-only connection first, so when nothing is dead nothing is written.
 * @throws what runs.db throws (a newer schema, an unwritable state directory)
 */
export async function recoverInterruptedRuns(stateDir: string): Promise<string[]> {
  const dbPath = runsDbPath(stateDir);
  if (!existsSync(dbPath)) return [];
  const dead = runningRuns(dbPath).filter((r) => r.hostname === hostname() && !engineIsAlive(r));
  if (dead.length === 0) return [];
  const recovered: string[] = [];
  const killed: Killed[] = [];
  const sink = new SqliteSink(dbPath, { heartbeatMs: 0 });
  try {
    for (const run of dead) {
      const k = recoverRun(stateDir, run, sink);
      if (k) {
        recovered.push(run.run_id);
        killed.push(k);
      }
    }
  } finally {
    sink.close();
  }
  await Promise.all(killed.map(waitUntilGone));
  return recovered;
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

/** Recovers one dead run; null when another process claimed it first or it had finished. */
function recoverRun(stateDir: string, run: RunningRow, sink: SqliteSink): Killed | null {
  const path = eventsPath(stateDir, run.run_id);
  let killed: Killed | null = null;
  sink.claimRun(run.run_id, run.pid, (recordedAfter) => {
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
      const ending = killOrphans(run, events, last?.seq ?? run.last_seq);
      killed = ending.killed;
      for (const e of ending.events) file.append(serializeEvent(e));
      return [...replay, ...ending.events].map(serialized);
    } finally {
      file.close();
    }
  });
  return killed;
}

/**
 * Kills what the dead run left and drafts its closing events: one `step_orphan_killed` per
 * process killed, then `run_interrupted`. Synchronous (it runs inside the claim transaction);
 * waiting for the processes to go comes after the commit.
 */
function killOrphans(run: RunningRow, events: readonly EngineEvent[], lastSeq: number): { events: EngineEvent[]; killed: Killed } {
  const running = new Map<string, number | null>();
  const attempts = new Map<string, number>();
  let cgroup: string | null = null;
  let executor: ExecutorRecord | null = null;
  for (const e of events) {
    if (e.type === 'step_started') {
      running.set(e.step_id, e.pid);
      attempts.set(e.step_id, e.attempt);
    } else if (e.type === 'step_succeeded' || e.type === 'step_failed' || e.type === 'step_cancelled') running.delete(e.step_id);
    else if (e.type === 'run_resumed' || e.type === 'run_started') {
      if (e.type === 'run_resumed') running.clear();
      // The cgroup and executor of the engine that died: the one that announced this part of the run.
      cgroup = e.pid === run.pid ? e.cgroup : null;
      executor = e.pid === run.pid ? (e.executor ?? null) : null;
    }
  }
  // An attempt on a worker has no pid here (its step_started records the job being queued).
  const remoteJobs = [...running].filter(([, pid]) => pid === null).map(([step]) => jobIdOf(run.run_id, step, attempts.get(step)!));
  const remote = executor !== null && remoteJobs.length > 0 ? { runId: run.run_id, executor, jobIds: remoteJobs } : null;
  const found = new Map<number, StepOrphanKilledEvent['found_by']>();
  if (cgroup !== null) for (const pid of cgroupPids(cgroup)) found.set(pid, 'cgroup');
  else for (const pid of processesOfRun(run.run_id)) found.set(pid, 'environment');
  const orphans = [...found].map(([pid, how]) => ({ pid, how, env: engineEnvOf(pid) }));
  for (const { pid } of orphans) signalProcess(pid, 'SIGKILL');
  const killedPgids: number[] = [];
  for (const pid of running.values()) {
    if (pid === null || !signalProcessGroup(pid, 'SIGKILL')) continue;
    killedPgids.push(pid);
    if (!found.has(pid)) orphans.push({ pid, how: 'process_group', env: null });
  }
  let seq = lastSeq;
  const stamp = { ts: new Date().toISOString(), run_id: run.run_id };
  const out: EngineEvent[] = orphans.map(
    ({ pid, how, env }): StepOrphanKilledEvent => ({
      seq: ++seq,
      ...stamp,
      type: 'step_orphan_killed',
      step_id: env?.stepId ?? stepOfPgid(running, pid),
      attempt: env?.attempt ?? null,
      pid,
      found_by: how,
    }),
  );
  const interrupted: RunInterruptedEvent = {
    seq: ++seq,
    ...stamp,
    type: 'run_interrupted',
    pid: run.pid,
    hostname: run.hostname,
    steps: [...running.keys()],
    killed_pgids: killedPgids,
  };
  out.push(interrupted);
  return { events: out, killed: { pids: orphans.map((o) => o.pid), cgroup, remote } };
}

/** The step recorded as running with this process group, if any. */
function stepOfPgid(running: ReadonlyMap<string, number | null>, pgid: number): string | null {
  for (const [step, pid] of running) if (pid === pgid) return step;
  return null;
}

/** Waits (at most {@link KILL_WAIT_MS}) until the killed processes (and jobs on workers) are gone, and removes the cgroup. */
async function waitUntilGone(k: Killed): Promise<void> {
  if (k.remote) {
    const { cancelRunJobs } = await import('../../engine/remote/cancel-jobs.js');
    const problem = await cancelRunJobs(k.remote.executor, k.remote.runId, k.remote.jobIds, KILL_WAIT_MS);
    if (problem) process.stderr.write(`engine: warning: ${problem}\n`);
  }
  if (k.cgroup !== null) await killCgroup(k.cgroup);
  for (let waited = 0; waited < KILL_WAIT_MS && !k.pids.every(processGone); waited += 10) await sleep(10);
}

function serialized(event: EngineEvent): { event: EngineEvent; json: string } {
  return { event, json: serializeEvent(event) };
}
