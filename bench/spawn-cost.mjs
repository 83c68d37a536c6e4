#!/usr/bin/env node
/**
 * Cost of starting a process from Node, three ways, each spawning a step the way the engine's
 * launchers do (own session and process group, stdin ignored, stdout and stderr to a log file
 * descriptor): `--count` (500) `true` processes with `--concurrency` (2) of them running at once.
 *
 *   - `spawn`: node:child_process.spawn (detached): libuv's uv_spawn, fork + exec. The engine's
 *     `child_process` launcher, its fallback.
 *   - `execa`: execa 9 over child_process, for comparison (the engine does not use it).
 *   - `posix_spawn`: the native addon build/Release/engine_spawn.node (native/posix_spawn.c),
 *     called as the engine's `posix_spawn` launcher calls it: the environment as "K=V" strings,
 *     the cwd, the log descriptor, an exit callback. Skipped, with the reason recorded
 *     (`posixSpawnUnavailable`: "not built: …" or "not available: …"), when the addon is missing
 *     or reports `available: false`.
 *
 *   node bench/spawn-cost.mjs [--count 500] [--concurrency 2] [--rounds 3] [--ballast MB] [--json]
 *
 * Each measurement runs in a fresh Node process (`--method spawn|execa|posix_spawn`), so the
 * peak RSS (process.resourceUsage().maxRSS) belongs to that method alone; rounds alternate the
 * methods and the medians are reported.
 *
 * `--ballast MB` (default 100; 0 = off) adds measurements of `spawn` and `posix_spawn` from a
 * process holding MB more memory (touched Buffers). On Linux, uv_spawn forks the parent, and the
 * cost of fork() grows with the parent's resident memory, so a bigger engine spawns slower;
 * glibc's posix_spawn uses clone(CLONE_VM | CLONE_VFORK), which copies no page tables, so its
 * cost should not grow.
 */
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const METHODS = ['spawn', 'execa', 'posix_spawn'];
const ADDON = fileURLToPath(new URL('../build/Release/engine_spawn.node', import.meta.url));

/**
 * The native addon, or why it cannot be used: `{ addon }` or `{ unavailable: 'not built: …' |
 * 'not available: …' }`.
 */
export function loadAddon() {
  if (!existsSync(ADDON)) return { unavailable: `not built: build/Release/engine_spawn.node is missing (run \`npm run build:native\`)` };
  let addon;
  try {
    addon = createRequire(import.meta.url)(ADDON);
  } catch (err) {
    return { unavailable: `not built: build/Release/engine_spawn.node cannot be loaded: ${err.message.split('\n')[0]}` };
  }
  if (!addon.available) return { unavailable: `not available: ${addon.unavailableReason || 'the addon reports available: false'}` };
  return { addon };
}

function parseArgs(argv) {
  const o = { count: 500, concurrency: 2, rounds: 3, ballast: 100, json: false, method: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--count') o.count = Number(value());
    else if (a === '--concurrency') o.concurrency = Number(value());
    else if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--method') o.method = value();
    else if (a === '--ballast') o.ballast = Number(value());
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const k of ['count', 'concurrency', 'rounds']) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`--${k} must be an integer >= 1`);
  }
  if (!Number.isInteger(o.ballast) || o.ballast < 0) throw new Error('--ballast must be an integer >= 0 (MB)');
  if (o.method !== null && !METHODS.includes(o.method)) throw new Error(`--method must be one of ${METHODS.join(', ')}`);
  return o;
}

/** The environment as the posix_spawn launcher passes it: "KEY=VALUE" strings. */
function envStrings(env) {
  const out = [];
  for (const key in env) {
    const value = env[key];
    if (value !== undefined) out.push(`${key}=${value}`);
  }
  return out;
}

/** One process, spawned as the executor does. Resolves with its exit code. */
async function spawnOne(method, logPath, execa, addon) {
  const fd = openSync(logPath, 'w');
  if (method === 'posix_spawn') {
    let resolveExit;
    const exited = new Promise((resolve) => (resolveExit = resolve));
    try {
      addon.spawn('true', [], envStrings(process.env), process.cwd(), fd, (code, signal) => resolveExit(code ?? `signal ${signal}`));
    } finally {
      closeSync(fd);
    }
    return exited;
  }
  if (method === 'spawn') {
    const child = spawn('true', [], { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => resolve(code));
    });
  }
  try {
    const r = await execa('true', [], { detached: true, stdin: 'ignore', stdout: fd, stderr: fd, reject: false });
    return r.exitCode;
  } finally {
    closeSync(fd);
  }
}

