/**
 * Log files created ahead of time (src/engine/log-prefetch.ts), on a real file system: a taken
 * file is empty and writable, a late open never truncates what was written meanwhile, and
 * files of steps that never start are deleted. Through the CLI: a run leaves exactly the log
 * files of the attempts it started.
 */
import { existsSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogPrefetch } from '../../src/engine/process/log-prefetch.js';
import { plan, workspacesForThisFile } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { onlyRunId, readJsonl } from '../helpers/record.js';
import { tempDirForFile } from '../helpers/temp-dirs.js';

const dir = tempDirForFile('engine-prefetch-');
const workspace = workspacesForThisFile();

let n = 0;
const fresh = () => join(dir, `f${++n}.log`);
const ready = (p: LogPrefetch, path: string) => waitFor(() => p.isReady(path), `${path} prepared`, { timeoutMs: 5_000, intervalMs: 2 });
/** Lets libuv's thread pool finish opens that are still in flight. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('LogPrefetch', () => {
  it('hands over an open, empty, writable descriptor, truncating whatever was there', async () => {
    const p = new LogPrefetch(4);
    const path = fresh();
    writeFileSync(path, 'stale output of an attempt that was never recorded\n');
    p.want(path);
    await ready(p, path);
    const fd = p.take(path)!;
    expect(fd).toBeTypeOf('number');
    writeSync(fd, 'new\n');
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(p.take(path)).toBeUndefined(); // taken once
  });

  it('returns nothing for a file still being created, and the late open does not truncate it', async () => {
    const p = new LogPrefetch(4);
    const path = fresh();
    p.want(path);
    expect(p.take(path)).toBeUndefined(); // not ready yet: the caller opens it itself
    const fd = openSync(path, 'w');
    writeSync(fd, 'written by the step\n');
    closeSync(fd);
    await settle();
    expect(readFileSync(path, 'utf8')).toBe('written by the step\n');
  });

  it('holds at most `capacity` files', async () => {
    const p = new LogPrefetch(2);
    const [a, b, c] = [fresh(), fresh(), fresh()];
    p.want(a);
    p.want(b);
    expect(p.hasRoom).toBe(false);
    p.want(c);
    await ready(p, b);
    await settle();
    expect(existsSync(c)).toBe(false);
    closeSync(p.take(a)!);
    expect(p.hasRoom).toBe(true);
    p.discard();
  });

  it('drop and discard delete files prepared for steps that do not start, also when still opening', async () => {
    const p = new LogPrefetch(8);
    const [dropped, discarded, pending] = [fresh(), fresh(), fresh()];
    p.want(dropped);
    p.want(discarded);
    await ready(p, dropped);
    await ready(p, discarded);
    p.drop(dropped);
    expect(existsSync(dropped)).toBe(false);
    p.want(pending);
    p.discard(); // `pending` may still be opening: deleted when it arrives
    expect(existsSync(discarded)).toBe(false);
    await settle();
    expect(existsSync(pending)).toBe(false);
    expect(p.hasRoom).toBe(true);
  });
});

describe('log files of a run', () => {
  it('are exactly those of the attempts that started, with skipped and retried steps', async () => {
    const ws = workspace();
    const steps = [
      { id: 'root_fails', command: 'sh', args: ['-c', 'echo failing; exit 3'], on_failure: 'skip_dependents' },
      ...Array.from({ length: 20 }, (_, i) => ({ id: `skipped_${i}`, command: 'true', depends_on: ['root_fails'] })),
      { id: 'flaky', command: 'sh', args: ['-c', 'echo try; test -f marker || { touch marker; exit 1; }'], retries: 1, on_failure: 'continue' },
      ...Array.from({ length: 20 }, (_, i) => ({ id: `ok_${i}`, command: 'sh', args: ['-c', `echo ok ${i}`] })),
    ];
    const r = await ws.engine(['run', ws.writePlan(plan(steps))]);
    expect(r.exitCode, r.all).toBe(1);
    const runId = onlyRunId(ws.stateDir);
    const started = readJsonl(ws.stateDir, runId)
      .events.filter((e) => e.type === 'step_started')
      .map((e) => basename(e.log_path as string))
      .sort();
    expect(started).toContain('flaky.2.log');
    expect(started).not.toContain('skipped_0.1.log');
    const logsDir = join(ws.stateDir, 'runs', runId, 'logs');
    expect(readdirSync(logsDir).sort()).toEqual(started);
    expect(readFileSync(join(logsDir, 'ok_7.1.log'), 'utf8')).toBe('ok 7\n');
    expect(readFileSync(join(logsDir, 'root_fails.1.log'), 'utf8')).toBe('failing\n');
  });
});
