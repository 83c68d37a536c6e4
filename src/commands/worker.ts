/**
 * `engine worker`: carries out steps that runs send to workers (issue 16) until SIGINT or
 * SIGTERM: the first stops taking jobs and waits for the running steps; the second stops them
 * too (the step's kill signal, grace, SIGKILL), reporting them lost so that their runs retry
 * them on another worker.
 */
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { DEFAULT_QUEUE, DEFAULT_STALLED_INTERVAL_MS } from './executor-options.js';
import { reportError } from './report-error.js';

export interface WorkerCommandOptions {
  redis?: string;
  concurrency?: number;
  queue?: string;
  labels?: string;
  name?: string;
  workDir?: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** Default of `--lock-duration-ms`: a worker silent this long is taken for lost. */
export const DEFAULT_LOCK_DURATION_MS = 5000;

export async function workerCommand(opts: WorkerCommandOptions): Promise<number> {
  try {
    const url = opts.redis ?? (process.env.ENGINE_REDIS_URL?.trim() ? process.env.ENGINE_REDIS_URL : undefined);
    if (url === undefined) throw new UserError('engine worker needs --redis URL (or ENGINE_REDIS_URL)');
    if (!/^rediss?:\/\/[^\s]+$/.test(url)) throw new UserError(`--redis ${JSON.stringify(url)}: expected a redis://HOST:PORT URL`);
    const { defaultWorkerName, startWorker } = await import('../engine/remote/worker.js');
    const { parseLabels } = await import('../engine/remote/protocol.js');
    let labels: Record<string, string> = {};
    if (opts.labels !== undefined) {
      try {
        labels = parseLabels(opts.labels);
      } catch (err) {
        throw new UserError(`--labels ${JSON.stringify(opts.labels)}: ${(err as Error).message}`);
      }
    }
    const queue = opts.queue ?? DEFAULT_QUEUE;
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(queue)) throw new UserError(`--queue ${JSON.stringify(queue)}: letters, digits, _ . - only (at most 100)`);
    const name = opts.name ?? defaultWorkerName();
    const log = (line: string): void => void process.stderr.write(`engine worker ${name}: ${line}\n`);
    const lockDurationMs = opts.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS;
    let worker;
    try {
      worker = await startWorker({
        url,
        queue,
        labels,
        concurrency: opts.concurrency ?? 1,
        name,
        workDir: resolve(opts.workDir ?? join(tmpdir(), `engine-worker-${userInfo().username}`)),
        lockDurationMs,
        stalledIntervalMs: opts.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
        connectTimeoutMs: 10_000,
        log,
      });
    } catch (err) {
      throw new UserError((err as Error).message, ExitCode.environment);
    }
    log(`serving ${worker.queues.join(', ')} with concurrency ${opts.concurrency ?? 1} (lock ${lockDurationMs} ms)`);
    await new Promise<void>((done) => {
      let stops = 0;
      const onSignal = (signal: NodeJS.Signals): void => {
        const forced = ++stops > 1;
        log(forced ? `${signal} again: stopping the running steps` : `${signal}: taking no more jobs; waiting for the running steps (again to stop them)`);
        void worker.stop(forced, signal).then(() => {
          for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, onSignal);
          done();
        });
      };
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, onSignal);
    });
    log('stopped');
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
