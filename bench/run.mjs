#!/usr/bin/env node
/**
 * The engine's benchmark suite. `npm run bench` builds dist/ and runs this file, which writes
 * docs/BENCHMARKS.md (tables of results next to their targets).
 *
 *   node bench/run.mjs [--quick] [--jobs N] [--only SUBSTR[,SUBSTR…]] [--out FILE]
 *                      [--runs N] [--true-steps N] [--sleep-steps N] [--engine PATH/TO/cli.js]
 *                      [--keep]
 *
 *   --quick    tiny sizes, 1 run each (the smoke test); numbers are not meaningful
 *   --jobs N   concurrency of the engine (--max-concurrency), make -j and ninja -j (default 2)
 *   --only     run only the cases whose id contains one of the substrings (ids are the first
 *              column of every table, e.g. `chain-true`, `launcher-true`, `startup`,
 *              `scale-chain`)
 *   --out      Markdown file to write (default docs/BENCHMARKS.md)
 *   --runs N   measured runs per comparison case (default 5; 1 with --quick)
 *   --true-steps N, --sleep-steps N
 *              steps of the `true` and `sleep 0.02` comparison cases (default 1,000 and 200;
 *              the issue's reference point for `sleep 0.02` is a 1,000-step layered plan:
 *              `--only layered-sleep --sleep-steps 1000`)
 *   --engine   the cli.js to measure (default dist/cli.js of this repository)
 *   --keep     keep the temporary directory with the generated plans/Makefiles/ninja files
 *
 * The `dashboard` case runs bench/ui.mjs, which writes BENCHMARKS-dashboard.md next to --out;
 * the `workers` case runs bench/workers.mjs (steps on 2 workers through BullMQ against the same
 * plans run locally), which writes BENCHMARKS-workers.md next to --out.
 *
 * Exit code 0 when every case ran (whether or not targets are met), 1 when something broke
 * (a generator check failed, a tool exited non-zero, …).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { edgeCount, generate, SHAPES, writeCase, writePlan } from './gen.mjs';
import {
  fmtInt,
  fmtMB,
  fmtMs,
  fmtRange,
  fmtRatio,
  max,
  measure,
  median,
  percentile,
  rssMethod,
  rssMethodDescription,
  summary,
} from './measure.mjs';
import { compare as spawnCostCompare } from './spawn-cost.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const SLEEP_S = 0.02;

// ---- options -------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { quick: false, jobs: 2, only: [], out: join(ROOT, 'docs/BENCHMARKS.md'), runs: null, trueSteps: null, sleepSteps: null, engine: join(ROOT, 'dist/cli.js'), keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const int = (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) usage(`${a} needs an integer >= 1, got ${v}`);
      return n;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--jobs') o.jobs = int(value());
    else if (a === '--only') o.only.push(...value().split(',').filter(Boolean));
    else if (a === '--out') o.out = resolve(value());
    else if (a === '--runs') o.runs = int(value());
    else if (a === '--true-steps') o.trueSteps = int(value());
    else if (a === '--sleep-steps') o.sleepSteps = int(value());
    else if (a === '--engine') o.engine = resolve(value());
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      // The usage text is this file's header comment.
      const header = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0];
      process.stdout.write(`${header.split('\n').slice(2).map((l) => l.replace(/^ \*\s?/, '')).join('\n').trim()}\n`);
      process.exit(0);
    } else usage(`unknown option ${a}`);
  }
  return o;
}

function usage(message) {
  process.stderr.write(`bench: ${message}\n(run node bench/run.mjs --help for usage)\n`);
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const JOBS = opts.jobs;

/** Sizes and repetitions; --quick shrinks everything so the smoke test takes seconds. */
const C = opts.quick
  ? {
      runs: opts.runs ?? 1,
      warmup: 0,
      trueN: opts.trueSteps ?? 20,
      sleepN: opts.sleepSteps ?? 10,
      checkN: 12,
      startupRuns: opts.runs ?? 1,
      startupWarmup: false,
      scaleSizes: [500, 2_000],
      scaleRuns: 1,
      perStepSizes: [20, 100],
      perStepPairs: 1,
      outputBytes: 2_000_000,
      outputRuns: 1,
      spawnCount: 20,
      spawnRounds: 1,
      spawnBallastMB: 20,
      profileN: 0,
    }
  : {
      runs: opts.runs ?? 5,
      warmup: 1,
      trueN: opts.trueSteps ?? 1_000,
      sleepN: opts.sleepSteps ?? 200,
      checkN: 40,
      startupRuns: Math.max(opts.runs ?? 11, 10),
      startupWarmup: true,
      scaleSizes: [10_000, 100_000],
      scaleRuns: 3,
      perStepSizes: [1_000, 10_000],
      perStepPairs: 1,
      outputBytes: 200_000_000,
      outputRuns: 3,
      spawnCount: 500,
      spawnRounds: 3,
      spawnBallastMB: 100,
      profileN: 1_000,
    };

const selected = (id) => opts.only.length === 0 || opts.only.some((s) => id.includes(s));

// ---- environment ---------------------------------------------------------------------------

const t0Suite = performance.now();
const elapsed = () => `${((performance.now() - t0Suite) / 1000).toFixed(0).padStart(4)}s`;
const log = (msg) => process.stderr.write(`[bench ${elapsed()}] ${msg}\n`);

const TMP = mkdtempSync(join(os.tmpdir(), 'engine-bench-'));
const childEnv = { ...process.env, NO_COLOR: '1' };
for (const k of Object.keys(childEnv)) {
  if (['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEFILES', 'ENGINE_STATE_DIR'].includes(k) || k.startsWith('OTEL_')) delete childEnv[k];
}

