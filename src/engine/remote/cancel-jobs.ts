/**
 * Crash recovery's part for a run that sent steps to workers (issue 16): the engine died, so
 * the jobs of its open attempts are taken off their queues and, where a worker already runs
 * one, stopped there with SIGKILL (as recovery kills a local orphan), before the run is marked
 * interrupted and `engine resume` may start those steps again. Loaded only for such runs.
 */
import { Queue } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutorRecord } from '../events.js';
import { CANCEL_CHANNEL, CANCEL_TTL_SEC, cancelKey, displayUrl, runStreamKey, type CancelMessage } from './protocol.js';
import { closeRedis, connectRedis, whenReady } from './redis.js';

/**
 * Cancels `jobIds` of run `runId` and waits (at most `waitMs`) until their jobs are gone.
 * The URL with its password comes from ENGINE_REDIS_URL when that names the recorded Redis.
 * @returns null, or why the jobs could not be cancelled (for a warning)
 */
export async function cancelRunJobs(record: ExecutorRecord, runId: string, jobIds: readonly string[], waitMs: number): Promise<string | null> {
  const env = process.env.ENGINE_REDIS_URL;
  const url = env && displayUrl(env) === record.redis ? env : record.redis;
  const client = connectRedis(url, `engine:recovery:${runId}`);
  const queues = record.queues.map((name) => new Queue(name, { connection: client }));
  for (const q of queues) q.on('error', () => {});
  try {
    await whenReady(client, 3000);
    for (const jobId of jobIds) {
      await client.set(cancelKey(jobId), 'kill', 'EX', CANCEL_TTL_SEC);
      await client.publish(CANCEL_CHANNEL, JSON.stringify({ job: jobId, forced: true } satisfies CancelMessage));
      for (const q of queues) await q.remove(jobId).catch(() => 0);
    }
    for (let waited = 0; waited < waitMs; waited += 50) {
      const left = await Promise.all(jobIds.flatMap((id) => queues.map((q) => q.getJob(id))));
      if (left.every((j) => j === undefined)) break;
      await sleep(50);
    }
    await client.del(runStreamKey(runId));
    return null;
  } catch (err) {
    return `could not cancel the jobs of run ${runId} on ${record.redis}: ${(err as Error).message}`;
  } finally {
    await Promise.allSettled(queues.map((q) => q.close()));
    await closeRedis(client);
  }
}
