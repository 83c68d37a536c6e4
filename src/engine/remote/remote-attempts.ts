/**
 * The attempt port that sends attempts to workers (issue 16): each attempt becomes a BullMQ
 * job on the queue its step's `runs_on` labels select (protocol.ts); `engine worker` processes
 * run it with the same attempt runner as local steps and report on the run's stream (picked
 * up, log chunks, result). The engine stays the only writer of the run's record: this port
 * writes the attempt's log file in the state directory from the streamed chunks, and resolves
 * each attempt once; what comes later is reported (`result_discarded`), never applied.
 *
 * BullMQ runs no retries (a job is tried once, `maxStalledCount: 0`): a job whose worker
 * stopped renewing its lock (killed, machine gone, cut off from Redis) is reported `stalled`
 * by BullMQ's stalled-job check, which this engine also runs (so a lost job is noticed when no
 * worker is left); the attempt ends as failed with reason `lost`, and the run loop retries it
 * under the step's own retry policy, as a new job.
 *
 * Steps with `runs_on: "local"` go to the local port. The run loop knows none of this.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { Job, Queue, Worker } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { formatDuration } from '../../format.js';
import type { AttemptPort, AttemptRequest, AttemptResult, ExecutorReport, LogPreparer, RunningAttempt } from '../attempt.js';
import type { ExecutorRecord } from '../events.js';
import {
  CANCEL_CHANNEL,
  CANCEL_TTL_SEC,
  cancelKey,
  displayUrl,
  jobIdOf,
  nextStreamId,
  parseEntry,
  PROTOCOL_VERSION,
  queueFor,
  runStreamKey,
  type CancelMessage,
  type JobData,
  type StreamEntry,
} from './protocol.js';
import { closeRedis, connectRedis, whenReady } from './redis.js';

/**
 * The engine trims the run's stream once it has read this many entries since it last did, else
 * {@link TRIM_DELAY_MS} after it read the first of them. Well under the workers' low water mark
 * (STREAM_LOW_WATER): read entries left in the stream count towards its length.
 */
const TRIM_ENTRIES = 8;
const TRIM_DELAY_MS = 20;

/** After reading BullMQ's events, the engine waits this long before it reads again (readQueueEvents). */
const EVENTS_PAUSE_MS = 100;

export interface RemoteAttemptsOptions {
  url: string;
  /** The base queue (`--queue`); labelled steps use `<queue>@k=v,…`. */
  queue: string;
  runId: string;
  /** Each step's `runs_on`, by step id. */
  runsOn: ReadonlyMap<string, 'local' | Readonly<Record<string, string>>>;
  /** Where `runs_on: "local"` steps run. */
  local: AttemptPort;
  /** How often this engine runs BullMQ's stalled-job check, ms. */
  stalledIntervalMs: number;
  /** How long running attempts wait for an unreachable Redis before they end as lost, ms. */
  waitLimitMs: number;
  /** How long to wait for Redis when the run starts, ms. */
  connectTimeoutMs: number;
}

export interface RemoteAttempts extends AttemptPort {
  /** What run_started records about the executor. */
  readonly record: ExecutorRecord;
  /** Stops reading, deletes the run's stream, closes every connection (after pending cancel requests were sent). */
  close(): Promise<void>;
}

/** One attempt sent to a worker, kept after it ended so a late result is recognised. */
interface Tracked {
  jobId: string;
  req: AttemptRequest;
  queue: Queue;
  /** The engine's log file of the attempt, open while it runs. */
  fd: number | null;
  worker: string | null;
  startedAt: number;
  ended: boolean;
  lateReported: boolean;
  resolve: (r: AttemptResult) => void;
}

/**
 * Connects to Redis (waiting at most `connectTimeoutMs`) and returns the port.
 * @throws Error when Redis cannot be reached in time
 */
export async function connectRemoteAttempts(opts: RemoteAttemptsOptions): Promise<RemoteAttempts> {
  const port = new RemotePort(opts);
  try {
    await port.open();
  } catch (err) {
    await port.close();
    throw err;
  }
  return port;
}

