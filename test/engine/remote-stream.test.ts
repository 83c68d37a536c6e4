/**
 * The run's stream as workers write it (issue 16), on a real redis-server: every stream has an
 * expiry, also when the engine deleted it meanwhile (a run resumed), and the length reported
 * for back-pressure counts the entry just added. And a worker's pid record stays readable
 * JSON when it shrinks (padded, not truncated).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { sendEntry } from '../../src/engine/remote/log-stream.js';
import { PidRecords } from '../../src/engine/remote/pid-records.js';
import { STREAM_TTL_MS } from '../../src/engine/remote/protocol.js';
import { redisForThisFile } from '../helpers/redis.js';
import { tempDir } from '../helpers/temp-dirs.js';

const redis = redisForThisFile();
const clients: Redis[] = [];
afterAll(() => {
  for (const c of clients) c.disconnect();
});

async function client(): Promise<Redis> {
  const r = await redis();
  const c = new Redis(r.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  clients.push(c);
  await c.connect();
  return c;
}

describe('sendEntry', () => {
  it('gives the stream its expiry with the first entry, reports lengths, and sets it again when the stream was deleted', async () => {
    const c = await client();
    const key = 'engine:run:test-expiry';
    expect(await sendEntry(c, key, { j: 'job1', up: { worker: 'w', pid: 1, startedAtMs: 1 } }, true)).toBe(1);
    const ttl = await c.pttl(key);
    expect(ttl).toBeGreaterThan(STREAM_TTL_MS - 60_000);
    // Later entries: one XADD each, the expiry kept, the length counting the new entry.
    expect(await sendEntry(c, key, { j: 'job1', log: Buffer.from('a') }, true)).toBe(2);
    expect(await sendEntry(c, key, { j: 'job1', log: Buffer.from('b') })).toBe(0);
    expect(await c.xlen(key)).toBe(3);
    expect(await c.pttl(key)).toBeGreaterThan(0);
    // The engine of a resumed run deletes the stream: the next entry creates it with an expiry.
    await c.del(key);
    expect(await sendEntry(c, key, { j: 'job2', log: Buffer.from('c') }, true)).toBe(1);
    expect(await c.pttl(key)).toBeGreaterThan(STREAM_TTL_MS - 60_000);
    const entries = await c.xrange(key, '-', '+');
    expect(entries).toHaveLength(1);
  });
});

describe('PidRecords', () => {
  it('keeps the record parseable as attempts come and go (a shorter record is padded)', () => {
    const dir = tempDir('engine-pid-records-');
    const records = new PidRecords(dir);
    const path = join(dir, `${process.pid}.json`);
    const read = () => JSON.parse(readFileSync(path, 'utf8')) as { pid: number; attempts: Record<string, unknown> };
    for (let i = 0; i < 20; i++) records.add(`job-with-a-long-id-${i}`, { runId: 'run', stepId: `step${i}`, attempt: 1, pgid: 1000 + i });
    expect(Object.keys(read().attempts)).toHaveLength(20);
    for (let i = 0; i < 19; i++) records.remove(`job-with-a-long-id-${i}`);
    expect(read()).toMatchObject({ pid: process.pid, attempts: { 'job-with-a-long-id-19': { stepId: 'step19', pgid: 1019 } } });
    expect(Object.keys(read().attempts)).toHaveLength(1);
    records.remove('job-with-a-long-id-19');
    expect(read().attempts).toEqual({});
    records.close();
  });
});
