#!/usr/bin/env node
/**
 * Cost of starting a process from Node: node:child_process.spawn vs execa 9, spawned the way
 * the engine's executor spawns a step (detached into its own process group, stdin ignored,
 * stdout and stderr to a log file descriptor), `--count` (500) `true` processes with
 * `--concurrency` (2) of them running at once.
 *
 *   node bench/spawn-cost.mjs [--count 500] [--concurrency 2] [--rounds 3] [--ballast MB] [--json]
 *
 * Each measurement runs in a fresh Node process (`--method spawn|execa`), so the peak RSS
 * (process.resourceUsage().maxRSS) belongs to that method alone; rounds alternate the two
 * methods and the medians are reported.
 *
 * `--ballast MB` (default 100) adds one more measurement: child_process.spawn from a process
 * holding MB more memory (touched Buffers). On Linux, libuv's uv_spawn forks the parent, and
 * the cost of fork() grows with the parent's resident memory, so a bigger engine spawns slower.
 */
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const METHODS = ['spawn', 'execa'];

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

/** One process, spawned as the executor does. Resolves with its exit code. */
async function spawnOne(method, logPath, execa) {
  const fd = openSync(logPath, 'w');
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
  const ballast = Array.from({ length: ballastMB }, () => Buffer.alloc(1 << 20, 1));
  const dir = mkdtempSync(join(tmpdir(), 'engine-spawn-cost-'));
  try {
    // Warm-up: load the code paths once.
    await spawnOne(method, join(dir, 'warm.log'), execa);
    let next = 0;
    let failures = 0;
    const t0 = performance.now();
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const code = await spawnOne(method, join(dir, `${i % 64}.log`), execa);
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

/** Runs `rounds` alternating measurements, each in a child Node process. */
export function compare({ count = 500, concurrency = 2, rounds = 3, ballast = 100 } = {}) {
  const self = fileURLToPath(import.meta.url);
  const variants = [...METHODS.map((m) => ({ key: m, method: m, ballast: 0 })), ...(ballast > 0 ? [{ key: 'spawn-ballast', method: 'spawn', ballast }] : [])];
  const runs = Object.fromEntries(variants.map((v) => [v.key, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const args = [self, '--method', v.method, '--count', String(count), '--concurrency', String(concurrency), '--ballast', String(v.ballast), '--json'];
      runs[v.key].push(JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })));
    }
  }
  const result = { count, concurrency, rounds, ballast, methods: {} };
  for (const v of variants) {
    result.methods[v.key] = {
      method: v.method,
      ballastMB: v.ballast,
      msPerProcess: median(runs[v.key].map((x) => x.msPerProcess)),
      msPerProcessAll: runs[v.key].map((x) => x.msPerProcess),
      maxRssKB: median(runs[v.key].map((x) => x.maxRssKB)),
    };
  }
  result.execaOverSpawn = result.methods.execa.msPerProcess / result.methods.spawn.msPerProcess;
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
    console.log(`${name.padEnd(26)} ${x.msPerProcess.toFixed(3)} ms/process  peak RSS ${(x.maxRssKB / 1024).toFixed(1)} MB`);
  }
  console.log(`execa / spawn: ${r.execaOverSpawn.toFixed(2)}x`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(`spawn-cost: ${err.message}`);
    process.exit(1);
  });
}
