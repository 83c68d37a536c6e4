/**
 * Steps carried out by `engine worker` processes through BullMQ on a real redis-server
 * (issue 16), through the built CLI: spreading over workers, streamed logs and results,
 * workers killed with -9 (lost, retried, no orphan), a late result, Redis restarted with AOF,
 * runs_on labels, cancel, crash recovery, and that without --redis nothing of it is loaded.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { engineResult, plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { isProcessGone, processesIn, readPidFile, waitFor } from '../helpers/processes.js';
import { eventsOf, lastRunId, readEvents, readLog, runIds, runRow, type EngineEvent } from '../helpers/record.js';
import { engineRedisArgs, redisForThisFile, workDirForThisFile, workersForThisFile } from '../helpers/redis.js';

const ws = workspacesForThisFile('engine-workers-');
const redis = redisForThisFile();
const worker = workersForThisFile();
const workDir = workDirForThisFile();

/** Events of the newest run of `w` (waits for its events file). */
function events(w: Workspace): EngineEvent[] {
  return existsSync(join(w.stateDir, 'runs')) && readdirSync(join(w.stateDir, 'runs')).length > 0 ? readEvents(w.stateDir) : [];
}

async function waitForEvent<T extends EngineEvent['type']>(w: Workspace, type: T, pred: (e: Extract<EngineEvent, { type: T }>) => boolean = () => true, timeoutMs = 15_000) {
  return waitFor(() => eventsOf(events(w), type).find(pred), `a ${type} event`, { timeoutMs });
}

/** Which worker picked up an attempt. */
function workerOf(evs: readonly EngineEvent[], step: string, attempt: number): string | undefined {
  return eventsOf(evs, 'step_picked_up', step).find((e) => e.attempt === attempt)?.worker;
}

