/**
 * Which executor a run uses (issue 16), decided once before anything is recorded: workers
 * through BullMQ on Redis when `--redis URL`, `ENGINE_REDIS_URL` or the plan's
 * `globals.executor` (in that order) give one, and, for `engine resume`, the executor the run
 * recorded; otherwise every step runs in the engine's process, and no Redis client is loaded.
 */
import type { ExecutorRecord } from '../engine/events.js';
import { UserError } from '../errors.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';

/** The flags of `run` and `resume` that choose and tune the executor. */
export interface ExecutorOptions {
  redis?: string;
  queue?: string;
  stalledIntervalMs?: number;
  redisWaitSec?: number;
}

/** The executor a run sends its steps to. */
export interface ExecutorChoice {
  url: string;
  queue: string;
  /** How often the engine runs BullMQ's stalled-job check (lost workers are noticed within lock duration + 2 × this). */
  stalledIntervalMs: number;
  /** How long running steps wait for an unreachable Redis before they end as lost. */
  waitLimitMs: number;
}

/** The base queue when none is given. */
export const DEFAULT_QUEUE = 'engine';
/** Default of `--stalled-interval-ms` (engine and worker). */
export const DEFAULT_STALLED_INTERVAL_MS = 2000;
/** Default of `--redis-wait-sec`. */
export const DEFAULT_REDIS_WAIT_SEC = 300;

const QUEUE_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * @param recorded the executor the run recorded (resume), if any
 * @returns the executor, or null: every step runs locally
 * @throws UserError (exit 2) for a bad URL or queue, or a step whose `runs_on` labels need workers when there are none
 */
export function chooseExecutor(plan: ResolvedPlan, opts: ExecutorOptions, recorded: ExecutorRecord | null = null): ExecutorChoice | null {
  const fromEnv = process.env.ENGINE_REDIS_URL?.trim() ? process.env.ENGINE_REDIS_URL : undefined;
  const url = opts.redis ?? fromEnv ?? plan.executor?.url ?? recorded?.redis;
  if (url === undefined) {
    if (plan.executor) throw new UserError('globals.executor has no url: give one with --redis URL or ENGINE_REDIS_URL');
    const pinned = plan.steps.find((s) => s.runsOn !== 'local' && Object.keys(s.runsOn).length > 0);
    if (pinned) {
      throw new UserError(`step "${pinned.id}" has runs_on ${JSON.stringify(pinned.runsOn)}: it needs workers (engine run --redis URL, ENGINE_REDIS_URL or globals.executor)`);
    }
    return null;
  }
  if (!/^rediss?:\/\/[^\s]+$/.test(url)) throw new UserError(`--redis ${JSON.stringify(url)}: expected a redis://HOST:PORT URL`);
  const queue = opts.queue ?? plan.executor?.queue ?? recorded?.queue ?? DEFAULT_QUEUE;
  if (!QUEUE_PATTERN.test(queue)) throw new UserError(`--queue ${JSON.stringify(queue)}: letters, digits, _ . - only (at most 100)`);
  return {
    url,
    queue,
    stalledIntervalMs: opts.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
    waitLimitMs: (opts.redisWaitSec ?? DEFAULT_REDIS_WAIT_SEC) * 1000,
  };
}
