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
 * - CPU per step (Linux: /proc): of the engine (with the processes of its local steps), of the
 *   workers (with their steps' processes) and of redis-server, over a run, less a 1-step run's
 *   (start-up), divided by the other steps. On a machine with few cores it says how much of the
 *   per-step cost is waiting for a core.
 *
 * The four cases take turns, run after run, so that a change in the machine's load (it is
 * shared) falls on all of them alike; each figure is the median of its runs. What follows the
 * line `<!-- analysis -->` in the output file is kept when it is written again.
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

/** Clock ticks per second of /proc/<pid>/stat's times. */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** CPU ms of a process and of its reaped children (/proc/<pid>/stat: utime stime cutime cstime); null without /proc. */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/** The bench's reaped children (the engine runs), the workers, redis-server: CPU ms of each. */
let cpuOf = () => ({ engine: null, workers: null, redis: null });

/** One engine run; returns its events and the CPU used meanwhile. */
function run(plan, extra) {
  const stateDir = join(TMP, `state-${Math.random().toString(36).slice(2)}`);
  const before = cpuOf();
  const r = spawnSync(process.execPath, [CLI, 'run', plan, '--state-dir', stateDir, ...extra], { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
  const after = cpuOf();
  if (r.status !== 0) throw new Error(`engine run ${plan} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  const evs = events(stateDir);
  rmSync(stateDir, { recursive: true, force: true });
  const cpu = Object.fromEntries(Object.keys(before).map((k) => [k, before[k] === null || after[k] === null ? null : after[k] - before[k]]));
  return { evs, cpu };
}

/** Collects one case's runs: duration, latencies, CPU. */
function newCase(plan, extra) {
  return { plan, extra, durations: [], latencies: [], cpu: { engine: [], workers: [], redis: [] }, baseCpu: { engine: [], workers: [], redis: [] } };
}

function runCase(c, onePlan) {
  const { evs, cpu } = run(c.plan, c.extra);
  c.durations.push(evs.find((e) => e.type === 'run_finished').duration_ms);
  const started = new Map(evs.filter((e) => e.type === 'step_started').map((e) => [e.step_id, e]));
  const picked = evs.filter((e) => e.type === 'step_picked_up');
  if (picked.length > 0) for (const p of picked) c.latencies.push(p.started_at_ms - started.get(p.step_id).started_at_ms);
  else for (const s of started.values()) c.latencies.push(s.started_at_ms - s.ready_at_ms);
  for (const k of Object.keys(cpu)) if (cpu[k] !== null) c.cpu[k].push(cpu[k]);
  // The same run with one step: what start-up costs, taken off the CPU per step.
  const base = run(onePlan, c.extra).cpu;
  for (const k of Object.keys(base)) if (base[k] !== null) c.baseCpu[k].push(base[k]);
}

function summary(c) {
  const perStep = (k) => (c.cpu[k].length === 0 ? null : Math.max(0, median(c.cpu[k]) - median(c.baseCpu[k])) / (STEPS - 1));
  return {
    perStepMs: median(c.durations) / STEPS,
    p50: percentile(c.latencies, 50),
    p99: percentile(c.latencies, 99),
    cpu: { engine: perStep('engine'), workers: perStep('workers'), redis: perStep('redis') },
  };
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
  const one = writePlan('one', [{ id: 's0', command: 'true' }], 1);
  const remote = ['--redis', url];
  const workerPids = children.slice(1).map((w) => w.pid);
  const sum = (xs) => (xs.some((x) => x === null) ? null : xs.reduce((a, b) => a + b, 0));
  cpuOf = () => ({ engine: cpuMs('self'), workers: sum(workerPids.map(cpuMs)), redis: cpuMs(redis.pid) });
  log(`${STEPS} steps, ${RUNS} runs of each case, in turns`);
  const cases = { chainLocal: newCase(chain, []), chainRemote: newCase(chain, remote), wideLocal: newCase(wide, []), wideRemote: newCase(wide, remote) };
  for (let i = 0; i < RUNS; i++) for (const c of Object.values(cases)) runCase(c, one);
  const r = Object.fromEntries(Object.entries(cases).map(([k, c]) => [k, summary(c)]));
  const fmt = (x) => x.toFixed(2);
  const ok = (v, limit) => (v <= limit ? 'met' : 'NOT met');
  const chainRatio = r.chainRemote.perStepMs / r.chainLocal.perStepMs;
  const wideRatio = r.wideRemote.perStepMs / r.wideLocal.perStepMs;
  const md = [
    '# Steps on workers: benchmarks',
    '',
    `Generated by \`node bench/workers.mjs\` (also \`npm run bench\`) on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    `One redis-server and 2 \`engine worker\` processes (concurrency 1 each) on this machine, against the same plans run locally; ${STEPS} \`true\` steps; the four cases ran ${RUNS} times each, in turns (medians).`,
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
    ...(r.chainLocal.cpu.engine === null
      ? []
      : [
          'CPU per step (ms; /proc, a 1-step run\'s start-up taken off): on this machine\'s ' + `${os.cpus().length} cores, a case whose CPU per step is near ${os.cpus().length} x its per-step cost waits for a core.`,
          '',
          '| case | engine (+ its local steps) | workers (+ their steps) | redis-server | total |',
          '| --- | --- | --- | --- | --- |',
          ...[
            ['chain, local', r.chainLocal],
            ['chain, on 2 workers', r.chainRemote],
            ['independent steps, local', r.wideLocal],
            ['independent steps, on 2 workers', r.wideRemote],
          ].map(([name, x]) => `| ${name} | ${fmt(x.cpu.engine)} | ${fmt(x.cpu.workers)} | ${fmt(x.cpu.redis)} | ${fmt(x.cpu.engine + x.cpu.workers + x.cpu.redis)} |`),
          '',
        ]),
  ].join('\n');
  mkdirSync(dirname(OUT), { recursive: true });
  // What was written by hand after the marker stays.
  const MARKER = '<!-- analysis -->';
  const old = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  const kept = old.includes(MARKER) ? old.slice(old.indexOf(MARKER)) : '';
  writeFileSync(OUT, kept ? `${md}\n${kept}` : md);
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