/** Runs one measurement in this process and returns its numbers. */
async function measureHere(method, count, concurrency, ballastMB = 0) {
  const execa = method === 'execa' ? (await import('execa')).execa : null;
  let addon = null;
  if (method === 'posix_spawn') {
    const loaded = loadAddon();
    if (!loaded.addon) throw new Error(`posix_spawn: ${loaded.unavailable}`);
    addon = loaded.addon;
  }
  const ballast = Array.from({ length: ballastMB }, () => Buffer.alloc(1 << 20, 1));
  const dir = mkdtempSync(join(tmpdir(), 'engine-spawn-cost-'));
  try {
    // Warm-up: load the code paths once.
    await spawnOne(method, join(dir, 'warm.log'), execa, addon);
    let next = 0;
    let failures = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const code = await spawnOne(method, join(dir, `${i % 64}.log`), execa, addon);
        if (code !== 0) failures++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const ms = performance.now() - t0;
    if (failures > 0) throw new Error(`${failures} of ${count} processes failed`);
    return { method, count, concurrency, ballastMB: ballast.length, ms, msPerProcess: ms / count, maxRssKB: process.resourceUsage().maxRSS };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
};

/**
 * Runs `rounds` alternating measurements, each in a child Node process. posix_spawn is left out
 * when the addon cannot be used here; `posixSpawnUnavailable` then says why.
 */
export function compare({ count = 500, concurrency = 2, rounds = 3, ballast = 100 } = {}) {
  const self = fileURLToPath(import.meta.url);
  const loaded = loadAddon();
  const methods = METHODS.filter((m) => m !== 'posix_spawn' || loaded.addon);
  const heavy = ['spawn', 'posix_spawn'].filter((m) => methods.includes(m));
  const variants = [
    ...methods.map((m) => ({ key: m, method: m, ballast: 0 })),
    ...(ballast > 0 ? heavy.map((m) => ({ key: `${m}-ballast`, method: m, ballast })) : []),
  ];
  const runs = Object.fromEntries(variants.map((v) => [v.key, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const args = [self, '--method', v.method, '--count', String(count), '--concurrency', String(concurrency), '--ballast', String(v.ballast), '--json'];
      runs[v.key].push(JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })));
    }
  }
  const result = { count, concurrency, rounds, ballast, posixSpawnUnavailable: loaded.unavailable ?? null, methods: {} };
  for (const v of variants) {
    result.methods[v.key] = {
      method: v.method,
      ballastMB: v.ballast,
      msPerProcess: median(runs[v.key].map((x) => x.msPerProcess)),
      msPerProcessAll: runs[v.key].map((x) => x.msPerProcess),
      maxRssKB: median(runs[v.key].map((x) => x.maxRssKB)),
    };
  }
  const ms = (key) => result.methods[key]?.msPerProcess;
  result.execaOverSpawn = ms('execa') / ms('spawn');
  result.spawnOverPosixSpawn = result.methods.posix_spawn ? ms('spawn') / ms('posix_spawn') : null;
  return result;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.method) {
    const r = await measureHere(o.method, o.count, o.concurrency, o.ballast);
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else console.log(`${o.method}: ${r.msPerProcess.toFixed(3)} ms/process, peak RSS ${(r.maxRssKB / 1024).toFixed(1)} MB`);
    return;
  }
  const r = compare(o);
  if (o.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  console.log(`${o.count} \`true\` processes, ${o.concurrency} at a time, median of ${o.rounds} rounds`);
  for (const [k, x] of Object.entries(r.methods)) {
    const name = x.ballastMB ? `${x.method} + ${x.ballastMB} MB ballast` : k;
    console.log(`${name.padEnd(32)} ${x.msPerProcess.toFixed(3)} ms/process  peak RSS ${(x.maxRssKB / 1024).toFixed(1)} MB`);
  }
  if (r.posixSpawnUnavailable) console.log(`${'posix_spawn'.padEnd(32)} skipped: ${r.posixSpawnUnavailable}`);
  console.log(`execa / spawn: ${r.execaOverSpawn.toFixed(2)}x`);
  if (r.spawnOverPosixSpawn !== null) console.log(`spawn / posix_spawn: ${r.spawnOverPosixSpawn.toFixed(2)}x`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(`spawn-cost: ${err.message}`);
    process.exit(1);
  });
}
