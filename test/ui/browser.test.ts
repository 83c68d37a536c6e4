/**
 * The dashboard in a real Chromium (Debian's, driven by playwright-core), against runs of the
 * built CLI: live status changes and log lines without a reload, a failed run's root cause,
 * cancelling from the page, deep links and the back button, and no request to any other host.
 * Screenshots of the runs page, a live run and a step log go to test/ui/artifacts/.
 */
import { writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { plan, type Workspace } from '../helpers/cli.js';
import { dashboardPageForThisFile, gate, screenshot, shStep, until, waitForFile, type Browser, type Dashboard } from '../helpers/dashboard.js';

/** How long an element may take to show what the test waits for: generous, never tight. */
const SHOW_MS = 10_000;

const session = dashboardPageForThisFile('engine-ui-browser-', SHOW_MS);
const { runsOf, startRun, shown } = session;
let ws: Workspace, ui: Dashboard, browser: Browser, page: Page;
beforeAll(() => void ({ ws, ui, browser, page } = session));

describe('the runs page', () => {
  it('lists the runs newest first, and a run that starts appears without a reload', async () => {
    await ws.engine(['run', ws.writePlan(plan([{ id: 'one', command: 'true' }], { plan_id: 'quick' }), 'quick.json')]);
    await page.goto(ui.url);
    await shown('tr[data-run-id][data-status="succeeded"]');
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 1));
    const go = gate(ws.dir, 'list');
    const { engine, runId } = await startRun(plan([shStep('wait', waitForFile(go.path))], { plan_id: 'appearing' }), 'appearing.json');
    await shown(`tr[data-run-id="${runId}"][data-status="running"]`);
    await screenshot(page, 'runs-page');
    go.open();
    await shown(`tr[data-run-id="${runId}"][data-status="succeeded"]`);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
    expect(await page.locator('tr[data-run-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run-id')))).toEqual([
      runId,
      (await runsOf('quick'))[0]!.run_id,
    ]);
    expect((await engine).exitCode).toBe(0);
  });
});

describe('a run page', () => {
  it("shows a live run's steps changing status in the graph, the table and the timeline, without a reload", async () => {
    const go = gate(ws.dir, 'steps');
    const { engine, runId } = await startRun(
      plan([shStep('build', waitForFile(go.path)), { id: 'test', command: 'true', depends_on: ['build'] }, { id: 'lint', command: 'true' }], { plan_id: 'live' }),
      'live.json',
    );
    await page.goto(ui.url);
    await page.click(`tr[data-run-id="${runId}"] a`);
    await page.waitForURL(`**/runs/${runId}`);
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 2));
    for (const view of ['.dag', '.step-table', '.timeline']) await shown(`${view} [data-step-id="build"][data-status="running"]`);
    await shown('.dag [data-step-id="test"][data-status="pending"]');
    await shown('.step-table [data-step-id="lint"][data-status="succeeded"]');
    await screenshot(page, 'live-run');
    go.open();
    for (const view of ['.dag', '.step-table', '.timeline']) await shown(`${view} [data-step-id="test"][data-status="succeeded"]`);
    await shown(`.run-header[data-run-id="${runId}"][data-status="succeeded"]`);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(2);
    expect((await engine).exitCode).toBe(0);
  });

  it('selects a step in every view when it is selected in one, and opens its page on a double click', async () => {
    await page.click('.step-table [data-step-id="test"]');
    await shown('.dag .node.selected[data-step-id="test"]');
    await shown('.timeline .tl-row.selected [data-step-id="test"]');
    expect(new URL(page.url()).searchParams.get('step')).toBe('test');
    await page.click('.dag [data-step-id="lint"]');
    await shown('.step-table .selected[data-step-id="lint"]');
    await page.dblclick('.dag [data-step-id="lint"]');
    await shown('.step-header[data-step-id="lint"]');
    expect(new URL(page.url()).pathname).toMatch(/^\/runs\/[^/]+\/steps\/lint$/);
  });

  it('shows the root cause of a failed run: the step, how it failed, what it took down, its last log lines', async () => {
    const broken = plan(
      [
        shStep('compile', 'echo compiling; echo "error: missing semicolon" >&2; exit 2', { on_failure: 'skip_dependents' }),
        { id: 'test', command: 'true', depends_on: ['compile'] },
        { id: 'deploy', command: 'true', depends_on: ['test'] },
        { id: 'docs', command: 'true' },
      ],
      { plan_id: 'broken' },
    );
    expect((await ws.engine(['run', ws.writePlan(broken, 'broken.json')])).exitCode).toBe(1);
    const runId = (await runsOf('broken'))[0]!.run_id;
    await page.goto(new URL(`/runs/${runId}`, ui.url).href);
    const banner = page.locator('.root-cause[data-step-id="compile"][data-status="failed"]');
    await banner.waitFor({ timeout: SHOW_MS });
    await page.locator('.root-cause .log-tail').waitFor({ timeout: SHOW_MS });
    const text = await banner.innerText();
    expect(text).toContain('Failed at step compile: exit code 2 (expected 0)');
    expect(text).toMatch(/It skipped 2: test, deploy/);
    expect(text).toContain('error: missing semicolon');
    await shown('.dag [data-step-id="deploy"][data-status="skipped"]');
  });

  it('cancels a live run from the page, as engine cancel does', async () => {
    const { engine, runId } = await startRun(plan([shStep('forever', 'sleep 60')], { plan_id: 'cancellable' }), 'cancellable.json');
    await page.goto(new URL(`/runs/${runId}`, ui.url).href);
    await shown('.dag [data-step-id="forever"][data-status="running"]');
    await page.click('button[data-action="cancel"]');
    await shown(`.run-header[data-status="cancelled"]`);
    await shown('.step-table [data-step-id="forever"][data-status="cancelled"]');
    expect((await engine).exitCode).toBe(130);
    expect((await runsOf('cancellable'))[0]!.status).toBe('cancelled');
  });
});