class RemotePort implements RemoteAttempts {
  readonly record: ExecutorRecord;
  /**
   * The local port's log files made ahead of time, for the attempts sent to workers too: the
   * engine writes their streamed logs. Creating the file on the main thread as each job was
   * queued took 0.3 ms (median; p90 0.6) there; prepared, a chain of `true` steps on 2 workers
   * ran at 6.25 instead of 6.78 ms/step (A/B interleaved, docs/BENCHMARKS-workers.md).
   */
  readonly logs: LogPreparer | undefined;
  private readonly redis: string;
  private readonly client: Redis;
  private readonly reader: Redis;
  private readonly queues = new Map<string, Queue>();
  /** Reads the queues' BullMQ event streams (blocking): see {@link readQueueEvents}. */
  private readonly eventsReader: Redis;
  private readingEvents: Promise<void> = Promise.resolve();
  private readonly stallCheckers: Worker[] = [];
  private readonly tracked = new Map<string, Tracked>();
  private readonly streamKey: string;
  private report: (r: ExecutorReport) => void = () => {};
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;
  private reading: Promise<void> = Promise.resolve();
  /** Since when Redis is unreachable (epoch ms), else null. */
  private downSince: number | null = null;
  private lastError = '';
  private giveUpTimer: NodeJS.Timeout | null = null;
  /** Trims the run's stream of what was read (readStream), when armed. */
  private trimTimer: NodeJS.Timeout | null = null;
  private givenUp = false;

  constructor(private readonly opts: RemoteAttemptsOptions) {
    this.logs = opts.local.logs;
    this.redis = displayUrl(opts.url);
    this.streamKey = runStreamKey(opts.runId);
    const names = new Set<string>([opts.queue]);
    for (const where of opts.runsOn.values()) if (where !== 'local') names.add(queueFor(opts.queue, where));
    this.record = { type: 'bullmq', redis: this.redis, queue: opts.queue, queues: [...names] };
    this.client = connectRedis(opts.url, `engine:${opts.runId}`, (err) => void (this.lastError = err.message));
    this.reader = connectRedis(opts.url, `engine:${opts.runId}:reader`);
    this.eventsReader = connectRedis(opts.url, `engine:${opts.runId}:events`);
    this.client.on('close', () => this.unreachable());
    this.client.on('ready', () => this.reachable());
  }

