/**
 * Redis and workers for tests of runs on workers (issue 16): a `redis-server` of this machine
 * (Debian's, /usr/bin/redis-server; .ci/run installs it) on a free loopback port, started and
 * stopped by pid, and `engine worker` processes of the built CLI. Everything listens on and
 * connects to 127.0.0.1 only. What a test file starts is ended after its tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll } from 'vitest';
import { CLI, type EngineProcess } from './cli.js';
import { isProcessGone, waitFor } from './processes.js';
import { makeTempDir, removeDir } from './temp-dirs.js';

/** A redis-server of a test. */
export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  readonly pid: number;
  /** Stops it (SIGTERM: an AOF is flushed) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory (its AOF, if any, is loaded). */
  start(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True when a Redis answers PING on 127.0.0.1:`port`. */
export function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts, for the calling test file, a redis-server on a free loopback port without RDB
 * snapshots (`--save ''`); with `aof`, with an append-only file (fsync always) so jobs
 * survive a restart. Stopped by pid after the file's tests.
 */
export function redisForThisFile(): (opts?: { aof?: boolean }) => Promise<RedisServer> {
  const started: RedisServer[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const r of started.splice(0)) await r.stop();
    for (const d of dirs.splice(0)) removeDir(d);
  });
  return async (opts = {}) => {
    const port = await freePort();
    const dir = makeTempDir('engine-redis-');
    dirs.push(dir);
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--maxmemory-policy', 'noeviction'];
    if (opts.aof) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    let proc: ChildProcess | null = null;
    const server: RedisServer = {
      port,
      url: `redis://127.0.0.1:${port}`,
      get pid() {
        return proc?.pid ?? 0;
      },
      async start() {
        proc = spawn('/usr/bin/redis-server', args, { stdio: 'ignore' });
        await waitFor(async () => (await pings(port)) || undefined, `redis-server on port ${port}`);
      },
      async stop() {
        const p = proc;
        if (!p?.pid || isProcessGone(p.pid)) return;
        p.kill('SIGTERM');
        await waitFor(() => isProcessGone(p.pid!) || undefined, `redis-server ${p.pid} to stop`);
      },
    };
    await server.start();
    started.push(server);
    return server;
  };
}

/** An `engine worker` of a test. */
export interface WorkerProcess {
  name: string;
  proc: EngineProcess;
  readonly pid: number;
}

export interface WorkerSpec {
  name: string;
  concurrency?: number;
  labels?: string;
  /** Shared by the workers of a test (as the default one is by a host's workers). */
  workDir: string;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/**
 * Starts `engine worker` processes for the calling test file (SIGKILLed after its tests if
 * still running) and waits until each says it serves its queues.
 */
export function workersForThisFile(): (url: string, spec: WorkerSpec) => Promise<WorkerProcess> {
  const started: WorkerProcess[] = [];
  afterAll(async () => {
    for (const w of started.splice(0)) {
      if (!isProcessGone(w.pid)) w.proc.kill('SIGKILL');
      await w.proc;
    }
  });
  return async (url, spec) => {
    mkdirSync(spec.workDir, { recursive: true });
    const args = ['worker', '--redis', url, '--name', spec.name, '--work-dir', spec.workDir];
    args.push('--lock-duration-ms', String(spec.lockDurationMs ?? 1000), '--stalled-interval-ms', String(spec.stalledIntervalMs ?? 250));
    if (spec.concurrency !== undefined) args.push('--concurrency', String(spec.concurrency));
    if (spec.labels !== undefined) args.push('--labels', spec.labels);
    const proc = execa('node', [CLI, ...args], { reject: false, all: true, env: { NO_COLOR: '1' } });
    const w: WorkerProcess = { name: spec.name, proc, pid: proc.pid! };
    started.push(w);
    let said = '';
    proc.all?.on('data', (d: Buffer) => void (said += d.toString()));
    await waitFor(() => said.includes('serving') || undefined, `worker ${spec.name} to start (it said: ${said})`);
    return w;
  };
}

/** `--redis <url>` and fast stalled checks for the engine of a test. */
export function engineRedisArgs(url: string): string[] {
  return ['--redis', url, '--stalled-interval-ms', '250'];
}

/** A work directory for the workers of one test, removed after the file's tests. */
export function workDirForThisFile(): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs.splice(0)) removeDir(d);
  });
  return () => {
    const d = makeTempDir('engine-workers-');
    dirs.push(d);
    return join(d, 'work');
  };
}