function toolVersion(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

const MAKE = toolVersion('make', ['--version']);
const NINJA = toolVersion('ninja', ['--version']);
const RSS_METHOD = rssMethod(TMP);

if (!existsSync(opts.engine)) {
  process.stderr.write(`bench: ${opts.engine} does not exist; build first (npm run build), or use npm run bench\n`);
  process.exit(1);
}

/**
 * The launcher the engine under test picks with `childEnv` plus `env` (src/engine/process/launch.ts):
 * `{ name }`, or `{ error }` when dist/engine/process/launch.js cannot be imported or refuses
 * (e.g. `ENGINE_SPAWN=posix_spawn` where the native addon is not built).
 */
function probeLauncher(env = {}) {
  const url = pathToFileURL(join(dirname(opts.engine), 'engine', 'process', 'launch.js')).href;
  const script =
    `import(${JSON.stringify(url)}).then((m) => process.stdout.write(m.launcher().name))` +
    '.catch((e) => { process.stderr.write(String(e?.message ?? e)); process.exit(1); });';
  const r = spawnSync(NODE, ['--input-type=module', '-e', script], { cwd: TMP, env: { ...childEnv, ...env }, encoding: 'utf8' });
  const name = r.stdout?.trim();
  if (r.status === 0 && name) return { name };
  return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n')[0] };
}

function machine() {
  const cpus = os.cpus();
  const probe = probeLauncher();
  if (probe.error) log(`launcher: unknown (${probe.error})`);
  const spawnVar = childEnv.ENGINE_SPAWN ? `\`ENGINE_SPAWN=${childEnv.ENGINE_SPAWN}\`` : '`ENGINE_SPAWN` unset: auto';
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    make: MAKE ?? 'not installed',
    ninja: NINJA ? `ninja ${NINJA}` : 'not installed (ninja columns skipped)',
    launcher: probe.name ? `${probe.name} (${spawnVar})` : 'unknown',
    launcherName: probe.name ?? null,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

// ---- running the tools ---------------------------------------------------------------------

class BenchError extends Error {}

function checkExit(what, r) {
  if (r.code !== 0) {
    throw new BenchError(`${what} exited with ${r.code ?? r.signal}${r.stderr ? `:\n${r.stderr.slice(0, 2000)}` : ''}`);
  }
}

/** All events of the (single) run in a state directory. */
function readEvents(stateDir) {
  const runs = join(stateDir, 'runs');
  const ids = readdirSync(runs);
  if (ids.length !== 1) throw new BenchError(`expected one run in ${runs}, found ${ids.length}`);
  return readFileSync(join(runs, ids[0], 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/**
 * `engine run PLAN` with full recording into a fresh state directory, console output to
 * /dev/null. `inspect(stateDir)` may look at the state before it is deleted; `env` is merged
 * over childEnv.
 */
async function engineRun(plan, { rss = true, inspect, extraArgs = [], env } = {}) {
  const stateDir = mkdtempSync(join(TMP, 'state-'));
  try {
    const r = await measure(NODE, [opts.engine, 'run', plan, '--state-dir', stateDir, '--max-concurrency', String(JOBS), ...extraArgs], {
      cwd: TMP,
      env: env ? { ...childEnv, ...env } : childEnv,
      tmpDir: TMP,
      rss,
    });
    checkExit(`engine run ${basename(dirname(plan))}/${basename(plan)}`, r);
    const extra = inspect ? inspect(stateDir) : undefined;
    return { ...r, extra };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function makeRun(dir, { rss = true } = {}) {
  const r = await measure('make', ['-s', '-j', String(JOBS), '-f', 'Makefile'], { cwd: dir, env: childEnv, tmpDir: TMP, rss });
  checkExit(`make in ${dir}`, r);
  return r;
}

async function ninjaRun(dir, { rss = true } = {}) {
  rmSync(join(dir, '.ninja_log'), { force: true });
  const r = await measure('ninja', ['-j', String(JOBS), '-f', 'build.ninja'], { cwd: dir, env: childEnv, tmpDir: TMP, rss });
  checkExit(`ninja in ${dir}`, r);
  return r;
}

const TOOLS = [
  { key: 'engine', run: (c) => engineRun(c.plan, { inspect: (s) => readEvents(s) }), available: true },
  { key: 'make', run: (c) => makeRun(c.dir), available: MAKE !== null },
  { key: 'ninja', run: (c) => ninjaRun(c.dir), available: NINJA !== null },
];

// ---- results -------------------------------------------------------------------------------

const R = {
  machine: machine(),
  checks: [],
  compare: [],
  latency: [],
  startup: [],
  dryRunSupported: null,
  dryRunNote: '',
  scale: [],
  perStep: [],
  output: null,
  policyCost: null,
  matrixCost: null,
  launcher: null,
  spawnCost: null,
  profile: null,
  failures: [],
};

// ---- 1. generator check --------------------------------------------------------------------

async function checkGenerators() {
  for (const shape of SHAPES) {
    const id = `check-${shape}`;
    if (!selected(id)) continue;
    log(`${id}: ${C.checkN} steps, each appends its id to a file`);
    const dir = join(TMP, id);
    mkdirSync(dir, { recursive: true });
    const orderFile = join(dir, 'order.txt');
    const graph = generate(shape, C.checkN);
    const cmd = {
      perStep: (sid) => {
        const line = `echo ${sid} >> '${orderFile}'`;
        return { argv: ['sh', '-c', line], line };
      },
    };
    const c = { dir, ...writeCase(dir, graph, cmd, { jobs: JOBS }) };
    const row = { id, shape, n: graph.n, edges: edgeCount(graph), tools: {} };
    for (const tool of TOOLS) {
      if (!tool.available) {
        row.tools[tool.key] = null;
        continue;
      }
      rmSync(orderFile, { force: true });
      if (tool.key === 'engine') await engineRun(c.plan, { rss: false });
      else if (tool.key === 'make') await makeRun(dir, { rss: false });
      else await ninjaRun(dir, { rss: false });
      row.tools[tool.key] = verifyOrder(graph, existsSync(orderFile) ? readFileSync(orderFile, 'utf8') : '');
      if (!row.tools[tool.key].ok) {
        R.failures.push(`${id}: ${tool.key}: ${row.tools[tool.key].problem}`);
      }
    }
    R.checks.push(row);
  }
}

/** Every step ran exactly once, after all of its dependencies. */
function verifyOrder(graph, text) {
  const lines = text.split('\n').filter(Boolean);
  const pos = new Map();
  for (const [i, l] of lines.entries()) {
    if (pos.has(l)) return { ok: false, count: lines.length, problem: `${l} ran twice` };
    pos.set(l, i);
  }
  for (const s of graph.steps) {
    if (!pos.has(s.id)) return { ok: false, count: lines.length, problem: `${s.id} never ran (${lines.length} of ${graph.n} ran)` };
    for (const d of s.deps) {
      const dep = graph.steps[d].id;
      if (pos.get(dep) > pos.get(s.id)) return { ok: false, count: lines.length, problem: `${s.id} ran before its dependency ${dep}` };
    }
  }
  if (lines.length !== graph.n) return { ok: false, count: lines.length, problem: `${lines.length} lines for ${graph.n} steps` };
  return { ok: true, count: lines.length, problem: null };
}

// ---- 2. engine vs make vs ninja ------------------------------------------------------------

const COMMANDS = {
  true: { argv: ['true'], target: 4.5 },
  sleep: { argv: ['sleep', String(SLEEP_S)], target: 1.1 },
};

async function compareTools() {
  for (const cmdName of Object.keys(COMMANDS)) {
    for (const shape of SHAPES) {
      const id = `${shape}-${cmdName}`;
      if (!selected(id)) continue;
      const n = cmdName === 'true' ? C.trueN : C.sleepN;
      const dir = join(TMP, id);
      mkdirSync(dir, { recursive: true });
      const graph = generate(shape, n);
      const c = { dir, ...writeCase(dir, graph, { argv: COMMANDS[cmdName].argv }, { jobs: JOBS }) };
      const tools = TOOLS.filter((t) => t.available);
      log(`${id}: ${n} steps, ${C.warmup} warm-up + ${C.runs} runs of ${tools.map((t) => t.key).join(', ')}`);
      for (let w = 0; w < C.warmup; w++) for (const t of tools) await t.run(c);
      const runs = Object.fromEntries(tools.map((t) => [t.key, []]));
      for (let i = 0; i < C.runs; i++) {
        // A B C, C B A, …: each engine run sits next to a run of each other tool.
        for (const t of i % 2 === 0 ? tools : [...tools].reverse()) runs[t.key].push(await t.run(c));
      }
      const row = { id, shape, cmd: cmdName, n, edges: edgeCount(graph), target: COMMANDS[cmdName].target, tools: {}, ratios: {} };
      for (const t of TOOLS) {
        const rs = runs[t.key];
        row.tools[t.key] = rs ? { time: summary(rs.map((r) => r.ms)), rssKB: median(rs.map((r) => r.rssKB).filter((x) => x !== null)) } : null;
      }
      for (const other of ['make', 'ninja']) {
        if (!runs[other]) continue;
        const pairs = runs.engine.map((e, i) => e.ms / runs[other][i].ms);
        row.ratios[other] = summary(pairs);
      }
      row.latency = runs.engine.map((r) => latencies(r.extra, JOBS));
      R.compare.push(row);
      const e = row.tools.engine.time.median;
      log(`  engine ${fmtMs(e)}, make ${fmtMs(row.tools.make?.time.median)}, ninja ${fmtMs(row.tools.ninja?.time.median)}, engine/make ${fmtRatio(row.ratios.make?.median)}`);
    }
  }
}

/**
 * Scheduling latency of one run, from its events: for every started step with dependencies,
 * step_started.started_at_ms − max(ended_at_ms of its dependencies), and started_at_ms −
 * ready_at_ms. A step waited for a concurrency slot when, at some moment between its
 * ready_at_ms and its started_at_ms, `jobs` steps were running (running = from started_at_ms
 * to ended_at_ms): such steps are counted in `queued` and left out.
 */
function latencies(events, jobs) {
  const planned = events.find((e) => e.type === 'run_started');
  if (!planned) throw new BenchError('no run_started event');
  const started = new Map();
  const ended = new Map();
  for (const e of events) {
    if (e.type === 'step_started' && e.attempt === 1) started.set(e.step_id, e);
    else if (e.type === 'step_succeeded' || e.type === 'step_failed') ended.set(e.step_id, e.ended_at_ms);
  }
  if (started.size > 0 && typeof [...started.values()][0].started_at_ms !== 'number') {
    throw new BenchError('step_started has no started_at_ms: this engine build predates sub-ms step times');
  }
  // Running-count changes in time order (ends before starts at equal times).
  const changes = [];
  for (const [id, e] of started) {
    changes.push({ t: e.started_at_ms, d: 1 });
    changes.push({ t: ended.get(id) ?? Infinity, d: -1 });
  }
  changes.sort((a, b) => a.t - b.t || a.d - b.d);
  const runningAfter = [];
  let running = 0;
  for (const c of changes) runningAfter.push((running += c.d));
  /** Index of the first change later than t. */
  const after = (t) => {
    let lo = 0;
    let hi = changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (changes[mid].t <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const depToStart = [];
  const readyToStart = [];
  let queued = 0;
  for (const step of planned.steps) {
    if (step.depends_on.length === 0) continue;
    const s = started.get(step.id);
    if (!s) continue;
    // Most steps running at any moment in [ready, start).
    let i = after(s.ready_at_ms);
    let most = i > 0 ? runningAfter[i - 1] : 0;
    for (; i < changes.length && changes[i].t < s.started_at_ms && most < jobs; i++) most = Math.max(most, runningAfter[i]);
    if (most >= jobs) {
      queued++;
      continue;
    }
    const depEnd = Math.max(...step.depends_on.map((d) => ended.get(d)));
    depToStart.push(s.started_at_ms - depEnd);
    readyToStart.push(s.started_at_ms - s.ready_at_ms);
  }
  return { depToStart, readyToStart, queued };
}

function summarizeLatency() {
  const pools = [
    { id: 'latency-chain', what: '`chain` cases (one dependency each, never waits for a slot)', rows: R.compare.filter((r) => r.shape === 'chain'), headline: true },
    { id: 'latency-unqueued', what: 'all cases, steps that did not wait for a concurrency slot', rows: R.compare, headline: false },
  ];
  for (const p of pools) {
    if (p.rows.length === 0) continue;
    const all = p.rows.flatMap((r) => r.latency);
    const dep = all.flatMap((l) => l.depToStart);
    const rdy = all.flatMap((l) => l.readyToStart);
    R.latency.push({
      id: p.id,
      what: p.what,
      cases: p.rows.map((r) => r.id),
      runs: all.length,
      steps: dep.length,
      queued: all.reduce((s, l) => s + l.queued, 0),
      dep: { p50: percentile(dep, 50), p99: percentile(dep, 99), max: max(dep) },
      ready: { p50: percentile(rdy, 50), p99: percentile(rdy, 99), max: max(rdy) },
      headline: p.headline,
    });
  }
}

// ---- 2b. launcher: posix_spawn vs child_process --------------------------------------------

const LAUNCHERS = ['child_process', 'posix_spawn'];

/**
 * `layered` plan of C.trueN `true` steps run by the engine with ENGINE_SPAWN=child_process and
 * ENGINE_SPAWN=posix_spawn, alternating (A B, B A, …). Skipped, with the reason, when the
 * engine cannot use posix_spawn here.
 */
async function compareLaunchers() {
  const id = 'launcher-true';
  if (!selected(id)) return;
  const native = probeLauncher({ ENGINE_SPAWN: 'posix_spawn' });
  if (native.name !== 'posix_spawn') {
    const why = native.error ?? `ENGINE_SPAWN=posix_spawn picked ${native.name}`;
    log(`${id}: skipped: ${why}`);
    R.launcher = { id, skipped: why };
    return;
  }
  const n = C.trueN;
  const graph = generate('layered', n);
  const plan = writePlan(join(TMP, `${id}-${n}.json`), graph, TRUE_CMD, { jobs: JOBS });
  const run = (name) => engineRun(plan, { env: { ENGINE_SPAWN: name } });
  log(`${id}: layered ${fmtInt(n)} steps of \`true\`, ${C.warmup} warm-up + ${C.runs} runs each with ENGINE_SPAWN=${LAUNCHERS.join(' / ')}`);
  // Warm-up: C.warmup runs in all (alternating launchers), enough to warm the page cache.
  for (let w = 0; w < C.warmup; w++) await run(LAUNCHERS[w % LAUNCHERS.length]);
  const runs = Object.fromEntries(LAUNCHERS.map((l) => [l, []]));
  for (let i = 0; i < C.runs; i++) {
    for (const l of i % 2 === 0 ? LAUNCHERS : [...LAUNCHERS].reverse()) runs[l].push(await run(l));
  }
  const side = (l) => ({
    time: summary(runs[l].map((r) => r.ms)),
    perStep: median(runs[l].map((r) => r.ms / n)),
    rssKB: median(runs[l].map((r) => r.rssKB).filter((x) => x !== null)),
  });
  const row = {
    id,
    n,
    edges: edgeCount(graph),
    launchers: Object.fromEntries(LAUNCHERS.map((l) => [l, side(l)])),
    ratio: summary(runs.child_process.map((r, i) => r.ms / runs.posix_spawn[i].ms)),
  };
  R.launcher = row;
  log(`  child_process ${fmtMs(row.launchers.child_process.time.median)}, posix_spawn ${fmtMs(row.launchers.posix_spawn.time.median)}, child_process/posix_spawn ${fmtRatio(row.ratio.median)}`);
}

/**
 * What a step policy costs when every step has it (issue 14: `idle_timeout_sec` on all 1,000
 * steps may cost at most 10 % more per step): the `layered` plan of C.trueN `true` steps run
 * as it is and with the policy on every step, alternating (A B, B A, …).
 */
async function comparePolicyCost() {
  const id = 'idle-timeout-true';
  if (!selected(id)) return;
  const n = C.trueN;
  const graph = generate('layered', n);
  const plain = writePlan(join(TMP, `${id}-plain-${n}.json`), graph, TRUE_CMD, { jobs: JOBS });
  const withIdle = join(TMP, `${id}-${n}.json`);
  const p = JSON.parse(readFileSync(plain, 'utf8'));
  p.steps = p.steps.map((st) => ({ ...st, idle_timeout_sec: 60 }));
  writeFileSync(withIdle, JSON.stringify(p));
  const variants = { plain, idle: withIdle };
  log(`${id}: layered ${fmtInt(n)} steps of \`true\`, ${C.warmup} warm-up + ${C.runs} runs each, without and with idle_timeout_sec on every step`);
  for (let w = 0; w < C.warmup; w++) await engineRun(w % 2 === 0 ? plain : withIdle);
  const runs = { plain: [], idle: [] };
  for (let i = 0; i < C.runs; i++) {
    for (const v of i % 2 === 0 ? ['plain', 'idle'] : ['idle', 'plain']) runs[v].push(await engineRun(variants[v]));
  }
  R.policyCost = {
    id,
    n,
    plain: summary(runs.plain.map((r) => r.ms)),
    idle: summary(runs.idle.map((r) => r.ms)),
    ratio: summary(runs.idle.map((r, i) => r.ms / runs.plain[i].ms)),
  };
  log(`  plain ${fmtMs(R.policyCost.plain.median)}, idle_timeout_sec ${fmtMs(R.policyCost.idle.median)}, ratio ${fmtRatio(R.policyCost.ratio.median)}`);
}

/**
 * Fan-out (issue 13): a matrix of N `true` instances against N plain independent `true` steps
 * (the same work: N processes, none depending on another), alternating runs. The matrix also
 * records its own step and aggregates nothing (the instances write no outputs).
 */
async function compareMatrixCost() {
  const id = 'matrix-true';
  if (!selected(id)) return;
  const n = C.trueN;
  const plain = join(TMP, `${id}-plain-${n}.json`);
  const steps = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, command: 'true' }));
  writeFileSync(plain, JSON.stringify({ plan_id: 'bench-plain', version: '1', globals: { max_concurrency: JOBS }, steps }));
  const matrix = join(TMP, `${id}-${n}.json`);
  const values = Array.from({ length: n }, (_, i) => String(i));
  writeFileSync(matrix, JSON.stringify({ plan_id: 'bench-matrix', version: '1', globals: { max_concurrency: JOBS }, steps: [{ id: 'm', command: 'true', matrix: { i: values } }] }));
  const variants = { plain, matrix };
  log(`${id}: ${fmtInt(n)} independent \`true\` steps vs a matrix of ${fmtInt(n)} \`true\` instances, ${C.warmup} warm-up + ${opts.quick ? C.runs : Math.max(C.runs, 9)} runs each`);
  for (let w = 0; w < C.warmup; w++) await engineRun(w % 2 === 0 ? plain : matrix);
  const runs = { plain: [], matrix: [] };
  // At least 9 pairs: with 5, one disturbed pair moved the median ratio by 0.2.
  const pairs = opts.quick ? C.runs : Math.max(C.runs, 9);
  for (let i = 0; i < pairs; i++) {
    for (const v of i % 2 === 0 ? ['plain', 'matrix'] : ['matrix', 'plain']) runs[v].push(await engineRun(variants[v]));
  }
  R.matrixCost = {
    id,
    n,
    plain: summary(runs.plain.map((r) => r.ms)),
    matrix: summary(runs.matrix.map((r) => r.ms)),
    ratio: summary(runs.matrix.map((r, i) => r.ms / runs.plain[i].ms)),
  };
  log(`  plain ${fmtMs(R.matrixCost.plain.median)}, matrix ${fmtMs(R.matrixCost.matrix.median)}, ratio ${fmtRatio(R.matrixCost.ratio.median)}`);
}

// ---- 3. start-up ---------------------------------------------------------------------------

async function startup() {
  const plansDir = join(ROOT, 'plans');
  const planVars = { 'safe_merge.json': ['--var', 'BRANCH=main'] };
  const cmds = [
    { id: 'startup-node', label: '`node -e 0`', argv: ['-e', '0'] },
    { id: 'startup-version', label: '`engine --version`', argv: [opts.engine, '--version'], target: 1.5 },
  ];
  for (const f of readdirSync(plansDir).filter((f) => f.endsWith('.json')).sort()) {
    const extra = planVars[f] ?? [];
    cmds.push({
      id: `startup-validate-${f.replace(/\.json$/, '')}`,
      label: `\`engine validate plans/${f}${extra.length ? ` ${extra.join(' ')}` : ''}\``,
      argv: [opts.engine, 'validate', join(plansDir, f), ...extra],
    });
  }
  const chosen = cmds.filter((c) => selected(c.id));
  if (chosen.length === 0) return;
  // The ratio needs node -e 0 in every round.
  if (!chosen.includes(cmds[0])) chosen.unshift(cmds[0]);
  log(`startup: ${chosen.length} commands, ${C.startupWarmup ? '1 warm-up round (peak RSS) + ' : ''}${C.startupRuns} rounds`);
  const res = new Map(chosen.map((c) => [c.id, { ...c, ms: [], rssKB: null, code: 0 }]));
  const record = (c, r) => {
    const x = res.get(c.id);
    if (r.rssKB !== null) x.rssKB = Math.max(x.rssKB ?? 0, r.rssKB);
    if (r.code !== 0) {
      x.code = r.code;
      x.stderr = r.stderr.trim().split('\n')[0];
    }
  };
  // The warm-up round measures peak RSS; the timed rounds run the commands bare (no GNU time
  // wrapper) so start-up times are not inflated. Without a warm-up round (--quick), the timed
  // round measures RSS too.
  if (C.startupWarmup) {
    for (const c of chosen) record(c, await measure(NODE, c.argv, { cwd: TMP, env: childEnv, tmpDir: TMP, rss: true }));
  }
  for (let round = 0; round < C.startupRuns; round++) {
    // Rotate the order each round so no command always runs first.
    for (let k = 0; k < chosen.length; k++) {
      const c = chosen[(k + round) % chosen.length];
      const r = await measure(NODE, c.argv, { cwd: TMP, env: childEnv, tmpDir: TMP, rss: !C.startupWarmup });
      res.get(c.id).ms.push(r.ms);
      record(c, r);
    }
  }
  const base = res.get('startup-node').ms;
  for (const r of res.values()) {
    R.startup.push({ ...r, time: summary(r.ms), ratio: summary(r.ms.map((ms, i) => ms / base[i])) });
    if (r.code !== 0) R.failures.push(`${r.id}: exit ${r.code}: ${r.stderr ?? ''}`);
  }
}

// ---- 4. scale ------------------------------------------------------------------------------

const TRUE_CMD = { argv: ['true'] };

async function detectDryRun(plan) {
  const stateDir = mkdtempSync(join(TMP, 'state-'));
  const r = await measure(NODE, [opts.engine, 'run', '--dry-run', plan, '--state-dir', stateDir], { cwd: TMP, env: childEnv, tmpDir: TMP, rss: false });
  rmSync(stateDir, { recursive: true, force: true });
  if (r.code === 2 && /unknown option/i.test(r.stderr)) {
    R.dryRunSupported = false;
    R.dryRunNote = '`engine run --dry-run` does not exist in this build (exit 2, "unknown option"): n/a.';
  } else if (r.code === 0) {
    R.dryRunSupported = true;
  } else {
    R.dryRunSupported = false;
    R.dryRunNote = `\`engine run --dry-run\` exited ${r.code}: ${r.stderr.trim().split('\n')[0]}: n/a.`;
  }
}

async function scale() {
  const wantValidate = selected('scale-validate');
  const wantDry = selected('scale-dry-run');
  if (wantValidate || wantDry) {
    const plans = C.scaleSizes.map((n) => {
      const path = join(TMP, `layered-${n}.json`);
      writePlan(path, generate('layered', n), TRUE_CMD);
      return { n, path, bytes: statSync(path).size };
    });
    if (wantDry) await detectDryRun(plans[0].path);
    for (const p of plans) {
      const kinds = [];
      if (wantValidate) kinds.push({ id: 'scale-validate', label: '`engine validate`', argv: [opts.engine, 'validate', p.path] });
      if (wantDry) kinds.push({ id: 'scale-dry-run', label: '`engine run --dry-run`', argv: R.dryRunSupported ? [opts.engine, 'run', '--dry-run', p.path] : null });
      for (const k of kinds) {
        const row = { id: k.id, label: k.label, n: p.n, bytes: p.bytes, time: null, rssKB: null, largest: p.n === max(C.scaleSizes) };
        if (k.argv) {
          log(`${k.id}: layered ${fmtInt(p.n)} steps, ${C.scaleRuns} runs`);
          const rs = [];
          for (let i = 0; i < C.scaleRuns; i++) {
            const stateDir = mkdtempSync(join(TMP, 'state-'));
            const argv = k.id === 'scale-dry-run' ? [...k.argv, '--state-dir', stateDir] : k.argv;
            const r = await measure(NODE, argv, { cwd: TMP, env: childEnv, tmpDir: TMP, rss: true });
            rmSync(stateDir, { recursive: true, force: true });
            checkExit(`${k.id} ${p.n}`, r);
            rs.push(r);
          }
          row.time = summary(rs.map((r) => r.ms));
          row.rssKB = max(rs.map((r) => r.rssKB).filter((x) => x !== null));
        }
        R.scale.push(row);
      }
    }
  }

  for (const shape of ['chain', 'layered']) {
    const id = `scale-${shape}`;
    if (!selected(id)) continue;
    const [small, large] = C.perStepSizes;
    // A 1-step plan measures the fixed cost of `engine run` (start-up, plan loading, opening
    // runs.db, …), so the marginal cost per step can be told apart from it.
    const sizes = { one: 1, small, large };
    const plans = Object.fromEntries(
      Object.entries(sizes).map(([k, n]) => [k, writePlan(join(TMP, `${id}-${n}.json`), generate(shape, n), TRUE_CMD, { jobs: JOBS })]),
    );
    log(`${id}: ${C.perStepPairs} rounds of 1 / ${fmtInt(small)} / ${fmtInt(large)} steps of \`true\``);
    const rs = { one: [], small: [], large: [] };
    for (let i = 0; i < C.perStepPairs; i++) {
      const order = i % 2 === 0 ? ['one', 'small', 'large'] : ['large', 'small', 'one'];
      for (const which of order) rs[which].push(await engineRun(plans[which]));
    }
    const perStep = (which) => rs[which].map((r) => r.ms / sizes[which]);
    const marginal = (which) => rs[which].map((r, i) => (r.ms - rs.one[i].ms) / (sizes[which] - 1));
    const side = (which) => ({
      n: sizes[which],
      time: summary(rs[which].map((r) => r.ms)),
      perStep: median(perStep(which)),
      marginal: median(marginal(which)),
      rssKB: max(rs[which].map((r) => r.rssKB).filter((x) => x !== null)),
    });
    const ratio = (f) => summary(f('large').map((x, i) => x / f('small')[i]));
    const row = { id, shape, fixed: summary(rs.one.map((r) => r.ms)), small: side('small'), large: side('large'), ratio: ratio(perStep), marginalRatio: ratio(marginal) };
    R.perStep.push(row);
    log(`  per step ${fmtMs(row.small.perStep)} → ${fmtMs(row.large.perStep)} (${fmtRatio(row.ratio.median)}); without the fixed ${fmtMs(row.fixed.median)}: ${fmtMs(row.small.marginal)} → ${fmtMs(row.large.marginal)} (${fmtRatio(row.marginalRatio.median)})`);
  }
}

// ---- 5. large output -----------------------------------------------------------------------

async function bigOutput() {
  if (!selected('big-output')) return;
  const bytes = C.outputBytes;
  const plan = join(TMP, 'big-output.json');
  writeFileSync(
    plan,
    JSON.stringify({ plan_id: 'bench-big-output', version: '1', steps: [{ id: 'spew', command: 'head', args: ['-c', String(bytes), '/dev/zero'] }] }),
  );
  log(`big-output: one step writes ${fmtInt(bytes)} bytes to stdout, ${C.outputRuns} runs`);
  const rs = [];
  for (let i = 0; i < C.outputRuns; i++) {
    rs.push(
      await engineRun(plan, {
        inspect: (stateDir) => {
          const runId = readdirSync(join(stateDir, 'runs'))[0];
          const logs = join(stateDir, 'runs', runId, 'logs');
          return readdirSync(logs).reduce((sum, f) => sum + statSync(join(logs, f)).size, 0);
        },
      }),
    );
  }
  const logBytes = rs.map((r) => r.extra);
  if (logBytes.some((b) => b !== bytes)) R.failures.push(`big-output: log files hold ${logBytes.join(', ')} bytes, expected ${bytes}`);
  R.output = { bytes, time: summary(rs.map((r) => r.ms)), rssKB: max(rs.map((r) => r.rssKB).filter((x) => x !== null)), logBytes: logBytes[0] };
  R.redacted = await redactedOutput(bytes);
}

/**
 * The same output from a step that received a secret, so it goes through the redacting path
 * (src/engine/process/redactor.ts): engine throughput (MB/s of output, from the run's wall
 * time, start-up included) and peak RSS at two output sizes, to show memory does not grow.
 */
async function redactedOutput(bytes) {
  const plan = join(TMP, 'big-output-redacted.json');
  writeFileSync(
    plan,
    JSON.stringify({
      plan_id: 'bench-big-output-redacted',
      version: '1',
      vars: { TOKEN: { secret: true }, N: {} },
      steps: [{ id: 'spew', command: 'sh', args: ['-c', 'head -c "$N" /dev/zero'], env: { T: '${TOKEN}', N: '${N}' } }],
    }),
  );
  const sizes = [Math.max(1, Math.floor(bytes / 4)), bytes];
  const rows = [];
  for (const n of sizes) {
    log(`big-output: the same with a secret (redacting path), ${fmtInt(n)} bytes, ${C.outputRuns} runs`);
    const rs = [];
    for (let i = 0; i < C.outputRuns; i++) {
      rs.push(
        await engineRun(plan, {
          extraArgs: ['--var', 'TOKEN=bench-Secret-Value-42', '--var', `N=${n}`],
          inspect: (stateDir) => {
            const runId = readdirSync(join(stateDir, 'runs'))[0];
            return statSync(join(stateDir, 'runs', runId, 'logs', 'spew.1.log')).size;
          },
        }),
      );
    }
    if (rs.some((r) => r.extra !== n)) R.failures.push(`big-output redacted: log holds ${rs.map((r) => r.extra).join(', ')} bytes, expected ${n}`);
    const time = summary(rs.map((r) => r.ms));
    rows.push({ bytes: n, time, mbPerS: n / 1e6 / (time.median / 1000), rssKB: max(rs.map((r) => r.rssKB).filter((x) => x !== null)) });
  }
  return rows;
}

// ---- 6. spawn cost -------------------------------------------------------------------------

function spawnCost() {
  if (!selected('spawn-cost')) return;
  log(`spawn-cost: ${C.spawnCount} \`true\` processes at concurrency ${JOBS}, ${C.spawnRounds} rounds per method`);
  R.spawnCost = spawnCostCompare({ count: C.spawnCount, concurrency: JOBS, rounds: C.spawnRounds, ballast: C.spawnBallastMB });
}

// ---- 7. profile ----------------------------------------------------------------------------

/** The dashboard's own suite (bench/ui.mjs), written next to this report. */
function dashboard() {
  if (!selected('dashboard')) return;
  R.dashboardOut = join(dirname(opts.out), 'BENCHMARKS-dashboard.md');
  log('dashboard (bench/ui.mjs)');
  const r = spawnSync(NODE, [join(ROOT, 'bench/ui.mjs'), ...(opts.quick ? ['--quick'] : []), '--out', R.dashboardOut], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) R.failures.push(`bench/ui.mjs exited with ${r.status}`);
}

/** Steps on workers (bench/workers.mjs), written next to this report. */
function workers() {
  if (!selected('workers')) return;
  R.workersOut = join(dirname(opts.out), 'BENCHMARKS-workers.md');
  log('workers (bench/workers.mjs)');
  const r = spawnSync(NODE, [join(ROOT, 'bench/workers.mjs'), ...(opts.quick ? ['--quick'] : []), '--out', R.workersOut], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) R.failures.push(`bench/workers.mjs exited with ${r.status}`);
}

function profile() {
  if (!selected('profile') || C.profileN === 0) return;
  const n = C.profileN;
  const plan = writePlan(join(TMP, `profile-chain-${n}.json`), generate('chain', n), TRUE_CMD, { jobs: JOBS });
  const profDir = mkdtempSync(join(TMP, 'prof-'));
  const stateDir = mkdtempSync(join(TMP, 'state-'));
  log(`profile: node --cpu-prof, chain of ${fmtInt(n)} \`true\``);
  const r = spawnSync(NODE, ['--cpu-prof', '--cpu-prof-dir', profDir, opts.engine, 'run', plan, '--state-dir', stateDir, '--max-concurrency', String(JOBS)], {
    cwd: TMP,
    env: childEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  rmSync(stateDir, { recursive: true, force: true });
  if (r.status !== 0) {
    R.failures.push(`profile: engine exited ${r.status}`);
    return;
  }
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
  const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
  const parent = new Map();
  for (const nd of prof.nodes) for (const c of nd.children ?? []) parent.set(c, nd.id);
  const selfUs = new Map();
  for (let i = 0; i < prof.samples.length; i++) selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  const engineDir = dirname(opts.engine);
  const label = (cf) => {
    let where = cf.url ? cf.url.replace(/^file:\/\//, '') : '';
    if (where.startsWith(ROOT)) where = relative(ROOT, where);
    where = where.replace(/^.*node_modules\//, '');
    return `${cf.functionName || '(anonymous)'}${where ? ` ${where}:${cf.lineNumber + 1}` : ''}`;
  };
  /** The nearest frame of the engine's own code at or above a node: who is paying. */
  const engineCaller = (nodeId) => {
    for (let id = nodeId; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id).callFrame;
      if (cf.url && cf.url.replace(/^file:\/\//, '').startsWith(engineDir)) return label(cf);
    }
    return '';
  };
  const agg = new Map();
  let total = 0;
  for (const [nodeId, us] of selfUs) {
    const key = label(byId.get(nodeId).callFrame);
    const entry = agg.get(key) ?? { us: 0, callers: new Map() };
    entry.us += us;
    const caller = engineCaller(nodeId);
    entry.callers.set(caller, (entry.callers.get(caller) ?? 0) + us);
    agg.set(key, entry);
    total += us;
  }
  const top = [...agg]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, 12)
    .map(([fn, e]) => {
      const [caller, cus] = [...e.callers].sort((a, b) => b[1] - a[1])[0];
      return { fn, ms: e.us / 1000, share: e.us / total, caller: caller === fn ? '' : caller, callerShare: cus / e.us };
    });
  R.profile = { n, totalMs: total / 1000, top, busyShare: 1 - (agg.get('(idle)')?.us ?? 0) / total };
}

// ---- Markdown ------------------------------------------------------------------------------

function table(headers, rows) {
  const esc = (c) => String(c ?? '').replace(/\|/g, '\\|');
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** '✅ pass' / '❌ fail' / 'n/a' for value ≤ limit. */
function verdict(value, limit) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return value <= limit ? 'pass' : '**FAIL**';
}

function fmtRatioRange(s) {
  if (!s || s.n === 0) return 'n/a';
  if (s.n === 1) return fmtRatio(s.median);
  return `${fmtRatio(s.median)} (${fmtRatio(s.min)}–${fmtRatio(s.max)})`;
}

function markdown(durationMs) {
  const m = R.machine;
  const out = [];
  const flags = [
    ...(opts.quick ? ['--quick'] : []),
    ...(opts.jobs !== 2 ? ['--jobs', String(opts.jobs)] : []),
    ...(opts.only.length ? ['--only', opts.only.join(',')] : []),
    ...(opts.runs ? ['--runs', String(opts.runs)] : []),
    ...(opts.trueSteps ? ['--true-steps', String(opts.trueSteps)] : []),
    ...(opts.sleepSteps ? ['--sleep-steps', String(opts.sleepSteps)] : []),
    ...(opts.out !== join(ROOT, 'docs/BENCHMARKS.md') ? ['--out', relative(ROOT, opts.out)] : []),
    ...(opts.engine !== join(ROOT, 'dist/cli.js') ? ['--engine', relative(ROOT, opts.engine)] : []),
  ];
  const rerun = `npm run bench${flags.length ? ` -- ${flags.join(' ')}` : ''}`;
  out.push('# Benchmarks', '');
  out.push('Generated by `bench/run.mjs`; do not edit by hand. Rerun with:', '', '```sh', 'npm run bench            # = npm run build && node bench/run.mjs', '```', '');
  out.push(
    'Options: `--jobs N` (concurrency of the engine, make and ninja; default 2), `--only SUBSTR[,SUBSTR…]` ' +
      '(cases whose id contains one of them; ids are the first column below), `--runs N`, ' +
      '`--true-steps N` and `--sleep-steps N` (sizes of the comparison cases; default 1,000 and 200), `--quick` ' +
      '(tiny sizes, one run: the smoke test), `--out FILE` (default docs/BENCHMARKS.md), `--keep` ' +
      '(keep the generated plans, Makefiles and build.ninja files). `node bench/spawn-cost.mjs` runs the ' +
      'child_process vs posix_spawn vs execa comparison alone.',
    '',
  );
  if (opts.quick) out.push('> **Quick mode** (`--quick`): tiny sizes and one run per case. The numbers only show that the harness works; the verdicts are not meaningful.', '');
  out.push(`This run: \`${rerun}\`, ${(durationMs / 60000).toFixed(1)} min.`, '');
  out.push('## Machine', '');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} cores`],
        ['memory', m.memory],
        ['OS', m.os],
        ['Node.js', m.node],
        ['make', m.make],
        ['ninja', m.ninja],
        ['launcher', m.launcher],
        ['date', m.date],
        ['load average at start / end', `${m.load} / ${R.loadEnd}`],
        ['concurrency', `${JOBS} (engine \`--max-concurrency ${JOBS}\`, \`make -j${JOBS}\`, \`ninja -j${JOBS}\`)`],
        ['peak RSS', rssMethodDescription(RSS_METHOD)],
      ],
    ),
    '',
  );
  out.push(
    'The machine was shared with other jobs while this ran (see the load average), so absolute times are ' +
      'noisy; ratios are taken pair by pair (engine run next to make run next to ninja run) so drift ' +
      'mostly cancels.',
    '',
  );

  // Summary of targets.
  const targets = [];
  const cmpRows = (cmd) => R.compare.filter((r) => r.cmd === cmd && r.ratios.make);
  for (const cmd of ['sleep', 'true']) {
    const rows = cmpRows(cmd);
    if (rows.length === 0) continue;
    const worst = rows.reduce((a, b) => (b.ratios.make.median > a.ratios.make.median ? b : a));
    const lim = COMMANDS[cmd].target;
    targets.push([
      `\`${COMMANDS[cmd].argv.join(' ')}\` steps: engine ≤ ${lim} × make -j${JOBS} (worst shape)`,
      `${fmtRatio(worst.ratios.make.median)} (${worst.id}; all: ${rows.map((r) => fmtRatio(r.ratios.make.median)).join(', ')})`,
      verdict(worst.ratios.make.median, lim),
    ]);
  }
  const lat = R.latency.find((l) => l.headline);
  if (lat) {
    targets.push([`scheduling latency p50 ≤ 2 ms (${lat.id})`, fmtMs(lat.dep.p50), verdict(lat.dep.p50, 2)]);
    targets.push([`scheduling latency p99 ≤ 10 ms (${lat.id})`, fmtMs(lat.dep.p99), verdict(lat.dep.p99, 10)]);
  }
  const ver = R.startup.find((s) => s.id === 'startup-version');
  if (ver) targets.push([`\`engine --version\` ≤ 1.5 × \`node -e 0\``, fmtRatio(ver.ratio.median), verdict(ver.ratio.median, 1.5)]);
  for (const s of R.scale.filter((x) => x.largest)) {
    targets.push([`${s.label} of ${fmtInt(s.n)} steps ≤ 3 s`, s.time ? fmtMs(s.time.median) : 'n/a', verdict(s.time?.median, 3000)]);
    targets.push([`${s.label} of ${fmtInt(s.n)} steps ≤ 300 MB`, fmtMB(s.rssKB), verdict(s.rssKB, 300 * 1024)]);
  }
  for (const p of R.perStep) {
    targets.push([
      `${p.shape} ${fmtInt(p.large.n)} steps: time per step ≤ 1.2 × ${fmtInt(p.small.n)} steps`,
      `${fmtRatio(p.marginalRatio.median)} marginal (${fmtRatio(p.ratio.median)} wall / steps)`,
      verdict(p.marginalRatio.median, 1.2),
    ]);
  }
  if (R.output) targets.push([`engine peak RSS while a step writes ${fmtInt(R.output.bytes)} bytes ≤ 150 MB`, fmtMB(R.output.rssKB), verdict(R.output.rssKB, 150 * 1024)]);
  if (R.policyCost) {
    targets.push([
      `${fmtInt(R.policyCost.n)} steps with idle_timeout_sec on every step: ≤ 1.10 × the same plan without (per step)`,
      fmtRatio(R.policyCost.ratio.median),
      verdict(R.policyCost.ratio.median, 1.1),
    ]);
  }
  if (R.matrixCost) {
    targets.push([
      `a matrix of ${fmtInt(R.matrixCost.n)} \`true\` instances: ≤ 1.10 × ${fmtInt(R.matrixCost.n)} plain steps (per instance)`,
      fmtRatio(R.matrixCost.ratio.median),
      verdict(R.matrixCost.ratio.median, 1.1),
    ]);
  }
  if (R.redacted?.length) {
    const big = R.redacted.at(-1);
    targets.push([`redacted output (a step with a secret) ≥ 200 MB/s`, `${big.mbPerS.toFixed(0)} MB/s`, big.mbPerS >= 200 ? 'pass' : '**FAIL**']);
    const growth = (big.rssKB ?? 0) - (R.redacted[0].rssKB ?? 0);
    targets.push([`redacted output: engine RSS does not grow with output (${fmtInt(R.redacted[0].bytes)} → ${fmtInt(big.bytes)} bytes, ≤ +20 MB)`, `${(growth / 1024).toFixed(1)} MB`, verdict(growth, 20 * 1024)]);
  }
  if (targets.length) {
    out.push('## Targets', '', table(['target', 'result', 'verdict'], targets), '');
  }

  if (R.compare.length) {
    out.push('## engine vs make vs ninja', '');
    out.push(
      `The same DAG as an engine plan, a Makefile (phony targets, recipe = the command) and a build.ninja ` +
        `(\`build sX: cmd | deps…\`, outputs never created, so every edge runs every time); generated by ` +
        `\`bench/gen.mjs\`. Shapes: \`chain\`; \`wide\` (one root, N−2 independent steps, one sink); ` +
        `\`layered\` (layers of about √N steps, each depending on 1–3 steps of the previous layer, seeded PRNG); ` +
        `\`diamond\` (repeated fan-out/fan-in of width 8). The engine runs with its full recording ` +
        `(events.jsonl, runs.db, one log file per step) into a fresh \`--state-dir\` per run, console ` +
        `output to /dev/null. Times: median (min–max) of ${C.runs} runs after ${C.warmup} warm-up; ratios: ` +
        `median (min–max) of the per-pair ratios (runs alternate engine, make, ninja / ninja, make, engine).`,
      '',
    );
    if (!NINJA) out.push('> ninja is not installed here: the ninja columns are skipped.', '');
    out.push(
      table(
        ['case', 'steps', 'engine', 'engine RSS', `make -j${JOBS}`, 'make RSS', `ninja -j${JOBS}`, 'ninja RSS', 'engine / make', 'engine / ninja', 'target (engine / make)', 'verdict'],
        R.compare.map((r) => [
          `\`${r.id}\``,
          fmtInt(r.n),
          fmtRange(r.tools.engine.time),
          fmtMB(r.tools.engine.rssKB),
          r.tools.make ? fmtRange(r.tools.make.time) : 'n/a',
          r.tools.make ? fmtMB(r.tools.make.rssKB) : 'n/a',
          r.tools.ninja ? fmtRange(r.tools.ninja.time) : 'n/a',
          r.tools.ninja ? fmtMB(r.tools.ninja.rssKB) : 'n/a',
          fmtRatioRange(r.ratios.make),
          fmtRatioRange(r.ratios.ninja),
          `≤ ${r.target}×`,
          verdict(r.ratios.make?.median, r.target),
        ]),
      ),
      '',
    );
    out.push(
      'Per step, the engine costs about ' +
        R.compare
          .filter((r) => r.cmd === 'true' && r.tools.make)
          .map((r) => `${fmtMs(r.tools.engine.time.median / r.n)} (\`${r.id}\`; make ${fmtMs(r.tools.make.time.median / r.n)})`)
          .join(', ') +
        '.',
      '',
    );
    const chainSleep = R.compare.find((r) => r.id === 'chain-sleep');
    if (chainSleep) {
      const floor = chainSleep.n * SLEEP_S * 1000;
      const tools = Object.entries(chainSleep.tools).filter(([, v]) => v);
      out.push(
        `Sanity check: \`chain-sleep\` cannot take less than ${chainSleep.n} × ${SLEEP_S * 1000} ms = ${fmtMs(floor)}; ` +
          tools.map(([k, v]) => `${k}'s fastest run took ${fmtMs(v.time.min)}`).join(', ') +
          (tools.every(([, v]) => v.time.min >= floor) ? ' (all ran every command).' : ' (**some tool skipped commands**).'),
        '',
      );
    }
  }

  if (R.checks.length) {
    out.push('### Generator check', '');
    out.push(
      'Before timing anything, each shape is generated with a command that appends the step id to a ' +
        'file, and run by each tool: every step must run exactly once, after all of its dependencies.',
      '',
    );
    out.push(
      table(
        ['case', 'steps', 'edges', 'engine', 'make', 'ninja'],
        R.checks.map((c) => [
          `\`${c.id}\``,
          c.n,
          c.edges,
          ...['engine', 'make', 'ninja'].map((k) => (c.tools[k] === null ? 'n/a' : c.tools[k].ok ? `${c.tools[k].count} ran, order ok` : `**${c.tools[k].problem}**`)),
        ]),
      ),
      '',
    );
  }

  if (R.policyCost) {
    const P = R.policyCost;
    out.push('## What a step policy costs', '');
    out.push(
      `The \`layered\` plan of ${fmtInt(P.n)} \`true\` steps, as it is and with \`idle_timeout_sec: 60\` on every step (one timer per ` +
        `running attempt, watching its log file's size), runs alternating; median (min–max) of ${C.runs} runs each.`,
      '',
      table(['case', 'steps', 'plain', 'with idle_timeout_sec', 'ratio'], [[`\`${P.id}\``, fmtInt(P.n), fmtRange(P.plain), fmtRange(P.idle), fmtRatioRange(P.ratio)]]),
      '',
    );
  }

  if (R.matrixCost) {
    const M = R.matrixCost;
    out.push('## What fan-out costs', '');
    out.push(
      `${fmtInt(M.n)} independent \`true\` steps, and one step with a \`matrix\` of ${fmtInt(M.n)} values (${fmtInt(M.n)} instances of ` +
        '`true` plus the matrix step that ends with their verdict), runs alternating; median (min–max) of ' + `${R.matrixCost.plain.n ?? C.runs} runs each.`,
      '',
      table(['case', 'instances', 'plain steps', 'matrix', 'ratio'], [[`\`${M.id}\``, fmtInt(M.n), fmtRange(M.plain), fmtRange(M.matrix), fmtRatioRange(M.ratio)]]),
      '',
    );
  }

  if (R.launcher) {
    const L = R.launcher;
    out.push('## Launcher: posix_spawn vs child_process', '');
    if (L.skipped) {
      out.push(`> \`${L.id}\` skipped: the engine cannot use its posix_spawn launcher here (${L.skipped}).`, '');
    } else {
      const cp = L.launchers.child_process;
      const ps = L.launchers.posix_spawn;
      out.push(
        `The engine starts each step's process through a launcher (\`src/engine/process/launch.ts\`): \`posix_spawn\` (the native ` +
          'addon `build/Release/engine_spawn.node`: posix_spawn(3) and a pidfd) or `child_process` (node:child_process, ' +
          `fork + exec). The \`layered\` plan of ${fmtInt(L.n)} \`true\` steps (as \`layered-true\` above) run with ` +
          '`ENGINE_SPAWN=child_process` and with `ENGINE_SPAWN=posix_spawn`, full recording, runs alternating ' +
          `(A B, B A, …); median (min–max) of ${C.runs} runs each, after ${C.warmup} warm-up run(s); the ratio is the median ` +
          '(min–max) of the per-pair ratios.',
        '',
      );
      out.push(
        table(
          ['case', 'steps', '`child_process`', 'per step', 'peak RSS', '`posix_spawn`', 'per step', 'peak RSS', 'child_process / posix_spawn'],
          [[`\`${L.id}\``, fmtInt(L.n), fmtRange(cp.time), fmtMs(cp.perStep), fmtMB(cp.rssKB), fmtRange(ps.time), fmtMs(ps.perStep), fmtMB(ps.rssKB), fmtRatioRange(L.ratio)]],
        ),
        '',
      );
      const make = R.compare.find((r) => r.id === 'layered-true' && r.n === L.n && r.tools.make);
      const diff = cp.perStep - ps.perStep;
      out.push(
        `posix_spawn ${diff >= 0 ? 'saves' : 'costs'} ${fmtMs(Math.abs(diff))} per step here${diff >= 0 ? '' : ' more'}` +
          (make ? `; \`make -j${JOBS}\` takes ${fmtMs(make.tools.make.time.median / make.n)} per step on the same plan (\`layered-true\` above).` : '.'),
        '',
      );
    }
  }

  if (R.latency.length) {
    out.push('## Scheduling latency', '');
    out.push(
      'From events.jsonl of the measured engine runs above. **dep end → start**: a step\'s ' +
        '`step_started.started_at_ms` minus the latest `ended_at_ms` of its dependencies. **ready → start**: ' +
        '`started_at_ms − ready_at_ms`. Only steps with dependencies that did not wait for a concurrency ' +
        'slot count: a step is left out when at some moment between its `ready_at_ms` and its `started_at_ms` ' +
        '`--jobs` steps were running (from `started_at_ms` to `ended_at_ms`). The engine takes ' +
        '`started_at_ms` after the launcher has returned, so both include the synchronous start of the step\'s process ' +
        '(fork + exec with the `child_process` launcher, posix_spawn with the `posix_spawn` one).',
      '',
    );
    out.push(
      table(
        ['case', 'steps counted (runs)', 'left out (waited for a slot)', 'dep end → start p50', 'p99', 'max', 'ready → start p50', 'p99', 'target', 'verdict'],
        R.latency.map((l) => [
          `\`${l.id}\``,
          `${fmtInt(l.steps)} (${l.runs})`,
          fmtInt(l.queued),
          fmtMs(l.dep.p50),
          fmtMs(l.dep.p99),
          fmtMs(l.dep.max),
          fmtMs(l.ready.p50),
          fmtMs(l.ready.p99),
          'p50 ≤ 2 ms, p99 ≤ 10 ms',
          l.dep.p50 === null ? 'n/a' : verdict(l.dep.p50, 2) === 'pass' && verdict(l.dep.p99, 10) === 'pass' ? 'pass' : '**FAIL**',
        ]),
      ),
      '',
    );
    out.push(R.latency.map((l) => `\`${l.id}\`: ${l.what}; from ${l.cases.map((c) => `\`${c}\``).join(', ')}.`).join(' '), '');
  }

  if (R.startup.length) {
    out.push('## Start-up', '');
    out.push(
      `Median (min–max) of ${C.startupRuns} rounds (order rotated each round)` +
        (C.startupWarmup ? ', run bare, after a warm-up round that measures peak RSS' : '') +
        '; the ratio is taken against `node -e 0` of the same round.',
      '',
    );
    out.push(
      table(
        ['case', 'command', 'time', 'peak RSS', 'ratio to `node -e 0`', 'target', 'verdict'],
        R.startup.map((s) => [
          `\`${s.id}\``,
          s.label + (s.code !== 0 ? ` (exit ${s.code})` : ''),
          fmtRange(s.time),
          fmtMB(s.rssKB),
          s.id === 'startup-node' ? '1×' : fmtRatioRange(s.ratio),
          s.target ? `≤ ${s.target}×` : '',
          s.target ? verdict(s.ratio.median, s.target) : '',
        ]),
      ),
      '',
    );
  }

  if (R.scale.length || R.perStep.length) {
    out.push('## Scale', '');
  }
  if (R.scale.length) {
    out.push(`\`layered\` plans of \`true\` steps; median (min–max) of ${C.scaleRuns} runs, peak RSS the largest of them.`, '');
    if (R.dryRunNote) out.push(`> ${R.dryRunNote}`, '');
    out.push(
      table(
        ['case', 'command', 'steps', 'plan size', 'time', 'peak RSS', 'target', 'verdict'],
        R.scale.map((s) => [
          `\`${s.id}\``,
          s.label,
          fmtInt(s.n),
          `${(s.bytes / 1e6).toFixed(1)} MB`,
          s.time ? fmtRange(s.time) : 'n/a',
          fmtMB(s.rssKB),
          s.largest ? '≤ 3 s, ≤ 300 MB' : '',
          s.largest ? (s.time ? (verdict(s.time.median, 3000) === 'pass' && verdict(s.rssKB, 300 * 1024) === 'pass' ? 'pass' : '**FAIL**') : 'n/a') : '',
        ]),
      ),
      '',
    );
  }
  if (R.perStep.length) {
    out.push(
      `\`engine run\` of \`true\` steps with full recording, ${C.perStepPairs} round(s) of a 1-step, a small and a large plan ` +
        '(order reversed every other round). **per step** = wall time / steps, as the target is stated (start-up included, which ' +
        'flatters the large plan); **marginal** = (wall time − the 1-step run of the same round) / (steps − 1), the cost of one more ' +
        'step. Ratios are large / small, taken round by round; linear growth is 1×. The verdict uses the marginal ratio, the stricter one.',
      '',
    );
    out.push(
      table(
        ['case', '1-step run', 'steps', 'time', 'per step', 'marginal', 'peak RSS', 'steps', 'time', 'per step', 'marginal', 'peak RSS', 'ratio per step', 'ratio marginal', 'target', 'verdict'],
        R.perStep.map((p) => [
          `\`${p.id}\``,
          fmtRange(p.fixed),
          ...[p.small, p.large].flatMap((x) => [fmtInt(x.n), fmtRange(x.time), fmtMs(x.perStep), fmtMs(x.marginal), fmtMB(x.rssKB)]),
          fmtRatioRange(p.ratio),
          fmtRatioRange(p.marginalRatio),
          '≤ 1.2×',
          verdict(p.marginalRatio.median, 1.2),
        ]),
      ),
      '',
    );
  }

  if (R.output) {
    out.push('## Large step output', '');
    out.push(
      `One step, \`head -c ${R.output.bytes} /dev/zero\`, ${C.outputRuns} run(s). The step writes straight into its log file ` +
        `(the log held ${fmtInt(R.output.logBytes)} bytes), so the engine's memory does not depend on the output size.`,
      '',
    );
    out.push(
      table(
        ['case', 'output', 'time', 'engine peak RSS (largest run)', 'target', 'verdict'],
        [['`big-output`', `${(R.output.bytes / 1e6).toFixed(0)} MB`, fmtRange(R.output.time), fmtMB(R.output.rssKB), '≤ 150 MB', verdict(R.output.rssKB, 150 * 1024)]],
      ),
      '',
    );
  }
  if (R.redacted?.length) {
    out.push(
      'A step that received a secret writes into a pipe instead; the engine redacts the secret and its encodings on the way to ' +
        'the log (`big-output-redacted`, same output, wall time of the whole run).',
      '',
      table(
        ['case', 'output', 'time', 'throughput', 'engine peak RSS'],
        R.redacted.map((r) => ['`big-output-redacted`', `${(r.bytes / 1e6).toFixed(0)} MB`, fmtRange(r.time), `${r.mbPerS.toFixed(0)} MB/s`, fmtMB(r.rssKB)]),
      ),
      '',
    );
  }

  if (R.spawnCost) {
    const s = R.spawnCost;
    const sp = s.methods.spawn;
    const ps = s.methods.posix_spawn;
    out.push('## Spawning: child_process vs posix_spawn vs execa', '');
    out.push(
      `\`bench/spawn-cost.mjs\`: ${s.count} \`true\` processes, ${s.concurrency} at a time, spawned as the engine's launchers do ` +
        '(own process group, stdin ignored, stdout and stderr to a log file descriptor): `child_process.spawn` (detached), ' +
        'execa 9 over it, and the native addon `build/Release/engine_spawn.node` called as the `posix_spawn` launcher calls it ' +
        '(environment as `K=V` strings, cwd, log descriptor, exit callback). Each measurement in a fresh Node process; ' +
        `median of ${s.rounds} alternating round(s).`,
      '',
    );
    const methodName = { spawn: '`child_process.spawn`', execa: '`execa` 9', posix_spawn: '`posix_spawn` (native addon)' };
    const rows = Object.entries(s.methods).map(([, v]) => [
      '`spawn-cost`',
      methodName[v.method] + (v.ballastMB ? `, from a process holding ${v.ballastMB} MB more` : ''),
      v.msPerProcess.toFixed(2),
      v.msPerProcessAll.map((x) => x.toFixed(2)).join(', '),
      fmtMB(v.maxRssKB),
    ]);
    if (s.posixSpawnUnavailable) rows.push(['`spawn-cost`', methodName.posix_spawn, s.posixSpawnUnavailable, '', '']);
    out.push(table(['case', 'method', 'ms per process', 'rounds (ms per process)', 'peak RSS of the Node process'], rows), '');
    out.push(
      `execa costs ${fmtRatio(s.execaOverSpawn)} the time of \`child_process.spawn\` per process and ${fmtMB(s.methods.execa.maxRssKB - sp.maxRssKB)} more memory` +
        (ps ? `; \`child_process.spawn\` costs ${fmtRatio(s.spawnOverPosixSpawn)} the time of \`posix_spawn\`.` : `; \`posix_spawn\` was not measured (${s.posixSpawnUnavailable}).`) +
        ' The engine (`src/engine/process/launch.ts`) starts steps with `posix_spawn` where the addon is built, because it is the ' +
        'cheapest and does not copy the engine\'s page tables, and falls back to `node:child_process`, which works everywhere ' +
        'with nothing to compile; execa starts no steps (it runs only the command checks of step preconditions, src/engine/preconditions.ts, and the CLI in the tests).',
      '',
    );
    const heavy = s.methods['spawn-ballast'];
    if (heavy) {
      const psHeavy = s.methods['posix_spawn-ballast'];
      out.push(
        `The ballast rows are the reason the engine's own memory matters for throughput: on Linux, libuv's \`uv_spawn\` ` +
          `fork()s the parent, and fork() gets slower with the parent's resident memory (${fmtMB(sp.maxRssKB)}: ` +
          `${sp.msPerProcess.toFixed(2)} ms per process, ${fmtMB(heavy.maxRssKB)}: ${heavy.msPerProcess.toFixed(2)} ms)` +
          (ps && psHeavy
            ? `, while glibc's posix_spawn uses clone(CLONE_VM | CLONE_VFORK), which copies no page tables (${fmtMB(ps.maxRssKB)}: ` +
              `${ps.msPerProcess.toFixed(2)} ms, ${fmtMB(psHeavy.maxRssKB)}: ${psHeavy.msPerProcess.toFixed(2)} ms).`
            : '.'),
        '',
      );
    }
  }

  if (R.profile) {
    const p = R.profile;
    out.push('## Where the engine\'s time goes', '');
    out.push(
      `\`node --cpu-prof dist/cli.js run\` of a chain of ${fmtInt(p.n)} \`true\` steps (concurrency ${JOBS}, full recording): ` +
        `${fmtMs(p.totalMs)} profiled, ${(p.busyShare * 100).toFixed(0)}% of it not idle. Top functions by self time:`,
      '',
    );
    out.push(
      table(
        ['function', 'self time', 'share', 'mostly under (engine code)'],
        p.top.map((t) => [`\`${t.fn}\``, fmtMs(t.ms), `${(t.share * 100).toFixed(1)}%`, t.caller ? `\`${t.caller}\` (${(t.callerShare * 100).toFixed(0)}%)` : '']),
      ),
      '',
    );
    if (m.launcherName === 'posix_spawn') {
      out.push(
        'The engine used its `posix_spawn` launcher here (see the machine table): `launch` (src/engine/process/launch-posix-spawn.ts) ' +
          'turns the step\'s environment into `K=V` strings and calls the native addon, whose posix_spawn(3) blocks the main ' +
          'thread until the child has exec\'d (clone with CLONE_VFORK). While it runs no other step can be started or finished; ' +
          'unlike fork it copies none of the engine\'s page tables, so it does not grow with the engine\'s memory (see the ' +
          'ballast rows of the spawn section). The sampling profiler inflates it: unprofiled, the same call takes 0.15–0.25 ms ' +
          'in a chain (docs/PERFORMANCE.md). `(idle)` is the main thread waiting for a step to exit. Log files are created ahead ' +
          'of time in libuv\'s thread pool (src/engine/log-prefetch.ts), so `open` on the main thread is only the hand-over ' +
          '(under `want`), or the fallback under `startAttempt` when a file was not ready; then comes the recording (the ' +
          'batched SQLite transactions, JSON lines).',
        '',
      );
    } else {
      out.push(
        '`ChildProcess.spawn` (node:internal/child_process) is libuv\'s `uv_spawn`: it fork()s the engine and blocks, on the ' +
          'main thread, until the child has exec\'d (or failed to). While it runs no other step can be started or finished, so ' +
          'with `true` steps the per-step cost is mostly this synchronous fork+exec, and it grows with the engine\'s resident ' +
          'memory (see the ballast rows of the spawn section; the peak RSS of the 1,000- and 10,000-step runs in the Scale section ' +
          'shows how the engine grows with the plan). Opening each attempt\'s log file (`open` under `startAttempt`) and the ' +
          'recording (the batched SQLite transactions, JSON lines) come next.',
        '',
      );
    }
  }

  if (R.workersOut) {
    out.push('## Steps on workers', '', `Enqueue-to-start latency and per-step cost on 2 workers against local: [${basename(R.workersOut)}](${basename(R.workersOut)}) (bench/workers.mjs).`, '');
  }
  if (R.dashboardOut) {
    out.push('## Dashboard', '', `\`engine ui\` against its scale targets: [${basename(R.dashboardOut)}](${basename(R.dashboardOut)}) (bench/ui.mjs).`, '');
  }
  if (R.failures.length) {
    out.push('## Problems', '', ...R.failures.map((f) => `- ${f}`), '');
  }
  return out.join('\n');
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  log(`engine ${relative(ROOT, opts.engine) || opts.engine}, jobs ${JOBS}${opts.quick ? ', quick' : ''}${opts.only.length ? `, only ${opts.only.join(',')}` : ''}; temp ${TMP}`);
  log(`make: ${MAKE ?? 'not installed'}; ninja: ${NINJA ?? 'not installed'}; peak RSS: ${RSS_METHOD}`);
  await checkGenerators();
  if (R.failures.length) throw new BenchError(`generator check failed:\n${R.failures.join('\n')}`);
  await compareTools();
  summarizeLatency();
  await compareLaunchers();
  await comparePolicyCost();
  await compareMatrixCost();
  await startup();
  await scale();
  await bigOutput();
  spawnCost();
  profile();
  dashboard();
  workers();
  R.loadEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const duration = performance.now() - t0Suite;
  const md = markdown(duration);
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${md}\n`);
  log(`wrote ${opts.out} (${(duration / 60000).toFixed(1)} min)`);
  const summaryStart = md.indexOf('## Targets');
  if (summaryStart >= 0) process.stdout.write(`${md.slice(summaryStart, md.indexOf('\n## ', summaryStart + 1))}\n`);
  if (R.failures.length) throw new BenchError(`problems:\n${R.failures.join('\n')}`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench: ${err instanceof BenchError ? err.message : err.stack}\n`);
  process.exitCode = 1;
} finally {
  if (opts.keep) log(`kept ${TMP}`);
  else rmSync(TMP, { recursive: true, force: true });
}
