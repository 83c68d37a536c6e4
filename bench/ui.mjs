#!/usr/bin/env node
/**
 * Benchmarks of the dashboard (`engine ui`) against the scale targets of issue 12; writes
 * docs/BENCHMARKS-dashboard.md. Run by `npm run bench` (bench/run.mjs), or alone after a build:
 *
 *   node bench/ui.mjs [--quick] [--out FILE] [--soak-sec N]
 *
 * It fills a scratch state directory with the engine's own runs.db writer (SqliteSink, from
 * dist/): 10,000 finished runs, a finished 1,000-step run with a 100 MB log, and a live
 * 1,000-step run that this script drives (events committed as an engine would, a log growing)
 * while Chromium shows it. Measured: `/api/runs?limit=50` latency, how long the pages take to
 * show rows, steps and a log's end, the delay from an event's commit to the page showing it,
 * the page's longest stall, the server's memory over the soak, and its CPU while nothing runs.
 *
 * Browser cases need Chromium (/usr/bin/chromium or $CHROMIUM_PATH); without it they are
 * reported as skipped. Exit 1 when something broke (not when a target is missed).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fmtInt, median, percentile } from './measure.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function parseArgs(argv) {
  const o = { quick: false, out: join(ROOT, 'docs/BENCHMARKS-dashboard.md'), soakSec: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--soak-sec') o.soakSec = Number(argv[++i]);
    else throw new Error(`bench/ui.mjs: unknown option ${a}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const SIZES = opts.quick
  ? { runs: 200, bigSteps: 100, logBytes: 2_000_000, apiRequests: 20, pageLoads: 1, soakSec: opts.soakSec ?? 3, idleSec: 2 }
  : { runs: 10_000, bigSteps: 1_000, logBytes: 100_000_000, apiRequests: 200, pageLoads: 5, soakSec: opts.soakSec ?? 60, idleSec: 10 };

const { SqliteSink } = await import(join(ROOT, 'dist/state/sinks/sqlite-sink.js'));
const { stepLogPath, runsDbPath } = await import(join(ROOT, 'dist/state/store/paths.js'));

const TMP = mkdtempSync(join(tmpdir(), 'engine-bench-ui-'));
const STATE = join(TMP, 'state');
const log = (msg) => process.stderr.write(`[bench ui] ${msg}\n`);

// ---- a state directory, written as engines would -------------------------------------------

let clockMs = Date.parse('2025-01-01T00:00:00.000Z');
const iso = (ms) => new Date(ms).toISOString();
const runIdAt = (ms, n) => `${iso(ms).replace(/[-:.]/g, '').replace('T', 'T').slice(0, 18)}Z-${n.toString(16).padStart(6, '0')}`;

/** A run's events, stamped with seq/ts/run_id as the engine's recorder does. */
class RunWriter {
  constructor(sink, runId) {
    this.sink = sink;
    this.runId = runId;
    this.seq = 0;
  }
  emit(draft, tsMs = clockMs) {
    const event = { seq: ++this.seq, ts: iso(tsMs), run_id: this.runId, ...draft };
    this.sink.write([{ event, json: JSON.stringify(event) }]);
  }
  started(planId, steps) {
    this.emit({
      type: 'run_started', plan_id: planId, plan_version: '1', plan_path: `/plans/${planId}.json`, plan_sha256: '0'.repeat(64),
      cwd: '/work', vars: { RUN_ID: this.runId, TOKEN: '***' }, max_concurrency: 2, pid: process.pid, hostname: hostname(),
      steps: steps.map((s) => ({ id: s.id, name: s.id, depends_on: s.deps, trigger_rule: 'all_success', on_failure: 'abort', critical: true })),
    });
  }
  stepStarted(stepId, atMs) {
    this.emit({
      type: 'step_started', step_id: stepId, attempt: 1, pid: process.pid, command: 'true', args: [], cwd: '/work',
      log_path: stepLogPath(STATE, this.runId, stepId, 1), ready_at_ms: atMs - 1, started_at_ms: atMs,
    }, atMs);
  }
  stepEnded(stepId, ok, atMs, durationMs) {
    if (ok) this.emit({ type: 'step_succeeded', step_id: stepId, attempt: 1, exit_code: 0, duration_ms: durationMs, ended_at_ms: atMs }, atMs);
    else this.emit({ type: 'step_failed', step_id: stepId, attempt: 1, exit_code: 1, signal: null, duration_ms: durationMs, reason: 'exit_code', error: 'exit code 1 (expected 0)', ended_at_ms: atMs, will_retry: false }, atMs);
  }
  finished(status, counts, durationMs) {
    this.emit({ type: 'run_finished', status, exit_code: status === 'succeeded' ? 0 : 1, duration_ms: durationMs, ...counts });
  }
}

