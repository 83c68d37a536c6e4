/**
 * `engine worker` (issue 16): takes attempts' jobs from BullMQ queues and runs each with the
 * same attempt runner as a local step (process group, timeouts, idle timeout, kill signal,
 * redaction of secrets, the step's whole environment), streaming its log and reporting its
 * result on the run's stream (protocol.ts), which the engine alone turns into the record.
 *
 * Jobs are fetched by hand (BullMQ's "manually processing jobs"): one fetch loop per queue the
 * worker's labels serve, all under one `--concurrency` limit, and locks renewed here every
 * third of `lockDurationMs`. Whatever the worker cannot renew it no longer holds: BullMQ's
 * stalled check will report it lost and the engine retries it elsewhere, so its process group
 * is killed at once: when a renewal is refused, and when none succeeded for `lockDurationMs`
 * (Redis unreachable). Processes of a worker that died (kill -9) are killed by the workers
 * that share its work directory (by default every worker of the host and user): at their
 * start and every {@link SWEEP_MS} (pid-records.ts).
 */
import { mkdirSync, rmSync, truncateSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker, type Job, type JobJson } from 'bullmq';
import type { Redis } from 'ioredis';
import { toEpochMs } from '../clock.js';
import type { AttemptResult, RunningAttempt } from '../attempt.js';
import { startAttempt } from '../process/attempt-runner.js';
import { sendEntry, streamLog, type Unsent } from './log-stream.js';
import { killLeftovers, PidRecords } from './pid-records.js';
import { CANCEL_CHANNEL, cancelKey, PROTOCOL_VERSION, queuesServed, runStreamKey, type CancelMessage, type JobData } from './protocol.js';
import { closeRedis, connectRedis, whenReady } from './redis.js';

/** How often a worker looks for processes left by dead workers of its work directory. */
const SWEEP_MS = 1000;
/** Cancel requests remembered for jobs this worker did not hold when they came (the newest). */
const EARLY_CANCELS = 1000;

export interface WorkerOptions {
  url: string;
  /** The base queue; the worker serves it and `<queue>@…` for each subset of its labels. */
  queue: string;
  labels: Readonly<Record<string, string>>;
  /** Attempts running at once. */
  concurrency: number;
  /** Shown in the record (`step_picked_up.worker`) and as BullMQ's `processedBy`. */
  name: string;
  /** Where attempts' log files and the pid records live. */
  workDir: string;
  /** BullMQ's lock duration: a worker silent this long is taken for lost. */
  lockDurationMs: number;
  /** How often this worker runs BullMQ's stalled-job check. */
  stalledIntervalMs: number;
  /** How long to wait for Redis at start. */
  connectTimeoutMs: number;
  /** One line for the worker's log (stderr). */
  log(line: string): void;
}

export interface RunningWorker {
  readonly queues: readonly string[];
  /** Stops taking jobs and waits for the running ones; `forced`: stops them too, reported as lost so the engine retries them. */
  stop(forced: boolean, why: string): Promise<void>;
}

/** The default worker name: host and pid. */
export function defaultWorkerName(): string {
  return `${hostname()}/${process.pid}`;
}

/** A slot's outputs file, emptied when an attempt takes it and when it gives it back (`outputFiles` of attempt-runner.ts). */
const SLOT_OUTPUTS = {
  take(path: string): boolean {
    try {
      truncateSync(path, 0);
      return true;
    } catch {
      return false; // not created yet: the attempt runner creates it
    }
  },
  giveBack(path: string): void {
    try {
      truncateSync(path, 0);
    } catch {
      // removed by the step: the next attempt creates it again
    }
  },
};

/**
 * BullMQ's Worker, fetching by hand: a job's completion also takes the next job of its queue
 * (`moveToCompleted(…, fetchNext)`, as BullMQ's own processing loop does), and this turns what
 * it took into a Job as getNextJob would, or records the queue as drained when it took none, so
 * that the next getNextJob blocks at once. Completing with fetchNext false left the queue
 * undrained: every job was followed by a non-blocking fetch that found nothing, one more Lua
 * script and round trip per step (Redis MONITOR of a 30-step chain on 2 workers: 90 instead of
 * 120 scripts run by the workers). Where jobs wait, the next one comes with the completion.
 */
class Fetcher extends Worker {
  nextFromCompletion(next: unknown, token: string): Promise<Job | undefined> {
    const [jobData, jobId] = Array.isArray(next) ? (next as [JobJson | null, string | undefined]) : [];
    return this.nextJobFromJobData(jobData ?? undefined, jobId, token);
  }
}