  async open(): Promise<void> {
    await whenReady(this.client, this.opts.connectTimeoutMs).catch((err: Error) => {
      throw new Error(`cannot reach Redis at ${this.redis}: ${err.message}`);
    });
    // A resumed run starts its stream afresh: what the previous engine left is stale.
    await this.client.del(this.streamKey);
    for (const name of this.record.queues) {
      const queue = new Queue(name, { connection: this.client });
      queue.on('error', () => {});
      this.queues.set(name, queue);
      // BullMQ's stalled-job check, run here too: a lost job is noticed when no worker of its queue is left.
      const checker = new Worker(name, null, {
        connection: this.client,
        autorun: false,
        stalledInterval: this.opts.stalledIntervalMs,
        maxStalledCount: 0,
        name: `engine/${process.pid}`,
      });
      checker.on('error', () => {});
      this.stallCheckers.push(checker);
    }
    // Where each event stream ends now: what comes later is this run's business.
    const queues = [...this.queues.values()];
    const lastIds = await Promise.all(queues.map(async (q) => ((await this.client.xrevrange(q.keys.events, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0')));
    this.readingEvents = this.readQueueEvents(queues.map((q) => q.keys.events), lastIds);
    for (const checker of this.stallCheckers) await checker.startStalledCheckTimer();
    this.reading = this.readStream();
  }

  listen(report: (r: ExecutorReport) => void): void {
    this.report = report;
  }

  start(req: AttemptRequest): RunningAttempt {
    const where = this.opts.runsOn.get(req.stepId) ?? {};
    if (where === 'local') return this.opts.local.start(req);
    const jobId = jobIdOf(this.opts.runId, req.stepId, req.attempt);
    let resolve!: (r: AttemptResult) => void;
    const result = new Promise<AttemptResult>((r) => (resolve = r));
    const t: Tracked = { jobId, req, queue: this.queues.get(queueFor(this.opts.queue, where))!, fd: null, worker: null, startedAt: performance.now(), ended: false, lateReported: false, resolve };
    this.tracked.set(jobId, t);
    if (this.givenUp) {
      this.end(t, notStarted(`cannot queue the step: Redis ${this.redis} is unreachable (${this.lastError})`), null);
      return { pid: null, result, cancel: () => {} };
    }
    const data: JobData = { v: PROTOCOL_VERSION, runId: this.opts.runId, request: withoutLogPath(req) };
    this.track(
      t.queue.add(req.stepId, data, { jobId, attempts: 1, removeOnComplete: true, removeOnFail: true }).then(
        // Ended meanwhile (Redis came back after the wait limit): the job must not run.
        () => (t.ended ? this.withdraw(t, true) : undefined),
        (err: Error) => this.end(t, notStarted(`cannot queue the step: ${err.message}`), null),
      ),
    );
    // Opened after the job is on its way (the worker's reports are read in a later turn).
    try {
      t.fd = this.logs?.take(req.logPath) ?? openSync(req.logPath, 'w');
    } catch (err) {
      this.track(this.withdraw(t, true));
      this.end(t, notStarted(`cannot open log file ${req.logPath}: ${(err as Error).message}`), null);
    }
    return { pid: null, result, cancel: (forced) => this.track(this.cancel(t, forced)) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.giveUpTimer) clearTimeout(this.giveUpTimer);
    if (this.trimTimer) clearTimeout(this.trimTimer);
    await bounded(Promise.allSettled([...this.pending]), 5000);
    this.reader.disconnect();
    this.eventsReader.disconnect();
    await Promise.all([this.reading, this.readingEvents]);
    const shutdown = async (): Promise<void> => {
      await Promise.allSettled(this.stallCheckers.map((w) => w.close()));
      await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
      if (this.client.status === 'ready') await this.client.del(this.streamKey).catch(() => {});
    };
    await bounded(shutdown(), 5000);
    await closeRedis(this.client);
  }

  /**
   * Reads the run's stream until closed, trimming what it has read (the workers' back-pressure
   * watches its length): once {@link TRIM_ENTRIES} entries were read since the last trim, else
   * {@link TRIM_DELAY_MS} after the first of them, not after every read. A chain of short steps
   * reads one entry per step, and a trim per read was one more command and reply (a wake-up of
   * this process and of Redis) per step: now 7 trims for a 30-step chain (Redis MONITOR);
   * independent steps on 2 workers at 3.75-4.35 against 4.03-4.87 ms/step, a chain unchanged
   * within noise (two A/B runs, interleaved).
   */
  private async readStream(): Promise<void> {
    let lastId = '0-0';
    let untrimmed = 0;
    const trim = (): void => {
      if (this.trimTimer) clearTimeout(this.trimTimer);
      this.trimTimer = null;
      untrimmed = 0;
      this.track(this.client.xtrim(this.streamKey, 'MINID', nextStreamId(lastId)).catch(() => {}));
    };
    while (!this.closed) {
      let reply: [Buffer, [Buffer, Buffer[]][]][] | null;
      try {
        reply = (await this.reader.xreadBuffer('COUNT', 256, 'BLOCK', 1000, 'STREAMS', this.streamKey, lastId)) as typeof reply;
      } catch {
        if (this.closed) return;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (!reply) continue;
      for (const [, entries] of reply) {
        for (const [id, fields] of entries) {
          lastId = id.toString();
          untrimmed++;
          const entry = parseEntry(fields);
          if (entry) this.apply(entry);
        }
      }
      if (untrimmed >= TRIM_ENTRIES) trim();
      else if (!this.trimTimer && !this.closed) this.trimTimer = setTimeout(trim, TRIM_DELAY_MS);
    }
  }

  /**
   * Reads the BullMQ event streams of the run's queues for the two events this engine needs: a
   * job `stalled` (its worker is lost) and a job `failed` (a worker refused it). BullMQ's
   * QueueEvents would read every event of every job (added, waiting, active, completed,
   * drained, …) as it comes, one blocking connection per queue: 3 to 5 wake-ups of this
   * process per step, for nothing. Here one connection reads them all, then pauses
   * {@link EVENTS_PAUSE_MS} so that a batch gathers: a lost worker is noticed at most that much
   * later (against a lock duration of seconds), and a busy run reads its queues' events a few
   * times a second. Measured (A/B interleaved, 12 rounds, docs/BENCHMARKS-workers.md): a
   * 150-step chain of `true` steps on 2 workers used 0.15 s less engine CPU (5.9 against 6.9
   * ms/step) and ran at 8.4 against 8.6 ms/step; independent steps at 5.7 against 7.6. Event
   * streams are capped by BullMQ at ~10,000 entries: far more than a pause's worth.
   */
  private async readQueueEvents(keys: string[], ids: string[]): Promise<void> {
    while (!this.closed) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        reply = (await this.eventsReader.xread('BLOCK', 1000, 'STREAMS', ...keys, ...ids)) as typeof reply;
      } catch {
        if (this.closed) return;
        await sleep(100);
        continue;
      }
      for (const [key, entries] of reply ?? []) {
        const at = keys.indexOf(key);
        for (const [id, fields] of entries) {
          ids[at] = id;
          const f = new Map<string, string>();
          for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
          const jobId = f.get('jobId');
          if (jobId === undefined) continue;
          if (f.get('event') === 'stalled') this.stalled(jobId);
          else if (f.get('event') === 'failed') this.refused(jobId, f.get('failedReason') ?? '');
        }
      }
      if (reply) await sleep(EVENTS_PAUSE_MS);
    }
  }

  /** One entry of the run's stream: its pick-up, log chunk and result, in that order. */
  private apply(e: StreamEntry): void {
    const t = this.tracked.get(e.j);
    // A job of an earlier engine of this run (before a crash and resume): nobody waits for it.
    if (!t) return;
    if (e.up && !t.ended) {
      t.worker = e.up.worker;
      this.report({ kind: 'picked_up', stepId: t.req.stepId, attempt: t.req.attempt, worker: e.up.worker, pid: e.up.pid, startedAtMs: e.up.startedAtMs });
    }
    if (e.log && !t.ended && t.fd !== null) writeSync(t.fd, e.log);
    const end = e.end;
    if (!end) return;
    if (!t.ended) {
      const cut = end.cutBytes > 0 ? `engine: ${end.cutBytes} bytes of output were not streamed from worker ${end.worker} (the engine did not read them in time)` : null;
      this.end(t, end.result, cut);
      return;
    }
    if (t.lateReported) return;
    t.lateReported = true;
    const what = end.result.outcome === 'failed' ? `failed: ${end.result.error}` : end.result.outcome;
    this.report({
      kind: 'result_discarded',
      stepId: t.req.stepId,
      attempt: t.req.attempt,
      worker: end.worker,
      result: end.result,
      detail: `attempt ${t.req.attempt} had already ended (its worker was recorded lost); the worker's later result (${what}) is not applied`,
    });
  }

  /** BullMQ found the job's lock expired: its worker is gone or cut off. */
  private stalled(jobId: string): void {
    const t = this.tracked.get(jobId);
    if (!t || t.ended) return;
    const named = async (): Promise<string | null> => t.worker ?? ((await Job.fromId(t.queue, jobId).catch(() => undefined))?.processedBy ?? null);
    this.track(
      named().then((worker) => {
        if (t.ended) return;
        const who = worker === null ? 'the worker that took it' : `worker ${worker}`;
        const error = `lost: ${who} stopped renewing the job's lock (it died, or was cut off from Redis)`;
        this.end(t, lost(error, t), `engine: ${error}`);
        return this.withdraw(t, false);
      }),
    );
  }

  /** A job failed in BullMQ without a result on the stream: a worker refused it (another protocol version). */
  private refused(jobId: string, failedReason: string): void {
    const t = this.tracked.get(jobId);
    if (!t || t.ended) return;
    this.end(t, notStarted(`the worker refused the job: ${failedReason}`), null);
  }

  /**
   * Asks the worker holding the job to stop it (the step's kill signal, grace, SIGKILL; SIGKILL
   * at once when forced), and takes it off the queue if no worker has it yet. The request is
   * kept in Redis too, so a worker that takes the job in the meantime finds it.
   */
  private async cancel(t: Tracked, forced: boolean): Promise<void> {
    if (t.ended) return;
    const message: CancelMessage = { job: t.jobId, forced };
    await this.client.set(cancelKey(t.jobId), forced ? 'kill' : 'stop', 'EX', CANCEL_TTL_SEC);
    await this.client.publish(CANCEL_CHANNEL, JSON.stringify(message));
    if (t.worker !== null) return;
    const removed = await t.queue.remove(t.jobId).catch(() => 0);
    if (removed === 1) this.end(t, { outcome: 'cancelled', exitCode: null, signal: null, durationMs: elapsed(t) }, 'engine: cancelled before a worker took the step');
  }

  /** Takes an ended attempt's job off Redis (its data holds the step's environment); with `cancel`, stops it where it runs. */
  private async withdraw(t: Tracked, cancel: boolean): Promise<void> {
    if (cancel) {
      await this.client.set(cancelKey(t.jobId), 'kill', 'EX', CANCEL_TTL_SEC);
      await this.client.publish(CANCEL_CHANNEL, JSON.stringify({ job: t.jobId, forced: true } satisfies CancelMessage));
    }
    await t.queue.remove(t.jobId).catch(() => 0);
  }

  /** Ends an attempt once: its note appended to the log, the file closed, the run loop told. */
  private end(t: Tracked, result: AttemptResult, note: string | null): void {
    if (t.ended) return;
    t.ended = true;
    if (t.fd !== null) {
      try {
        if (note !== null) writeSync(t.fd, `${note}\n`);
        closeSync(t.fd);
      } catch {
        // The record of the attempt matters more than its last log line.
      }
      t.fd = null;
    }
    t.resolve(result);
  }

  private unreachable(): void {
    if (this.closed || this.downSince !== null) return;
    this.downSince = Date.now();
    this.report({ kind: 'unreachable', redis: this.redis, error: this.lastError || 'connection closed', waitLimitMs: this.opts.waitLimitMs });
    this.giveUpTimer = setTimeout(() => this.giveUp(), this.opts.waitLimitMs);
  }

  private reachable(): void {
    if (this.downSince === null) return;
    if (this.giveUpTimer) clearTimeout(this.giveUpTimer);
    this.giveUpTimer = null;
    this.report({ kind: 'reconnected', redis: this.redis, downMs: Date.now() - this.downSince });
    this.downSince = null;
    this.givenUp = false;
  }

  /** Redis stayed unreachable past the wait limit: the attempts on workers end as lost (their retries follow the steps' policies). */
  private giveUp(): void {
    this.givenUp = true;
    const error = `lost: Redis ${this.redis} was unreachable for ${formatDuration(this.opts.waitLimitMs)} (the wait limit, --redis-wait-sec): the worker's result cannot arrive`;
    for (const t of this.tracked.values()) if (!t.ended) this.end(t, lost(error, t), `engine: ${error}`);
  }

  /** Keeps a Redis command's promise until it settles, so close() sends it first. */
  private track(p: Promise<unknown>): void {
    const kept = p.catch(() => {}).finally(() => this.pending.delete(kept));
    this.pending.add(kept);
  }
}

/** The request as a worker gets it: the log and outputs files are the worker's own (its paths replace these). */
function withoutLogPath(req: AttemptRequest): JobData['request'] {
  const { logPath: _logPath, outputPath: _outputPath, ...rest } = req;
  return rest;
}

function elapsed(t: Tracked): number {
  return Math.round(performance.now() - t.startedAt);
}

function lost(error: string, t: Tracked): AttemptResult {
  return { outcome: 'failed', reason: 'lost', exitCode: null, signal: null, durationMs: elapsed(t), error };
}

function notStarted(error: string): AttemptResult {
  return { outcome: 'failed', reason: 'spawn_error', exitCode: null, signal: null, durationMs: 0, error };
}

/** Waits for `p`, at most `ms`. */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