/** Layered DAG: `width` steps per layer, each depending on two steps of the layer above. */
function layered(n, width) {
  return Array.from({ length: n }, (_, i) => {
    const layer = Math.floor(i / width);
    const deps = layer === 0 ? [] : [...new Set([(layer - 1) * width + (i % width), (layer - 1) * width + ((i + 1) % width)])].map((d) => `s${d}`);
    return { id: `s${i}`, deps };
  });
}

function finishedRun(sink, runId, planId, steps, failAt = -1) {
  const w = new RunWriter(sink, runId);
  const t0 = clockMs;
  w.started(planId, steps);
  let t = t0;
  const counts = { succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (let i = 0; i < steps.length; i++) {
    if (counts.failed > 0) break;
    t += 3;
    w.stepStarted(steps[i].id, t);
    t += 2;
    const ok = i !== failAt;
    w.stepEnded(steps[i].id, ok, t, 2);
    counts[ok ? 'succeeded' : 'failed']++;
  }
  clockMs = t + 1;
  w.finished(counts.failed ? 'failed' : 'succeeded', counts, t - t0);
}

function fillState() {
  mkdirSync(STATE, { recursive: true });
  const sink = new SqliteSink(runsDbPath(STATE), { heartbeatMs: 0 });
  const small = layered(3, 1);
  for (let i = 0; i < SIZES.runs; i++) {
    clockMs += 60_000;
    finishedRun(sink, runIdAt(clockMs, i), `plan-${i % 10}`, small, i % 7 === 0 ? 1 : -1);
    if (i % 500 === 499) sink.flush();
  }
  clockMs += 60_000;
  const big = runIdAt(clockMs, 0xb16);
  const bigSteps = layered(SIZES.bigSteps, 20);
  finishedRun(sink, big, 'big', bigSteps);
  sink.close();
  // The big run's last step printed a log of logBytes: 100-byte lines.
  const logPath = stepLogPath(STATE, big, bigSteps.at(-1).id, 1);
  mkdirSync(dirname(logPath), { recursive: true });
  const line = `${'x'.repeat(80)} line `;
  const chunk = [];
  let n = 0;
  for (let written = 0; written < SIZES.logBytes; ) {
    const text = `${line}${String(++n).padStart(12, '0')}\n`;
    chunk.push(text);
    written += text.length;
    if (chunk.length === 10_000) appendFileSync(logPath, chunk.splice(0).join(''));
  }
  appendFileSync(logPath, `${chunk.join('')}the very last line\n`);
  return { big, bigLastStep: bigSteps.at(-1).id, bigSteps };
}

// ---- the dashboard -------------------------------------------------------------------------

async function startDashboard() {
  const proc = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), 'ui', '--port', '0', '--state-dir', STATE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`engine ui exited with ${code}`)));
  });
  const url = first.replace(/^engine ui: /, '');
  return {
    proc,
    url,
    rssKB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))[1]),
    // utime + stime of /proc/<pid>/stat, in clock ticks (100 per second on Linux).
    cpuTicks: () => readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).reduce((n, t) => n + Number(t), 0),
  };
}

async function timeRequests(url, n) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    ms.push(performance.now() - t0);
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
  }
  return ms;
}

// ---- the browser ---------------------------------------------------------------------------

async function launchBrowser() {
  if (!existsSync(CHROMIUM)) return null;
  const { chromium } = await import('playwright-core');
  const profile = join(TMP, 'chromium-profile');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
  return context;
}