/** One job this worker holds. */
interface Held {
  job: Job;
  token: string;
  fetcher: Fetcher;
  data: JobData;
  running: RunningAttempt | null;
  /** A cancel asked for before the process started: `true` forced. */
  cancelBeforeStart: boolean | null;
  /** The cancel already applied to the running process: `true` forced. */
  cancelApplied: boolean | null;
  lastRenewedAt: number;
  /** The worker no longer holds the job's lock (or is shutting down): the result will say lost. */
  lostBecause: string | null;
}

/**
 * Starts a worker: kills what earlier workers of `workDir` left, connects, and starts fetching.
 * @throws Error when Redis cannot be reached within `connectTimeoutMs`
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  for (const line of killLeftovers(join(opts.workDir, 'pids'))) opts.log(line);
  const worker = new RemoteWorker(opts);
  try {
    await worker.open();
  } catch (err) {
    await worker.stop(true, 'start failed');
    throw err;
  }
  return worker;
}

class RemoteWorker implements RunningWorker {
  readonly queues: readonly string[];
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly fetchers: Fetcher[] = [];
  private readonly held = new Map<string, Held>();
  private readonly records: PidRecords;
  private readonly logDir: string;
  /**
   * Slots of the attempts' files: slot n's log `<n>.log` and outputs file `<n>.out`, reused by
   * every attempt that runs in it, never deleted while the worker runs. Allocating and freeing
   * an inode per attempt was the worker's costliest system call: on ext4, creating a file in a
   * directory where many were just deleted took 16% of the workers' CPU (perf), renaming
   * recycled outputs files (output-files.ts) another 7%. Reused (with output through the pipe
   * below), the workers used 3.9 instead of 4.2 ms of CPU per step of a chain and 2.8 instead
   * of 3.8 with independent steps, which ran at 4.5 instead of 4.9 ms/step (A/B interleaved, 8
   * rounds of 300 steps, a busy machine; docs/BENCHMARKS-workers.md).
   *
   * A process the step left behind could still hold a file of its slot. Its outputs file is
   * emptied when taken and given back (as output-files.ts does for local steps), and its log is
   * written by this worker alone: output comes through a pipe (`pipeOutput`), so nothing the
   * step left can write into a later attempt's log (what it still writes 1 s after the step's
   * exit is cut, as for a local step with a secret).
   */
  private readonly freeSlots: number[] = [];
  private slots = 0;
  /**
   * Cancel requests (pub/sub) that came for jobs this worker did not hold, by job id (true:
   * forced). The engine cancels a job no worker reported taking by publishing the request,
   * then removing the job from its queue; that removal fails when a worker holds it, and that
   * worker may have had the message just before its fetch's reply: process() looks here before
   * it spawns (a message that comes after finds the job held). This replaces a GET of the job's
   * cancel key before every spawn: a round trip that cost 1.2 ms of enqueue-to-start latency
   * (p50 3.5 against 2.3 ms, A/B interleaved, docs/BENCHMARKS-workers.md). The key is still read
   * with every lock renewal, for requests published while the subscriber was reconnecting.
   */
  private readonly earlyCancels = new Map<string, boolean>();
  private free: number;
  private slotWaiters: (() => void)[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];
  private renewTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private tokens = 0;
  private readonly jobsDone: Promise<void>[] = [];

  constructor(private readonly opts: WorkerOptions) {
    this.queues = queuesServed(opts.queue, opts.labels);
    this.free = opts.concurrency;
    this.client = connectRedis(opts.url, `worker:${opts.name}`);
    this.subscriber = connectRedis(opts.url, `worker:${opts.name}:cancel`);
    this.records = new PidRecords(join(opts.workDir, 'pids'));
    this.logDir = join(opts.workDir, 'logs', String(process.pid));
    mkdirSync(this.logDir, { recursive: true });
  }

  async open(): Promise<void> {
    await whenReady(this.client, this.opts.connectTimeoutMs).catch((err: Error) => {
      throw new Error(`cannot reach Redis: ${err.message}`);
    });
    this.subscriber.on('message', (_channel: string, text: string) => this.onCancelMessage(text));
    await this.subscriber.subscribe(CANCEL_CHANNEL);
    for (const name of this.queues) {
      const fetcher = new Fetcher(name, null, {
        connection: this.client,
        autorun: false,
        lockDuration: this.opts.lockDurationMs,
        stalledInterval: this.opts.stalledIntervalMs,
        maxStalledCount: 0,
        drainDelay: 2,
        name: this.opts.name,
      });
      fetcher.on('error', (err) => this.opts.log(`queue ${name}: ${err.message}`));
      this.fetchers.push(fetcher);
    }
    for (const fetcher of this.fetchers) await fetcher.startStalledCheckTimer();
    this.renewTimer = setInterval(() => void this.renewLocks(), Math.max(50, Math.floor(this.opts.lockDurationMs / 3)));
    this.sweepTimer = setInterval(() => {
      for (const line of killLeftovers(join(this.opts.workDir, 'pids'))) this.opts.log(line);
    }, SWEEP_MS);
    this.loops = this.fetchers.map((f) => this.fetchLoop(f));
  }

  async stop(forced: boolean, why: string): Promise<void> {
    this.stopping = true;
    for (const wake of this.slotWaiters.splice(0)) wake();
    if (forced) {
      for (const h of this.held.values()) {
        h.lostBecause ??= `worker ${this.opts.name} was stopped (${why}) while the step ran`;
        h.running?.cancel(true);
      }
    }
    await Promise.allSettled(this.jobsDone);
    await Promise.allSettled(this.fetchers.map((f) => f.close(forced)));
    await Promise.allSettled(this.loops);
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await closeRedis(this.subscriber);
    await closeRedis(this.client);
    this.records.close();
    rmSync(this.logDir, { recursive: true, force: true });
  }

  /** Takes jobs from one queue while a slot is free. */
  private async fetchLoop(fetcher: Fetcher): Promise<void> {
    while (!this.stopping) {
      while (this.free === 0 && !this.stopping) await new Promise<void>((wake) => this.slotWaiters.push(wake));
      if (this.stopping) return;
      const token = `${this.opts.name}:${this.tokens++}`;
      let job: Job | undefined;
      try {
        job = await fetcher.getNextJob(token, { block: true });
      } catch (err) {
        if (this.stopping) return;
        this.opts.log(`queue ${fetcher.name}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (!job) continue;
      // Another queue's loop took the last slot meanwhile, or the worker is stopping: give it back.
      if (this.stopping || this.free === 0) {
        await job.moveToWait(token).catch(() => {});
        continue;
      }
      this.free--;
      const done = this.runSlot(job, token, fetcher).finally(() => {
        this.free++;
        // Every waiting queue's loop fetches again, not just the first: the first may find its
        // queue empty and block there while another queue has a job waiting for the slot.
        for (const wake of this.slotWaiters.splice(0)) wake();
        this.jobsDone.splice(this.jobsDone.indexOf(done), 1);
      });
      this.jobsDone.push(done);
    }
  }

  /** Runs `job`, then each job that its completion took (`moveToCompleted(…, fetchNext)`), in one slot. */
  private async runSlot(job: Job, token: string, fetcher: Fetcher): Promise<void> {
    for (let next: Job | undefined = job; next !== undefined; ) {
      next = await this.process(next, token, fetcher);
      if (next !== undefined && this.stopping) {
        await next.moveToWait(token).catch(() => {});
        return;
      }
    }
  }

  /** Runs one job; resolves to the next job of its queue when its completion took one. */
  private async process(job: Job, token: string, fetcher: Fetcher): Promise<Job | undefined> {
    const jobId = job.id!;
    // BullMQ fails a job that stalled before on its next fetch: it was reported lost already.
    if (job.deferredFailure) {
      await job.moveToFailed(new Error(job.deferredFailure), token, false).catch(() => {});
      return undefined;
    }
    const data = job.data as JobData;
    if (data?.v !== PROTOCOL_VERSION) {
      await job.moveToFailed(new Error(`job data version ${String(data?.v)}, this worker reads version ${PROTOCOL_VERSION} (upgrade the engine or the worker)`), token, false).catch(() => {});
      return undefined;
    }
    const h: Held = { job, token, fetcher, data, running: null, cancelBeforeStart: null, cancelApplied: null, lastRenewedAt: performance.now(), lostBecause: null };
    this.held.set(jobId, h);
    const early = this.earlyCancels.get(jobId);
    if (early !== undefined) {
      this.earlyCancels.delete(jobId);
      h.cancelBeforeStart = early;
    }
    const streamKey = runStreamKey(data.runId);
    const req = data.request;
    const slot = this.freeSlots.pop() ?? this.slots++;
    const logPath = join(this.logDir, `${slot}.log`);
    try {
      let result: AttemptResult;
      let unsent: Unsent = { entry: { j: jobId }, cutBytes: 0 };
      if (h.cancelBeforeStart !== null || h.lostBecause !== null) {
        result = { outcome: 'cancelled', exitCode: null, signal: null, durationMs: 0 };
      } else {
        const startedAtMs = toEpochMs(performance.now());
        // The step's outputs file (issue 13) is the worker's, next to its log; its outputs come back in the result.
        const outputPath = join(this.logDir, `${slot}.out`);
        h.running = startAttempt({ ...req, env: { ...req.env, ENGINE_OUTPUT: outputPath }, logPath, outputPath, outputFiles: SLOT_OUTPUTS, pipeOutput: true });
        this.records.add(jobId, { runId: data.runId, stepId: req.stepId, attempt: req.attempt, pgid: h.running.pid });
        this.opts.log(`job ${jobId}: step ${req.stepId} attempt ${req.attempt} started${h.running.pid === null ? '' : ` (pid ${h.running.pid})`}`);
        // The pick-up goes with the first output or the result (log-stream.ts).
        unsent = await streamLog(this.client, streamKey, jobId, logPath, { worker: this.opts.name, pid: h.running.pid, startedAtMs }, h.running.result);
        result = await h.running.result;
      }
      if (h.lostBecause !== null) result = { outcome: 'failed', reason: 'lost', exitCode: result.exitCode, signal: result.outcome === 'succeeded' ? null : result.signal, durationMs: result.durationMs, error: `lost: ${h.lostBecause}` };
      // The result is in Redis before the job (and the environment it holds) is completed: a
      // result that cannot be sent leaves the job to stall, so the engine records it lost. (Sent
      // together, without waiting for the first reply, made no measurable difference once the
      // completion also fetched the next job: 5.95 against 5.90 ms/step, A/B interleaved.)
      await sendEntry(this.client, streamKey, { ...unsent.entry, end: { worker: this.opts.name, result, cutBytes: unsent.cutBytes } });
      if (h.running) this.records.remove(jobId);
      this.opts.log(`job ${jobId}: ${result.outcome}${result.outcome === 'failed' ? ` (${result.error})` : ''}`);
      return await job.moveToCompleted(null, token, !this.stopping).then(
        (next) => fetcher.nextFromCompletion(next, token),
        (err: Error) => void this.opts.log(`job ${jobId}: ${err.message}`),
      );
    } catch (err) {
      this.opts.log(`job ${jobId}: ${(err as Error).message}`);
      return undefined;
    } finally {
      this.held.delete(jobId);
      this.freeSlots.push(slot);
    }
  }

  /** Renews the locks of the held jobs; stops those it could not renew, and applies cancel requests it missed. */
  private async renewLocks(): Promise<void> {
    const now = performance.now();
    for (const fetcher of this.fetchers) {
      const mine = [...this.held.entries()].filter(([, h]) => h.fetcher === fetcher && h.lostBecause === null);
      if (mine.length === 0) continue;
      try {
        const refused = new Set(await fetcher.extendJobLocks(mine.map(([id]) => id), mine.map(([, h]) => h.token), this.opts.lockDurationMs));
        for (const [id, h] of mine) {
          if (refused.has(id)) this.lose(h, `worker ${this.opts.name} lost the job's lock (another worker may run the step now)`);
          else h.lastRenewedAt = now;
        }
      } catch {
        // Redis unreachable: the watchdog below decides.
      }
    }
    for (const h of this.held.values()) {
      if (h.lostBecause === null && now - h.lastRenewedAt > this.opts.lockDurationMs) {
        this.lose(h, `worker ${this.opts.name} could not renew the job's lock for ${this.opts.lockDurationMs} ms (Redis unreachable)`);
      }
    }
    const ids = [...this.held.keys()];
    if (ids.length === 0) return;
    const markers = await this.client.mget(ids.map(cancelKey)).catch(() => []);
    markers.forEach((m, i) => {
      if (m !== null) this.cancel(ids[i]!, m === 'kill');
    });
  }

  /** The job is no longer this worker's: its process group is killed at once. */
  private lose(h: Held, why: string): void {
    h.lostBecause = why;
    this.opts.log(`job ${h.job.id}: ${why}; killing its process group`);
    h.running?.cancel(true);
  }

  private onCancelMessage(text: string): void {
    let m: CancelMessage;
    try {
      m = JSON.parse(text) as CancelMessage;
    } catch {
      return;
    }
    this.cancel(m.job, m.forced);
  }

  private cancel(jobId: string, forced: boolean): void {
    const h = this.held.get(jobId);
    if (!h) {
      // Perhaps this worker is taking the job right now: remembered for process().
      const before = this.earlyCancels.get(jobId) ?? false;
      this.earlyCancels.delete(jobId);
      this.earlyCancels.set(jobId, forced || before);
      if (this.earlyCancels.size > EARLY_CANCELS) this.earlyCancels.delete(this.earlyCancels.keys().next().value!);
      return;
    }
    if (!h.running) {
      h.cancelBeforeStart = forced || (h.cancelBeforeStart ?? false);
      return;
    }
    // Once each: the stop already under way goes on (a forced one still cuts its grace short).
    if (h.cancelApplied === true || (h.cancelApplied === false && !forced)) return;
    h.cancelApplied = forced;
    h.running.cancel(forced);
  }
}