describe('a plan on two workers', () => {
  it('runs each step once on the workers, in dependency order, within max_concurrency, with logs and results back', async () => {
    const r = await redis();
    const dir = workDir();
    await worker(r.url, { name: 'w1', concurrency: 2, workDir: dir });
    await worker(r.url, { name: 'w2', concurrency: 2, workDir: dir });
    const w = ws();
    const shard = (i: number) => ({ id: `shard${i}`, command: 'sh', args: ['-c', `echo shard ${i} on $ENGINE_STEP_ID attempt $ENGINE_ATTEMPT; sleep 0.2`], depends_on: ['first'] });
    const p = w.writePlan(
      plan(
        [
          { id: 'first', command: 'sh', args: ['-c', 'seq 1 20000'] },
          ...[1, 2, 3, 4, 5].map(shard),
          { id: 'fails', command: 'sh', args: ['-c', 'echo to stderr >&2; exit 3'], depends_on: ['first'], critical: false, on_failure: 'continue' },
          { id: 'secret', command: 'sh', args: ['-c', 'echo "token=$TOKEN"'], env: { TOKEN: '${TOKEN}' }, depends_on: ['first'] },
          { id: 'last', command: 'true', depends_on: ['shard1', 'shard2', 'shard3', 'shard4', 'shard5', 'secret'] },
        ],
        { globals: { max_concurrency: 3 }, vars: { TOKEN: { secret: true, default: 'hunter2-value' } } },
      ),
    );
    const res = await engineResult(w.engine(['run', p, ...engineRedisArgs(r.url)]));
    expect(res.exitCode, res.all).toBe(0);
    const evs = readEvents(w.stateDir);
    const remote = ['first', 'shard1', 'shard2', 'shard3', 'shard4', 'shard5', 'fails', 'secret', 'last'];
    for (const id of remote) {
      expect(eventsOf(evs, 'step_picked_up', id), id).toHaveLength(1);
      expect(eventsOf(evs, 'step_started', id)[0]!.pid, id).toBeNull();
    }
    expect(new Set(eventsOf(evs, 'step_picked_up').map((e) => e.worker))).toEqual(new Set(['w1', 'w2']));
    // Order: `last` was taken only after every dependency succeeded.
    const lastPicked = evs.find((e) => e.type === 'step_picked_up' && e.step_id === 'last')!.seq;
    for (const s of eventsOf(evs, 'step_succeeded').filter((e) => e.step_id !== 'last')) expect(s.seq).toBeLessThan(lastPicked);
    // max_concurrency 3 across both workers: at most 3 attempts were between pick-up and end at once.
    const spans = remote.map((id) => ({ from: eventsOf(evs, 'step_picked_up', id)[0]!.started_at_ms, to: ended(evs, id) }));
    const overlap = Math.max(...spans.map((s) => spans.filter((o) => o.from <= s.from && o.to > s.from).length));
    expect(overlap).toBeLessThanOrEqual(3);
    // Results: exit codes, reasons and durations came back; logs are complete.
    expect(eventsOf(evs, 'step_failed', 'fails')[0]).toMatchObject({ exit_code: 3, reason: 'exit_code', will_retry: false });
    expect(readLog(w.stateDir, 'first')).toBe(Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join(''));
    expect(readLog(w.stateDir, 'shard3')).toBe('shard 3 on shard3 attempt 1\n');
    expect(readLog(w.stateDir, 'fails')).toBe('to stderr\n');
    expect(readLog(w.stateDir, 'secret')).toBe('token=***\n');
    const started = eventsOf(evs, 'run_started')[0]!;
    expect(started.executor).toEqual({ type: 'bullmq', redis: r.url, queue: 'engine', queues: ['engine'] });
    // Nothing of the run is left in Redis: no job (they hold the steps' environment), no stream.
    const client = new Redis(r.url);
    try {
      expect((await client.keys('*')).filter((k) => k.startsWith('engine:') || k.includes(started.run_id))).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it("streams a running step's log to the engine's state directory while the step runs", async () => {
    const r = await redis();
    await worker(r.url, { name: 'w1', workDir: workDir() });
    const w = ws();
    const p = w.writePlan(plan([{ id: 'talk', shell: true, command: 'echo first; while [ ! -f go ]; do sleep 0.02; done; echo second' }]));
    const run = w.engine(['run', p, ...engineRedisArgs(r.url)]);
    await waitFor(() => existsSync(join(w.stateDir, 'runs')) && readLogSafe(w, 'talk') === 'first\n', 'the first line in the engine log');
    writeFileSync(join(w.dir, 'go'), '');
    expect((await engineResult(run)).exitCode).toBe(0);
    expect(readLog(w.stateDir, 'talk')).toBe('first\nsecond\n');
  });
});

describe('a sub-plan in a run on workers', () => {
  it("sends the child run's steps to the workers too, its runs_on: local steps staying in the engine", async () => {
    const r = await redis();
    await worker(r.url, { name: 'wc', workDir: workDir() });
    const w = ws();
    w.writePlan(
      {
        plan_id: 'child',
        version: '1',
        vars: { WHAT: {} },
        steps: [
          { id: 'remote_step', command: 'sh', args: ['-c', 'echo "remote ${WHAT}"'] },
          { id: 'local_step', command: 'sh', args: ['-c', 'echo local'], runs_on: 'local', depends_on: ['remote_step'] },
        ],
      },
      'child.json',
    );
    const p = w.writePlan(plan([{ id: 'sub', plan: 'child.json', vars: { WHAT: 'thing' } }]));
    const res = await engineResult(w.engine(['run', p, ...engineRedisArgs(r.url)]));
    expect(res.exitCode, res.all).toBe(0);
    const parentId = runIds(w.stateDir).find((id) => !eventsOf(readEvents(w.stateDir, id), 'run_started')[0]!.parent_run_id)!;
    const parent = readEvents(w.stateDir, parentId);
    const childRunId = eventsOf(parent, 'step_started', 'sub')[0]!.child_run_id!;
    expect(childRunId).toBeTruthy();
    const child = readEvents(w.stateDir, childRunId);
    expect(eventsOf(child, 'run_started')[0]!.executor).toMatchObject({ type: 'bullmq', queue: 'engine' });
    expect(eventsOf(child, 'step_picked_up', 'remote_step').map((e) => e.worker)).toEqual(['wc']);
    expect(eventsOf(child, 'step_picked_up', 'local_step')).toEqual([]);
    expect(readLog(w.stateDir, 'remote_step', 1, childRunId)).toBe('remote thing\n');
    expect(eventsOf(child, 'run_finished')[0]!.status).toBe('succeeded');
  });
});

describe('a worker that dies', () => {
  it('is recorded lost (naming it), the step is retried on another worker, the run succeeds, and no process of it is left', async () => {
    const r = await redis();
    const dir = workDir();
    const workers = [await worker(r.url, { name: 'wa', workDir: dir }), await worker(r.url, { name: 'wb', workDir: dir })];
    const w = ws();
    const p = w.writePlan(
      plan([{ id: 'job', shell: true, command: 'test "$ENGINE_ATTEMPT" = 2 && { echo second try; exit 0; }; echo $$ > job.pid; echo started; sleep 30', retries: 1, retry_on: ['lost'] }]),
    );
    const run = w.engine(['run', p, ...engineRedisArgs(r.url)]);
    const stepPid = await waitFor(() => readPidFile(join(w.dir, 'job.pid')), 'the step to start');
    const holder = await waitFor(() => workerOf(events(w), 'job', 1), 'the pick-up');
    workers.find((x) => x.name === holder)!.proc.kill('SIGKILL');
    const res = await engineResult(run);
    expect(res.exitCode, res.all).toBe(0);
    const evs = readEvents(w.stateDir);
    const lost = eventsOf(evs, 'step_failed', 'job')[0]!;
    expect(lost).toMatchObject({ attempt: 1, reason: 'lost', will_retry: true });
    expect(lost.error).toContain(`worker ${holder}`);
    expect(workerOf(evs, 'job', 2)).not.toBe(holder);
    expect(eventsOf(evs, 'step_succeeded', 'job')).toMatchObject([{ attempt: 2 }]);
    expect(readLog(w.stateDir, 'job', 1)).toMatch(/^started\nengine: lost: /);
    // The surviving worker killed what the dead one left.
    await waitFor(() => isProcessGone(stepPid), 'the lost attempt to be killed');
    expect(processesIn(w.dir)).toEqual([]);
  });

  it('twice, with no retry left: the step fails as lost, noticed by the engine alone; a restarted worker kills the leftovers', async () => {
    const r = await redis();
    const dir = workDir();
    const first = await worker(r.url, { name: 'wa', workDir: dir });
    const w = ws();
    const p = w.writePlan(plan([{ id: 'job', shell: true, command: 'echo $$ >> job.pids; sleep 30', retries: 1, retry_on: ['lost'], retry_delay_sec: 0.1 }]));
    const run = w.engine(['run', p, ...engineRedisArgs(r.url)]);
    await waitForEvent(w, 'step_picked_up', (e) => e.attempt === 1);
    first.proc.kill('SIGKILL');
    const second = await worker(r.url, { name: 'wb', workDir: join(dir, 'other') });
    await waitForEvent(w, 'step_picked_up', (e) => e.attempt === 2);
    second.proc.kill('SIGKILL');
    const res = await engineResult(run);
    expect(res.exitCode, res.all).toBe(1);
    const failed = eventsOf(readEvents(w.stateDir), 'step_failed', 'job');
    expect(failed.map((f) => [f.attempt, f.reason, f.will_retry])).toEqual([
      [1, 'lost', true],
      [2, 'lost', false],
    ]);
    expect(failed[1]!.error).toContain('worker wb');
    const pids = readFileSync(join(w.dir, 'job.pids'), 'utf8').trim().split('\n').map(Number);
    await worker(r.url, { name: 'wa-again', workDir: dir });
    await worker(r.url, { name: 'wb-again', workDir: join(dir, 'other') });
    await waitFor(() => pids.every(isProcessGone) || undefined, 'the restarted workers to kill the leftovers');
  });

  it("whose lock expired while it was frozen: its late result is ignored and recorded (step_result_discarded)", async () => {
    const r = await redis();
    const dir = workDir();
    const workers = [await worker(r.url, { name: 'wa', workDir: dir }), await worker(r.url, { name: 'wb', workDir: dir })];
    const w = ws();
    const p = w.writePlan(
      plan([
        { id: 'job', shell: true, command: 'sleep 0.5; echo done $ENGINE_ATTEMPT', retries: 1, retry_on: ['lost'] },
        { id: 'gate', shell: true, command: 'while [ ! -f release ]; do sleep 0.02; done', runs_on: 'local' },
      ]),
    );
    const run = w.engine(['run', p, ...engineRedisArgs(r.url)]);
    const holderName = await waitFor(() => workerOf(events(w), 'job', 1), 'the pick-up');
    const frozen = workers.find((x) => x.name === holderName)!;
    process.kill(frozen.pid, 'SIGSTOP');
    try {
      await waitForEvent(w, 'step_succeeded', (e) => e.step_id === 'job');
    } finally {
      process.kill(frozen.pid, 'SIGCONT');
    }
    const discarded = await waitForEvent(w, 'step_result_discarded');
    writeFileSync(join(w.dir, 'release'), '');
    expect((await engineResult(run)).exitCode).toBe(0);
    expect(discarded).toMatchObject({ step_id: 'job', attempt: 1, worker: holderName });
    const evs = readEvents(w.stateDir);
    expect(eventsOf(evs, 'step_failed', 'job')).toMatchObject([{ attempt: 1, reason: 'lost' }]);
    expect(eventsOf(evs, 'step_succeeded', 'job')).toMatchObject([{ attempt: 2 }]);
    expect(readLog(w.stateDir, 'job', 2)).toBe('done 2\n');
  });
});

describe('Redis restarted mid-run, with an append-only file', () => {
  it('loses nothing: every step runs once, the run waits visibly and succeeds', async () => {
    const r = await redis({ aof: true });
    const dir = workDir();
    await worker(r.url, { name: 'wa', workDir: dir, lockDurationMs: 8000 });
    await worker(r.url, { name: 'wb', workDir: dir, lockDurationMs: 8000 });
    const w = ws();
    const steps = [1, 2, 3, 4].map((i) => ({ id: `s${i}`, shell: true, command: `echo s${i}; sleep 0.4`, ...(i > 1 ? { depends_on: [`s${i - 1}`] } : {}) }));
    const p = w.writePlan(plan(steps));
    const run = w.engine(['run', p, ...engineRedisArgs(r.url)]);
    await waitForEvent(w, 'step_picked_up', (e) => e.step_id === 's2');
    await r.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await r.start();
    const res = await engineResult(run);
    expect(res.exitCode, res.all).toBe(0);
    const evs = readEvents(w.stateDir);
    for (const s of steps) {
      expect(eventsOf(evs, 'step_started', s.id), s.id).toHaveLength(1);
      expect(readLog(w.stateDir, s.id)).toBe(`${s.id}\n`);
    }
    expect(eventsOf(evs, 'step_failed')).toEqual([]);
    expect(eventsOf(evs, 'executor_unreachable')).toHaveLength(1);
    expect(eventsOf(evs, 'executor_reconnected')).toHaveLength(1);
  });
});

describe('runs_on', () => {
  it('sends a labelled step only to a worker with the labels, any step to any worker, a local step to the engine', async () => {
    const r = await redis();
    const dir = workDir();
    await worker(r.url, { name: 'plain', concurrency: 4, workDir: dir });
    await worker(r.url, { name: 'arm', labels: 'arch=arm64,os=linux', workDir: dir });
    const w = ws();
    const p = w.writePlan(
      plan(
        [
          ...[1, 2, 3].map((i) => ({ id: `arm${i}`, command: 'true', runs_on: { arch: 'arm64' } })),
          { id: 'both', command: 'true', runs_on: { arch: 'arm64', os: 'linux' } },
          { id: 'here', shell: true, command: 'echo $$', runs_on: 'local' },
        ],
        { globals: { max_concurrency: 5 } },
      ),
    );
    const res = await engineResult(w.engine(['run', p, ...engineRedisArgs(r.url)]));
    expect(res.exitCode, res.all).toBe(0);
    const evs = readEvents(w.stateDir);
    for (const id of ['arm1', 'arm2', 'arm3', 'both']) expect(workerOf(evs, id, 1), id).toBe('arm');
    expect(eventsOf(evs, 'step_picked_up', 'here')).toEqual([]);
    expect(eventsOf(evs, 'step_started', 'here')[0]!.pid).toEqual(Number(readLog(w.stateDir, 'here').trim()));
    expect(eventsOf(evs, 'run_started')[0]!.executor!.queues.sort()).toEqual(['engine', 'engine@arch=arm64', 'engine@arch=arm64,os=linux']);
  });

  it('with labels and no executor: refused before anything runs (exit 2)', async () => {
    const w = ws();
    const p = w.writePlan(plan([{ id: 'arm', command: 'true', runs_on: { arch: 'arm64' } }]));
    const res = await w.engine(['run', p], { env: { ENGINE_REDIS_URL: '' } });
    expect(res.exitCode).toBe(2);
    expect(res.all).toContain('step "arm" has runs_on {"arch":"arm64"}: it needs workers');
  });
});

describe('cancel', () => {
  it('takes queued jobs off the queue, stops a running step on its worker (SIGTERM), and still runs cleanup steps', async () => {
    const r = await redis();
    await worker(r.url, { name: 'w1', concurrency: 2, workDir: workDir() });
    const w = ws();
    const p = w.writePlan(
      plan(
        [
          { id: 'long', shell: true, command: "trap 'echo got TERM; exit 143' TERM; echo $$ > long.pid; while :; do sleep 0.05; done" },
          { id: 'nowhere', command: 'true', runs_on: { pool: 'none' } },
          { id: 'clean', shell: true, command: 'echo cleaning', depends_on: ['long', 'nowhere'], trigger_rule: 'all_done' },
        ],
        { globals: { kill_grace_sec: 5 } },
      ),
    );
    const run = w.engine(['run', p, ...engineRedisArgs(r.url)]);
    const pid = await waitFor(() => readPidFile(join(w.dir, 'long.pid')), 'the long step to start');
    const cancel = await w.engine(['cancel', lastRunId(w.stateDir), '--state-dir', w.stateDir]);
    expect(cancel.exitCode, cancel.all).toBe(0);
    const res = await engineResult(run);
    expect(res.exitCode, res.all).toBe(130);
    const evs = readEvents(w.stateDir);
    expect(eventsOf(evs, 'step_cancelled', 'long')).toMatchObject([{ attempt: 1, reason: 'run_cancelled', exit_code: 143 }]);
    expect(eventsOf(evs, 'step_cancelled', 'nowhere')).toMatchObject([{ attempt: 1, reason: 'run_cancelled' }]);
    expect(eventsOf(evs, 'step_succeeded', 'clean')).toHaveLength(1);
    expect(readLog(w.stateDir, 'long')).toContain('got TERM');
    expect(isProcessGone(pid)).toBe(true);
    const client = new Redis(r.url);
    try {
      expect(await client.exists('bull:engine@pool=none:' + eventsOf(evs, 'run_started')[0]!.run_id + '.1.nowhere')).toBe(0);
    } finally {
      client.disconnect();
    }
  });
});

describe('the engine killed with -9', () => {
  it('recovery marks the run interrupted and has the worker kill its step; engine resume finishes it on the workers', async () => {
    const r = await redis();
    await worker(r.url, { name: 'w1', workDir: workDir() });
    const w = ws();
    const p = w.writePlan(plan([{ id: 'slow', shell: true, command: 'test -f go && exit 0; echo $$ > slow.pid; sleep 30' }]));
    const run = w.engine(['run', p, ...engineRedisArgs(r.url)]);
    const pid = await waitFor(() => readPidFile(join(w.dir, 'slow.pid')), 'the step to start');
    run.kill('SIGKILL');
    await run;
    expect((await w.engine(['runs', '--state-dir', w.stateDir])).exitCode).toBe(0);
    expect(runRow(w.stateDir).status).toBe('interrupted');
    await waitFor(() => isProcessGone(pid) || undefined, 'the worker to kill the step');
    writeFileSync(join(w.dir, 'go'), '');
    const resumed = await engineResult(w.engine(['resume', lastRunId(w.stateDir), '--state-dir', w.stateDir, '--stalled-interval-ms', '250']));
    expect(resumed.exitCode, resumed.all).toBe(0);
    const evs = readEvents(w.stateDir);
    expect(eventsOf(evs, 'run_resumed')[0]!.executor).toMatchObject({ type: 'bullmq', redis: r.url });
    expect(workerOf(evs, 'slow', 2)).toBe('w1');
  });
});

describe('without --redis', () => {
  it('reaches BullMQ and ioredis only through a dynamic import in the built CLI', () => {
    const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
    const chunks = readdirSync(join(dist, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => `chunks/${f}`);
    const staticImport = /^\s*(?:import|export)\s[^;]*from\s*['"]([^'"]+)['"]/gm;
    const importers = new Map<string, string[]>();
    for (const file of ['cli.js', ...chunks]) {
      const text = readFileSync(join(dist, file), 'utf8');
      importers.set(file, [...text.matchAll(staticImport)].map((m) => m[1]!));
    }
    // Every file that statically imports bullmq or ioredis, and everything that statically imports those.
    const tainted = new Set([...importers].filter(([, s]) => s.some((m) => m === 'bullmq' || m === 'ioredis')).map(([f]) => f));
    for (let grew = true; grew; ) {
      grew = false;
      for (const [file, s] of importers) {
        if (!tainted.has(file) && s.some((m) => tainted.has(`chunks/${m.replace(/^\.\//, '')}`) || tainted.has(m.replace(/^\.\//, '')))) {
          tainted.add(file);
          grew = true;
        }
      }
    }
    expect(tainted.size).toBeGreaterThan(0);
    expect(tainted.has('cli.js')).toBe(false);
    const run = chunks.find((f) => f.startsWith('chunks/run-'))!;
    expect(tainted.has(run)).toBe(false);
    expect([...tainted].every((f) => /chunks\/(remote-attempts|worker|cancel-jobs|chunk)-/.test(f)), [...tainted].join(', ')).toBe(true);
  });
});

function ended(evs: readonly EngineEvent[], step: string): number {
  const e = evs.find((x) => (x.type === 'step_succeeded' || x.type === 'step_failed') && x.step_id === step) as { ended_at_ms: number };
  return e.ended_at_ms;
}

function readLogSafe(w: Workspace, step: string): string | undefined {
  try {
    return readLog(w.stateDir, step);
  } catch {
    return undefined;
  }
}
