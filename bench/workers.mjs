#!/usr/bin/env node
/**
 * Steps on workers (issue 16) against the same plans run locally, on this machine: a
 * redis-server on a free loopback port and 2 `engine worker` processes (concurrency 1 each).
 * Writes docs/BENCHMARKS-workers.md (or --out).
 *
 *   node bench/workers.mjs [--quick] [--steps N] [--runs N] [--out FILE]
 *
 * - enqueue-to-start latency: a chain of `true` steps (each becomes ready when the one before
 *   ended, so the workers wait idle on BullMQ's blocking fetch): from `step_started` (the job
 *   queued) to `step_picked_up.started_at_ms` (the worker spawned the process); locally, from
 *   `ready_at_ms` to `started_at_ms`. Target: p50 <= 2 ms.
 * - per-step cost: run duration / steps, for the chain (latency-bound) and for independent
 *   steps at max_concurrency 2 (throughput-bound). Target: on workers <= 2x local.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i < 0 ? dflt : args[i + 1];
};
const quick = args.includes('--quick');
const STEPS = Number(flag('--steps', quick ? 20 : 300));
const RUNS = Number(flag('--runs', quick ? 1 : 3));
const OUT = flag('--out', join(ROOT, 'docs/BENCHMARKS-workers.md'));
const log = (m) => process.stderr.write(`[bench workers] ${m}\n`);

const TMP = mkdtempSync(join(os.tmpdir(), 'engine-bench-workers-'));
const children = [];

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(pred, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const median = (xs) => percentile(xs, 50);

function writePlan(name, steps, maxConcurrency) {
  const path = join(TMP, `${name}.json`);
  writeFileSync(path, JSON.stringify({ plan_id: name, version: '1', globals: { max_concurrency: maxConcurrency }, steps }));
  return path;
}

function events(stateDir) {
  const runs = readdirSync(join(stateDir, 'runs')).sort();
  return readFileSync(join(stateDir, 'runs', runs.at(-1), 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** One engine run; returns its events. */
function run(plan, extra) {
  const stateDir = join(TMP, `state-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(process.execPath, [CLI, 'run', plan, '--state-dir', stateDir, ...extra], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`engine run ${plan} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  const evs = events(stateDir);
  rmSync(stateDir, { recursive: true, force: true });
  return evs;
}

function measure(plan, extra) {
  const durations = [];
  const latencies = [];
  for (let i = 0; i < RUNS; i++) {
    const evs = run(plan, extra);
    durations.push(evs.find((e) => e.type === 'run_finished').duration_ms);
    const started = new Map(evs.filter((e) => e.type === 'step_started').map((e) => [e.step_id, e]));
    const picked = evs.filter((e) => e.type === 'step_picked_up');
    if (picked.length > 0) for (const p of picked) latencies.push(p.started_at_ms - started.get(p.step_id).started_at_ms);
    else for (const s of started.values()) latencies.push(s.started_at_ms - s.ready_at_ms);
  }
  return { perStepMs: median(durations) / STEPS, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main() {
  if (!existsSync('/usr/bin/redis-server')) {
    log('no /usr/bin/redis-server: skipped (apt-get install redis-server)');
    return;
  }
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const redis = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', TMP], { stdio: 'ignore' });
  children.push(redis);
  await until(async () => spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG', 'redis-server');
  for (const name of ['w1', 'w2']) {
    // The worker's log (two lines per step) goes to a file: read through a pipe, it woke this
    // process twice per step, on the same 2 cores as what is measured.
    const logPath = join(TMP, `${name}.log`);
    const logFd = openSync(logPath, 'w');
    const w = spawn(process.execPath, [CLI, 'worker', '--redis', url, '--name', name, '--work-dir', join(TMP, 'work')], { stdio: ['ignore', 'ignore', logFd] });
    closeSync(logFd);
    children.push(w);
    await until(() => readFileSync(logPath, 'utf8').includes('serving'), `worker ${name}`);
  }
  const chain = writePlan(
    'chain',
    Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, command: 'true', ...(i > 0 ? { depends_on: [`s${i - 1}`] } : {}) })),
    1,
  );
  const wide = writePlan('wide', Array.from({ length: STEPS }, (_, i) => ({ id: `s${i}`, command: 'true' })), 2);
  const remote = ['--redis', url];
  log(`${STEPS} steps, ${RUNS} runs each`);
  const r = {
    chainLocal: measure(chain, []),
    chainRemote: measure(chain, remote),
    wideLocal: measure(wide, []),
    wideRemote: measure(wide, remote),
  };
  const fmt = (x) => x.toFixed(2);
  const ok = (v, limit) => (v <= limit ? 'met' : 'NOT met');
  const chainRatio = r.chainRemote.perStepMs / r.chainLocal.perStepMs;
  const wideRatio = r.wideRemote.perStepMs / r.wideLocal.perStepMs;
  const md = [
    '# Steps on workers: benchmarks',
    '',
    `Generated by \`node bench/workers.mjs\` (also \`npm run bench\`) on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    `One redis-server and 2 \`engine worker\` processes (concurrency 1 each) on this machine, against the same plans run locally; ${STEPS} \`true\` steps, median of ${RUNS} runs.`,
    '',
    '| case | local | on 2 workers | target | verdict |',
    '| --- | --- | --- | --- | --- |',
    `| enqueue-to-start latency p50, chain (ms) | ${fmt(r.chainLocal.p50)} (ready to spawn) | ${fmt(r.chainRemote.p50)} | <= 2 ms | ${ok(r.chainRemote.p50, 2)} |`,
    `| enqueue-to-start latency p99, chain (ms) | ${fmt(r.chainLocal.p99)} | ${fmt(r.chainRemote.p99)} | | |`,
    `| per-step cost, chain (ms/step) | ${fmt(r.chainLocal.perStepMs)} | ${fmt(r.chainRemote.perStepMs)} (${fmt(chainRatio)}x) | <= 2x local | ${ok(chainRatio, 2)} |`,
    `| per-step cost, independent steps at max_concurrency 2 (ms/step) | ${fmt(r.wideLocal.perStepMs)} | ${fmt(r.wideRemote.perStepMs)} (${fmt(wideRatio)}x) | <= 2x local | ${ok(wideRatio, 2)} |`,
    '',
    'Latency on workers is from `step_started` (the job is queued) to `step_picked_up.started_at_ms`',
    "(the worker spawned the step's process; same clock here); locally, from `ready_at_ms` to",
    '`started_at_ms`. Per-step cost is the run\'s duration divided by its steps; on workers it',
    'includes the job round trip through Redis, the streamed log and the result on the run\'s stream.',
    '',
  ].join('\n');
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, md);
  process.stdout.write(md);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench workers: ${err.stack}\n`);
  process.exitCode = 1;
} finally {
  for (const c of children.reverse()) c.kill('SIGTERM');
  await sleep(500);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(TMP, { recursive: true, force: true });
}