describe('resuming from the page', () => {
  it('resumes a failed run with one click; the page follows it to its end', async () => {
    const flag = `${ws.dir}/repaired`;
    const fixable = plan([shStep('check', `test -e '${flag}'`), { id: 'ship', command: 'true', depends_on: ['check'] }], { plan_id: 'repairable' });
    expect((await ws.engine(['run', ws.writePlan(fixable, 'repairable.json')])).exitCode).toBe(1);
    const runId = (await runsOf('repairable'))[0]!.run_id;
    await page.goto(new URL(`/runs/${runId}`, ui.url).href);
    await shown('.root-cause[data-step-id="check"]');
    writeFileSync(flag, '');
    await page.click('button[data-action="resume"]');
    await shown(`.run-header[data-run-id="${runId}"][data-status="succeeded"]`);
    await shown('.step-table [data-step-id="ship"][data-status="succeeded"]');
    expect(await page.locator('.root-cause').count()).toBe(0);
  });
});

describe('a step page', () => {
  it('streams the log lines a running step prints while it runs, ANSI colours rendered', async () => {
    const more = gate(ws.dir, 'more');
    const stop = gate(ws.dir, 'stop');
    const script = `echo 'first line'; ${waitForFile(more.path)}; printf '\\033[32msecond line XYZ\\033[0m\\n'; ${waitForFile(stop.path)}`;
    const { engine, runId } = await startRun(plan([shStep('talk', script)], { plan_id: 'talker' }), 'talker.json');
    // A deep link, opened directly.
    await page.goto(new URL(`/runs/${runId}/steps/talk`, ui.url).href);
    await page.locator('.log-lines', { hasText: 'first line' }).waitFor({ timeout: SHOW_MS });
    more.open();
    const line = page.locator('.log-line', { hasText: 'second line XYZ' });
    await line.waitFor({ timeout: SHOW_MS });
    expect(await page.locator('.step-header').getAttribute('data-status')).toBe('running');
    expect(await line.locator('span').first().getAttribute('style')).toMatch(/color/);
    await screenshot(page, 'step-log');
    stop.open();
    await shown('.log[data-log-ended="true"]');
    await shown('.step-header[data-status="succeeded"]');
    expect((await engine).exitCode).toBe(0);
  });

  it('opens a long log at its end and loads the earlier lines, each once, as one scrolls up', async () => {
    const lines = 4000; // about 190 KB: three 64 KiB reads
    const script = `i=1; while [ $i -le ${lines} ]; do echo "line $i of the long log, padded to be a little longer"; i=$((i+1)); done`;
    expect((await ws.engine(['run', ws.writePlan(plan([shStep('long', script)], { plan_id: 'long' }), 'long.json')])).exitCode).toBe(0);
    const runId = (await runsOf('long'))[0]!.run_id;
    await page.goto(new URL(`/runs/${runId}/steps/long`, ui.url).href);
    await page.locator('.log-line', { hasText: `line ${lines} of` }).waitFor({ timeout: SHOW_MS });
    expect(await page.locator('.log-line', { hasText: /^line 1 of/ }).count()).toBe(0);
    await shown('.log-bar >> text=scroll up for earlier lines');
    const box = page.locator('.log-lines');
    await until('the first line', async () => {
      await box.evaluate((el) => (el.scrollTop = 0));
      return (await page.locator('.log-line', { hasText: /^line 1 of/ }).count()) === 1;
    });
    const firstRows = await page.locator('.log-line').evaluateAll((els) => els.slice(0, 5).map((e) => e.textContent));
    expect(firstRows).toEqual([1, 2, 3, 4, 5].map((n) => `line ${n} of the long log, padded to be a little longer`));
    // One row per line of the file: nothing lost or doubled where the reads joined.
    expect(await box.evaluate((el) => el.scrollHeight)).toBe(lines * 18);
  });

  it('is reached by links, and the back button returns through the pages', async () => {
    const runId = (await runsOf('talker'))[0]!.run_id;
    await page.goto(ui.url);
    await page.click(`tr[data-run-id="${runId}"] a`);
    await shown('.step-table [data-step-id="talk"]');
    await page.click('.step-table [data-step-id="talk"] a');
    await shown('.step-header[data-step-id="talk"]');
    expect(new URL(page.url()).pathname).toBe(`/runs/${runId}/steps/talk`);
    await page.goBack();
    await shown(`.run-header[data-run-id="${runId}"]`);
    await page.goBack();
    await shown(`tr[data-run-id="${runId}"]`);
    expect(new URL(page.url()).pathname).toBe('/');
  });
});

describe('the page', () => {
  it('made no request to any other host than the dashboard', () => {
    expect(browser.foreignRequests).toEqual([]);
  });
});
