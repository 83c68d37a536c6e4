/**
 * Measuring one process: wall time (from just before spawn to its exit, in this process) and
 * peak RSS.
 *
 * Peak RSS, in order of preference:
 *   - GNU time (`/usr/bin/time -f %M -o FILE cmd…`): the kernel's ru_maxrss of the measured
 *     process (precisely: the largest of it and the descendants it waited for; the engine's and
 *     make's children are `true`/`sleep`/`head`, far smaller than the tool itself). It adds one
 *     fork+exec (about 1 ms) to every measured command of every tool alike.
 *   - else polling `/proc/<pid>/status` VmHWM (the kernel's high-water mark, so only the last
 *     reading before exit matters) every few ms;
 *   - else (no /proc) n/a.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

let rssMethodCache;

/** 'gnu-time' | 'proc' | 'none' */
export function rssMethod(tmpDir) {
  if (rssMethodCache) return rssMethodCache;
  // BENCH_RSS_METHOD=proc|none forces a fallback (to test it on a machine that has GNU time).
  const forced = process.env.BENCH_RSS_METHOD;
  if (forced === 'proc' || forced === 'none' || forced === 'gnu-time') return (rssMethodCache = forced);
  const probe = join(tmpDir, 'time-probe.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', probe, 'true'], { stdio: 'ignore' });
  if (r.status === 0 && existsSync(probe) && /^\d+\s*$/m.test(readFileSync(probe, 'utf8'))) rssMethodCache = 'gnu-time';
  else if (existsSync(`/proc/${process.pid}/status`)) rssMethodCache = 'proc';
  else rssMethodCache = 'none';
  rmSync(probe, { force: true });
  return rssMethodCache;
}

export function rssMethodDescription(method) {
  switch (method) {
    case 'gnu-time':
      return 'GNU time `%M` (ru_maxrss) of the measured process';
    case 'proc':
      return '`/proc/<pid>/status` VmHWM, polled every 5 ms (the last reading before exit)';
    default:
      return 'not available on this system';
  }
}

let seq = 0;

/**
 * Runs `cmd args` to completion with stdin and stdout on /dev/null (stderr captured).
 * @param {object} o
 * @param {string} o.tmpDir  scratch directory (GNU time's output file)
 * @param {boolean} [o.rss=true]  measure peak RSS (false: run the command bare, for start-up times)
 * @returns {Promise<{ ms: number, rssKB: number|null, code: number|null, signal: string|null, stderr: string }>}
 */
export function measure(cmd, args, { cwd, env, tmpDir, rss = true }) {
  const method = rss ? rssMethod(tmpDir) : 'none';
  let file = cmd;
  let argv = args;
  let timeOut = null;
  if (method === 'gnu-time') {
    timeOut = join(tmpDir, `time-${process.pid}-${++seq}.txt`);
    file = '/usr/bin/time';
    argv = ['-f', '%M', '-o', timeOut, cmd, ...args];
  }
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let t1 = null;
    let hwm = null;
    let poll = null;
    if (method === 'proc') {
      const statusPath = `/proc/${child.pid}/status`;
      const read = () => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(statusPath, 'utf8'));
          if (m) hwm = Number(m[1]);
        } catch {
          // exited
        }
      };
      read();
      poll = setInterval(read, 5);
    }
    const chunks = [];
    child.stderr.on('data', (c) => chunks.push(c));
    child.once('error', reject);
    child.once('exit', () => {
      t1 = performance.now();
      if (poll) clearInterval(poll);
    });
    child.once('close', (code, signal) => {
      let rssKB = method === 'proc' ? hwm : null;
      let stderr = Buffer.concat(chunks).toString('utf8');
      if (timeOut) {
        try {
          // GNU time writes "Command exited with non-zero status N" before the value.
          const lines = readFileSync(timeOut, 'utf8').trim().split('\n');
          rssKB = Number(lines.at(-1));
          if (!Number.isFinite(rssKB)) rssKB = null;
        } catch {
          rssKB = null;
        }
        rmSync(timeOut, { force: true });
      }
      resolve({ ms: (t1 ?? performance.now()) - t0, rssKB, code, signal, stderr });
    });
  });
}

// ---- statistics ---------------------------------------------------------------------------

export function sorted(xs) {
  return [...xs].sort((a, b) => a - b);
}

/** Percentile with linear interpolation between closest ranks; p in [0, 100]. */
export function percentile(xs, p) {
  if (xs.length === 0) return null;
  const s = sorted(xs);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

export const median = (xs) => percentile(xs, 50);
export const min = (xs) => (xs.length ? Math.min(...xs) : null);
export const max = (xs) => (xs.length ? Math.max(...xs) : null);

export function summary(xs) {
  return { median: median(xs), min: min(xs), max: max(xs), n: xs.length };
}

// ---- formatting ---------------------------------------------------------------------------

export function fmtMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return 'n/a';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtRange(s) {
  if (!s || s.n === 0) return 'n/a';
  if (s.n === 1) return fmtMs(s.median);
  return `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})`;
}

export function fmtMB(kb) {
  if (kb === null || kb === undefined) return 'n/a';
  return `${(kb / 1024).toFixed(kb >= 100 * 1024 ? 0 : 1)} MB`;
}

export function fmtRatio(r, digits = 2) {
  if (r === null || r === undefined || Number.isNaN(r)) return 'n/a';
  return `${r.toFixed(digits)}×`;
}

export function fmtInt(n) {
  return n.toLocaleString('en-US');
}
