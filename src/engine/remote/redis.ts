/**
 * Connections to the executor's Redis (ioredis), shared by the engine and its workers. Every
 * command waits through a disconnection instead of failing (`maxRetriesPerRequest: null`, as
 * BullMQ requires for its blocking calls): whoever needs a bound sets it (the engine's wait
 * limit, a worker's lock duration).
 */
import { Redis } from 'ioredis';

/** Reconnect quickly (Redis restarted): 50 ms, 100 ms, … at most 500 ms between tries. */
const MAX_RECONNECT_DELAY_MS = 500;

/** A new connection to `url`, named `name` in CLIENT LIST. Errors are reported through `onError` (never thrown). */
export function connectRedis(url: string, name: string, onError: (err: Error) => void = () => {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    connectionName: name,
    retryStrategy: (times) => Math.min(times * 50, MAX_RECONNECT_DELAY_MS),
  });
  redis.on('error', onError);
  return redis;
}

/** Resolves once `redis` is ready; rejects with its last error after `timeoutMs`. */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError = 'no answer';
    const onError = (err: Error): void => void (lastError = err.message);
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      redis.off('error', onError);
      reject(new Error(lastError));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      redis.off('error', onError);
      resolve();
    };
    redis.once('ready', onReady);
    redis.on('error', onError);
  });
}

/** Closes a connection: waits for its pending replies when it is up, else drops it. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // Lost meanwhile: drop it below.
    }
  }
  redis.disconnect();
}
