/**
 * A worker streams an attempt's log file to the engine while the step runs (issue 16): the
 * attempt runner writes the file on the worker exactly as for a local step (redacted when the
 * step received a secret, with the engine's closing notes); this reads what was added, in
 * chunks of at most {@link LOG_CHUNK_BYTES}, and appends each to the run's stream. The step
 * never waits for it: it writes to a local file. Back-pressure: while the stream holds
 * {@link STREAM_HIGH_WATER} entries the engine has not read, sending waits until it is down to
 * {@link STREAM_LOW_WATER}, so Redis holds a few MiB per run at most; an engine that reads
 * nothing for {@link STALLED_READER_MS} is given up on (the rest is counted, not sent).
 */
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { entryFields, LOG_CHUNK_BYTES, STREAM_HIGH_WATER, STREAM_LOW_WATER, STREAM_TTL_MS, type StreamEntry } from './protocol.js';

/** How often a running attempt's log file is looked at for new output, ms. */
const POLL_MS = 25;
/** Sending gives up on an engine that has not read the stream for this long. */
const STALLED_READER_MS = 60_000;

/** Appends one entry to the run's stream (renewing its expiry); resolves to the stream's length. */
export async function sendEntry(redis: Redis, key: string, entry: StreamEntry): Promise<number> {
  const replies = await redis.pipeline().xadd(key, '*', ...entryFields(entry)).pexpire(key, STREAM_TTL_MS).xlen(key).exec();
  const error = replies?.find(([err]) => err)?.[0];
  if (error) throw error;
  return Number(replies?.[2]?.[1] ?? 0);
}

/**
 * Streams `path` (job `jobId`) to `key` until `ended` has resolved and everything written
 * before that was sent.
 * @returns the number of bytes not sent because the engine stopped reading
 */
export async function streamLog(redis: Redis, key: string, jobId: string, path: string, ended: Promise<unknown>): Promise<number> {
  let done = false;
  void ended.then(() => (done = true));
  const file = await open(path, 'r');
  const buffer = Buffer.alloc(LOG_CHUNK_BYTES);
  let position = 0;
  let cut = 0;
  try {
    for (;;) {
      const finished = done;
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        if (cut > 0) cut += bytesRead;
        else if (!(await sendWithBackPressure(redis, key, { t: 'log', j: jobId, data: Buffer.from(buffer.subarray(0, bytesRead)) }))) cut = bytesRead;
        continue;
      }
      // Nothing new: done once the attempt had ended before this read.
      if (finished) return cut;
      await Promise.race([sleep(POLL_MS), ended]);
    }
  } finally {
    await file.close();
  }
}

/** Sends a chunk, first waiting while the stream is full; false when the engine stopped reading. */
async function sendWithBackPressure(redis: Redis, key: string, entry: StreamEntry): Promise<boolean> {
  const length = await sendEntry(redis, key, entry);
  if (length < STREAM_HIGH_WATER) return true;
  const since = performance.now();
  let wait = 5;
  while (Number(await redis.xlen(key)) > STREAM_LOW_WATER) {
    if (performance.now() - since > STALLED_READER_MS) return false;
    await sleep(wait);
    wait = Math.min(wait * 2, 200);
  }
  return true;
}
