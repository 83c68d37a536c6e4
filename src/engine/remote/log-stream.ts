/**
 * A worker streams an attempt to the engine while the step runs (issue 16): its pick-up, its
 * log file and, last, its result, as entries of the run's stream. The attempt runner writes
 * the log file on the worker exactly as for a local step (redacted when the step received a
 * secret, with the engine's closing notes); this reads what was added, in chunks of at most
 * {@link LOG_CHUNK_BYTES}. The step never waits for it: it writes to a local file.
 *
 * What is ready goes out together: the pick-up waits for the first chunk of output, for the
 * step's end, or at most {@link UP_DELAY_MS}; the last chunk waits for the result. A step that
 * ends within that delay costs one XADD, one engine wake-up and one trim instead of two or
 * three (a chain of `true` steps on 2 workers: 9.4 against 11.6 ms/step with the pick-up sent
 * on its own, A/B interleaved, docs/BENCHMARKS-workers.md); the pick-up's recorded time is the
 * spawn's either way, and an engine that cancels a step whose pick-up it has not seen yet
 * still reaches it (the worker holds the job: removing it fails, the request is published).
 *
 * Back-pressure: while the stream holds {@link STREAM_HIGH_WATER} entries the engine has not
 * read, sending waits until it is down to {@link STREAM_LOW_WATER}, so Redis holds a few MiB per
 * run at most; an engine that reads nothing for {@link STALLED_READER_MS} is given up on (the
 * rest is counted, not sent).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { entryFields, LOG_CHUNK_BYTES, STREAM_HIGH_WATER, STREAM_LOW_WATER, STREAM_TTL_MS, type StreamEntry } from './protocol.js';

/** How often a running attempt's log file is looked at for new output, ms. */
const POLL_MS = 25;
/** The pick-up is sent at the latest this long after the spawn, ms (with the first output or the end when sooner). */
export const UP_DELAY_MS = POLL_MS;
/** Sending gives up on an engine that has not read the stream for this long. */
const STALLED_READER_MS = 60_000;

/** A stream's expiry is renewed by this process at most this often, ms (see {@link sendEntry}). */
export const RENEW_EXPIRY_MS = 60_000;
/** When this process last set each stream's expiry (performance.now()), per connection. */
const renewals = new WeakMap<Redis, Map<string, number>>();

/**
 * Appends one entry to the run's stream; with `length`, resolves to the stream's length after
 * it (for back-pressure), else to 0.
 *
 * The stream expires {@link STREAM_TTL_MS} after the last renewal of its expiry, which this
 * process makes with its first entry for the stream, whenever the stream had to be created
 * (the engine deletes it when a run starts or resumes), and with the first entry after
 * {@link RENEW_EXPIRY_MS}: so a stream always has an expiry, at most a minute short of a day
 * after its last write. Entries in between are one XADD (NOMKSTREAM, so that a stream
 * deleted meanwhile is created again with its expiry). An XADD and a PEXPIRE per entry, in an
 * ioredis pipeline, cost the workers 0.7 ms of CPU per entry (`--cpu-prof`, a chain of `true`
 * steps on 2 workers): a pipeline copies every script command BullMQ defined on the
 * connection when it is made.
 */
export async function sendEntry(redis: Redis, key: string, entry: StreamEntry, length = false): Promise<number> {
  const fields = entryFields(entry);
  let seen = renewals.get(redis);
  if (!seen) renewals.set(redis, (seen = new Map()));
  const now = performance.now();
  const renewedAt = seen.get(key);
  if (renewedAt !== undefined && now - renewedAt < RENEW_EXPIRY_MS) {
    const [id, size] = await Promise.all([redis.xadd(key, 'NOMKSTREAM', '*', ...fields), length ? redis.xlen(key) : Promise.resolve(0)]);
    if (id !== null) return Number(size);
  }
  const replies = await redis.multi().xadd(key, '*', ...fields).pexpire(key, STREAM_TTL_MS).xlen(key).exec();
  const error = replies?.find(([err]) => err)?.[0];
  if (error) throw error;
  if (seen.size >= 1000) for (const [k, at] of seen) if (now - at >= RENEW_EXPIRY_MS) seen.delete(k);
  seen.set(key, now);
  return length ? Number(replies?.[2]?.[1] ?? 0) : 0;
}

/** What {@link streamLog} leaves for the attempt's last entry. */
export interface Unsent {
  /** The pick-up and the last chunk, when they were not sent yet: the result goes with them. */
  entry: StreamEntry;
  /** Bytes not sent because the engine stopped reading. */
  cutBytes: number;
}

/**
 * Streams `path` (job `jobId`) to `key` until `ended` has resolved and everything written
 * before that was read; the first entry sent carries `up`. Reads are synchronous: the file is
 * local and a chunk is at most 64 KiB, far cheaper than a trip through libuv's thread pool.
 */
export async function streamLog(redis: Redis, key: string, jobId: string, path: string, up: NonNullable<StreamEntry['up']>, ended: Promise<unknown>): Promise<Unsent> {
  let done = false;
  void ended.then(() => (done = true));
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(LOG_CHUNK_BYTES);
  let position = 0;
  let cut = 0;
  let pendingUp: StreamEntry['up'] = up;
  const upBy = performance.now() + UP_DELAY_MS;
  try {
    for (;;) {
      const finished = done;
      const bytesRead = readSync(fd, buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        if (cut > 0) {
          cut += bytesRead;
          continue;
        }
        const log = Buffer.from(buffer.subarray(0, bytesRead));
        // Read after the end and short of a full chunk: the log's last bytes, sent with the result.
        if (finished && bytesRead < buffer.length) return { entry: { j: jobId, up: pendingUp, log }, cutBytes: cut };
        if (!(await sendWithBackPressure(redis, key, { j: jobId, up: pendingUp, log }))) cut = bytesRead;
        pendingUp = undefined;
        continue;
      }
      // Nothing new: done once the attempt had ended before this read.
      if (finished) return { entry: { j: jobId, up: pendingUp }, cutBytes: cut };
      if (pendingUp !== undefined && performance.now() >= upBy) {
        await sendEntry(redis, key, { j: jobId, up: pendingUp });
        pendingUp = undefined;
      }
      const wait = pendingUp === undefined ? POLL_MS : Math.max(1, Math.min(POLL_MS, upBy - performance.now()));
      await Promise.race([sleep(wait), ended]);
    }
  } finally {
    closeSync(fd);
  }
}

/** Sends an entry, first waiting while the stream is full; false when the engine stopped reading. */
async function sendWithBackPressure(redis: Redis, key: string, entry: StreamEntry): Promise<boolean> {
  const length = await sendEntry(redis, key, entry, true);
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