/** Milliseconds from starting to load `url` to `selector` being visible, `n` times. */
async function timePage(context, url, selector, n) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await page.locator(selector).first().waitFor({ state: 'visible', timeout: 30_000 });
    ms.push(performance.now() - t0);
    await page.close();
  }
  return ms;
}

// ---- the live soak -------------------------------------------------------------------------

/**
 * Drives a live `SIZES.bigSteps`-step run for `soakSec` s while the run page and a growing
 * step log are open: steps start and succeed evenly over the soak (about 33 events/s for
 * 1,000 steps in 60 s), the log grows by 200 lines/s. Returns event→page delays, the page's longest stall and RSS samples.
 */
async function soak(context, ui, steps) {
  const sink = new SqliteSink(runsDbPath(STATE), { heartbeatMs: 0 });
  const runId = runIdAt(Date.now(), 0x11fe);
  const w = new RunWriter(sink, runId);
  w.started('live', steps);
  const logStep = steps[0].id;
  w.stepStarted(logStep, Date.now());
  sink.flush();
  const logPath = stepLogPath(STATE, runId, logStep, 1);
  mkdirSync(dirname(logPath), { recursive: true });
  writeFileSync(logPath, '');

  const runPage = await context?.newPage();
  const logPage = await context?.newPage();
  if (runPage) {
    await runPage.goto(`${ui.url}runs/${runId}`);
    await runPage.locator('.step-table [data-step-id]').first().waitFor({ timeout: 30_000 });
    // The longest gap between two 50 ms timer ticks: how long the page was busy at once.
    await runPage.evaluate(() => {
      window.__stallMs = 0;
      let last = performance.now();
      setInterval(() => {
        const now = performance.now();
        window.__stallMs = Math.max(window.__stallMs, now - last - 50);
        last = now;
      }, 50);
    });
    await logPage.goto(`${ui.url}runs/${runId}/steps/${logStep}`);
  }

  const delaysMs = [];
  const rss = [];
  const endAt = Date.now() + SIZES.soakSec * 1000;
  let next = 1;
  let done = 0;
  let lines = 0;
  let lastRssAt = 0;
  let lastMeasured = 0;
  // The steps are spread over the whole soak: this many finish per 50 ms tick.
  const perTick = (steps.length - 2) / (SIZES.soakSec * 20);
  let owed = 0;
  while (Date.now() < endAt) {
    for (owed += perTick; owed >= 1 && next < steps.length - 1; owed--, next++) {
      const now = Date.now();
      w.stepStarted(steps[next].id, now);
      w.stepEnded(steps[next].id, true, now + 1, 1);
      done++;
    }
    sink.flush();
    const committedAt = performance.now();
    appendFileSync(logPath, Array.from({ length: 10 }, () => `\u001b[32mok\u001b[0m line ${++lines} of the live log\n`).join(''));
    if (runPage && done > 0 && done % 40 === 0 && done !== lastMeasured) {
      lastMeasured = done;
      // The header's progress says how many steps have finished: wait for this commit's count.
      await runPage.locator(`.run-header .progress[data-done="${done}"]`).waitFor({ timeout: 10_000 });
      delaysMs.push(performance.now() - committedAt);
    }
    if (Date.now() - lastRssAt >= 1000) {
      rss.push(ui.rssKB());
      lastRssAt = Date.now();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stallMs = runPage ? await runPage.evaluate(() => window.__stallMs) : null;
  const logShown = logPage ? await logPage.locator('.log-line', { hasText: `line ${lines} of the live log` }).waitFor({ timeout: 10_000 }).then(() => true, () => false) : null;
  sink.close();
  await runPage?.close();
  await logPage?.close();
  return { delaysMs, stallMs, rss, events: done * 2, lines, logShown };
}

// ---- report --------------------------------------------------------------------------------

const fmt = (ms) => (ms === null || ms === undefined ? 'n/a' : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const verdict = (value, limit) => (value === null || value === undefined ? 'skipped' : value <= limit ? 'pass' : '**FAIL**');

async function main() {
  const t0 = performance.now();
  log(`filling ${STATE}: ${fmtInt(SIZES.runs)} runs, a ${fmtInt(SIZES.bigSteps)}-step run, a ${(SIZES.logBytes / 1e6).toFixed(0)} MB log`);
  const { big, bigLastStep, bigSteps } = fillState();
  const ui = await startDashboard();
  const rows = [];
  try {
    log('API');
    const list = await timeRequests(`${ui.url}api/runs?limit=50`, SIZES.apiRequests);
    const filtered = await timeRequests(`${ui.url}api/runs?limit=50&status=failed&plan=plan-3`, SIZES.apiRequests);
    const text = await timeRequests(`${ui.url}api/runs?limit=50&q=plan-7`, SIZES.apiRequests);
    // What the runs page asks by default: top-level runs only (child runs nested under them).
    const top = await timeRequests(`${ui.url}api/runs?limit=50&top_level=1`, SIZES.apiRequests);
    const middle = (await (await fetch(`${ui.url}api/runs?limit=${Math.min(500, Math.floor(SIZES.runs / 2))}`)).json()).next;
    const deep = await timeRequests(`${ui.url}api/runs?limit=50&before=${middle}`, SIZES.apiRequests);
    const detail = await timeRequests(`${ui.url}api/runs/${big}`, Math.max(3, SIZES.apiRequests / 10));
    const tail = await timeRequests(`${ui.url}api/runs/${big}/steps/${bigLastStep}/attempts/1/log?offset=${SIZES.logBytes - 65_536}`, SIZES.apiRequests);
    rows.push(['`api-runs`', `\`GET /api/runs?limit=50\` over ${fmtInt(SIZES.runs + 1)} runs, median (p95)`, `${fmt(median(list))} (${fmt(percentile(list, 95))})`, '≤ 20 ms', verdict(median(list), 20)]);
    rows.push(['`api-runs-filtered`', 'the same with `status=failed&plan=plan-3`', `${fmt(median(filtered))} (${fmt(percentile(filtered, 95))})`, '', '']);
    rows.push(['`api-runs-text`', 'the same with `q=plan-7` (a scan of run ids and plan ids)', `${fmt(median(text))} (${fmt(percentile(text, 95))})`, '', '']);
    rows.push(['`api-runs-top`', 'the same with `top_level=1` (the runs page\'s default: no child runs)', `${fmt(median(top))} (${fmt(percentile(top, 95))})`, '', '']);
    rows.push(['`api-runs-deep`', 'the same from the middle of the list (`before=`)', `${fmt(median(deep))} (${fmt(percentile(deep, 95))})`, '', '']);
    rows.push(['`api-run-big`', `\`GET /api/runs/<id>\` of the ${fmtInt(SIZES.bigSteps)}-step run (steps and attempts), median`, fmt(median(detail)), '', '']);
    rows.push(['`api-log-tail`', `the last 64 KiB of a ${(SIZES.logBytes / 1e6).toFixed(0)} MB log (\`?offset=\`), median`, fmt(median(tail)), '', '']);

    const context = await launchBrowser();
    if (context === null) log(`no Chromium at ${CHROMIUM}: browser cases skipped`);
    let pages = {};
    if (context) {
      log('pages');
      // One load first, untimed: a user's browser is already running when they open the page.
      await timePage(context, ui.url, 'tr[data-run-id]', 1);
      pages = {
        runs: median(await timePage(context, ui.url, 'tr[data-run-id]', SIZES.pageLoads)),
        big: median(await timePage(context, `${ui.url}runs/${big}`, '.step-table [data-step-id]', SIZES.pageLoads)),
        graph: median(await timePage(context, `${ui.url}runs/${big}`, '.dag svg', SIZES.pageLoads)),
        logEnd: median(await timePage(context, `${ui.url}runs/${big}/steps/${bigLastStep}`, '.log-line >> text=the very last line', SIZES.pageLoads)),
      };
    }
    rows.push(['`page-runs`', 'runs page: load to the first run row visible, median', fmt(pages.runs), '≤ 500 ms', verdict(pages.runs, 500)]);
    rows.push(['`page-run-big`', `run page of ${fmtInt(SIZES.bigSteps)} steps: load to step rows visible, median`, fmt(pages.big), '≤ 1 s', verdict(pages.big, 1000)]);
    rows.push(['`page-run-graph`', `the same page: load to its graph drawn (levels above 300 steps), median`, fmt(pages.graph), '', '']);
    rows.push(['`page-log-end`', `step page: load to the last line of a ${(SIZES.logBytes / 1e6).toFixed(0)} MB log visible, median`, fmt(pages.logEnd), '≤ 1 s', verdict(pages.logEnd, 1000)]);

    log(`idle, ${SIZES.idleSec} s`);
    const idlePage = await context?.newPage();
    await idlePage?.goto(`${ui.url}runs/${big}`);
    await idlePage?.locator('.dag svg').waitFor({ timeout: 30_000 });
    const ticks0 = ui.cpuTicks();
    await new Promise((r) => setTimeout(r, SIZES.idleSec * 1000));
    const idleCpu = (ui.cpuTicks() - ticks0) / (SIZES.idleSec * 100);
    await idlePage?.close();
    rows.push(['`idle-cpu`', `server CPU while nothing runs and a run page stays open (${SIZES.idleSec} s)`, `${(100 * idleCpu).toFixed(1)} % of a core`, 'idle', idleCpu <= 0.01 ? 'pass' : '**FAIL**']);

    log(`live soak, ${SIZES.soakSec} s`);
    const rssBefore = ui.rssKB();
    const s = await soak(context, ui, layered(SIZES.bigSteps, 20));
    const firstTenth = s.rss.slice(0, Math.max(1, Math.ceil(s.rss.length / 10)));
    const lastTenth = s.rss.slice(-Math.max(1, Math.ceil(s.rss.length / 10)));
    const growthMB = (median(lastTenth) - median(firstTenth)) / 1024;
    rows.push(['`live-latency`', `event committed → run page shows it, during the soak (${s.delaysMs.length} samples), median (max)`, s.delaysMs.length ? `${fmt(median(s.delaysMs))} (${fmt(Math.max(...s.delaysMs))})` : 'n/a', '≤ 1 s (target 250 ms)', verdict(s.delaysMs.length ? Math.max(...s.delaysMs) : null, 1000)]);
    rows.push(['`live-stall`', `longest the live ${fmtInt(SIZES.bigSteps)}-step run page was busy at once (${fmtInt(s.events)} events, ${fmtInt(s.lines)} log lines streamed)`, fmt(s.stallMs), '', '']);
    rows.push(['`live-log`', 'the growing log shows its last line at the end of the soak', s.logShown === null ? 'n/a' : String(s.logShown), 'true', s.logShown === null ? 'skipped' : s.logShown ? 'pass' : '**FAIL**']);
    rows.push(['`live-rss`', `server RSS over the ${SIZES.soakSec} s soak: before, first tenth → last tenth (max)`, `${(rssBefore / 1024).toFixed(0)} MB, ${(median(firstTenth) / 1024).toFixed(0)} → ${(median(lastTenth) / 1024).toFixed(0)} MB (${(Math.max(...s.rss) / 1024).toFixed(0)} MB)`, 'flat', opts.quick ? 'skipped' : growthMB <= 10 ? 'pass' : '**FAIL**']);
    await context?.close();
  } finally {
    ui.proc.kill('SIGTERM');
    await new Promise((r) => ui.proc.once('exit', r));
  }
  const out = [
    '# Dashboard benchmarks',
    '',
    'Generated by `bench/ui.mjs` (run by `npm run bench`, or alone: `node bench/ui.mjs`); do not edit by hand.',
    'A scratch state directory is filled with the engine\'s own runs.db writer; the dashboard is the built CLI\'s',
    '`engine ui`; pages are loaded in headless Chromium (the time from starting the navigation to the element being visible).',
    '',
    opts.quick ? '> **Quick mode** (`--quick`): tiny sizes; the verdicts are not meaningful.\n' : '',
    `This run: ${((performance.now() - t0) / 60000).toFixed(1)} min on ${hostname()}.`,
    '',
    '| id | what | measured | target | verdict |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, out);
  process.stdout.write(out);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench ui: ${err.stack}\n`);
  process.exitCode = 1;
} finally {
  rmSync(TMP, { recursive: true, force: true });
}
