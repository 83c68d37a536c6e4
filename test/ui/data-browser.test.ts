/**
 * Issue 13's data on the dashboard, in a real Chromium against runs of the built CLI: a matrix
 * step shown as one group with its instances' counts (table, timeline, one graph node; a
 * 1,000-instance matrix stays one node and one closed row), for_each instances appearing live
 * when the step expands, a step's outputs with a secret one masked, and parent and child runs
 * linked both ways (run header, step panel, runs list nesting child runs under their parent).
 * Screenshots go to test/ui/artifacts/.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { plan, type Workspace } from '../helpers/cli.js';
import type { RunDetail } from '../../src/ui/api-types.js';
import { dashboardPageForThisFile, gate, screenshot, shStep, until, waitForFile, type Browser, type Dashboard } from '../helpers/dashboard.js';

/** How long an element may take to show what the test waits for: generous, never tight. */
const SHOW_MS = 15_000;

const session = dashboardPageForThisFile('engine-ui-data-', SHOW_MS);
const { runsOf, startRun, shown } = session;
let ws: Workspace, ui: Dashboard, browser: Browser, page: Page;
beforeAll(() => void ({ ws, ui, browser, page } = session));

async function api<T>(path: string): Promise<T> {
  return (await (await fetch(new URL(path, ui.url))).json()) as T;
}

async function openRun(runId: string, query = ''): Promise<void> {
  await page.goto(new URL(`/runs/${runId}${query}`, ui.url).href);
  await shown(`.run-header[data-run-id="${runId}"]`);
}

/** A page-global marker: still there later means the page was not reloaded. */
async function mark(): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 13));
}
async function stillMarked(): Promise<boolean> {
  return (await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)) === 13;
}

/** The attribute `name` of every element matching `selector`. */
function attrs(selector: string, name: string): Promise<(string | null)[]> {
  return page.locator(selector).evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name);
}

describe('a matrix step', () => {
  it('is one group with its instances and their counts, in the table, the timeline and the graph', async () => {
    const p = plan(
      [
        { id: 'build', command: 'true' },
        shStep('test', 'echo "result=${matrix.os}-${matrix.py}" >> "$ENGINE_OUTPUT"; [ ${matrix.os} != mac ]', {
          matrix: { os: ['linux', 'mac'], py: ['3.11', '3.12'], exclude: [{ os: 'mac', py: '3.11' }], include: [{ os: 'bsd', py: '3.12' }] },
          tolerated_failures: 1,
          depends_on: ['build'],
        }),
        { id: 'report', command: 'echo', args: ['${steps.test.outputs.result}'], depends_on: ['test'] },
      ],
      { plan_id: 'matrix-ui' },
    );
    const r = await ws.engine(['run', ws.writePlan(p, 'matrix-ui.json')]);
    expect(r.exitCode, r.all).toBe(0);
    const runId = (await runsOf('matrix-ui'))[0]!.run_id;
    await openRun(runId);

    const group = page.locator('.step-table .step-row.group[data-step-id="test"]');
    await group.waitFor({ timeout: SHOW_MS });
    expect(await group.getAttribute('data-status')).toBe('succeeded');
    expect(await group.getAttribute('data-kind')).toBe('matrix');
    expect(await group.getAttribute('data-instances')).toBe('4');
    expect(await group.locator('.group-tally').innerText()).toBe('3/4 succeeded, 1 failed, tolerated 1');
    // Its instances under it, indented, in instance order; the group before them, after build.
    const instances = ['test[os=linux,py=3.11]', 'test[os=linux,py=3.12]', 'test[os=mac,py=3.12]', 'test[os=bsd,py=3.12]'];
    expect(await attrs('.step-table .step-row:not(.step-head)', 'data-step-id')).toEqual(['build', 'test', ...instances, 'report']);
    expect(await attrs('.step-table .step-row.instance', 'data-instance-of')).toEqual(['test', 'test', 'test', 'test']);
    expect(await page.locator('.step-table [data-step-id="test[os=mac,py=3.12]"]').getAttribute('data-status')).toBe('failed');
    expect(await attrs('.timeline .tl-bar[data-attempt]', 'data-step-id')).toEqual(['build', ...instances, 'report']);
    await shown('.timeline .tl-group[data-step-id="test"][data-instances="4"]');

    // The graph draws the group once, with its count, and no node per instance.
    const node = page.locator('.dag .node.group[data-step-id="test"]');
    await node.waitFor({ timeout: SHOW_MS });
    expect(await node.getAttribute('data-instances')).toBe('4');
    expect(await node.textContent()).toContain('test ×4');
    expect((await attrs('.dag .node', 'data-step-id')).sort()).toEqual(['build', 'report', 'test']);
    expect(await page.locator('.dag .edge').count()).toBe(2);
    await screenshot(page, 'matrix-run');

    // Closing the group hides its instances in the table and the timeline; opening shows them again.
    await page.click('.step-table [data-toggle="test"]');
    await until('the instances to be hidden', async () => (await page.locator('.step-table .step-row.instance').count()) === 0, SHOW_MS);
    expect(await page.locator('.timeline .tl-row.instance').count()).toBe(0);
    expect(await group.getAttribute('aria-expanded')).toBe('false');
    await page.click('.step-table [data-toggle="test"]');
    await shown('.step-table .step-row.instance[data-step-id="test[os=bsd,py=3.12]"]');

    // Selecting an instance selects its group's node in the graph.
    await page.click('.step-table [data-step-id="test[os=linux,py=3.12]"]');
    await shown('.dag .node.group.selected[data-step-id="test"]');
    await shown('.step-panel[data-step-id="test[os=linux,py=3.12]"]');
    expect(await page.locator('.step-panel [data-output-key="result"] .output-value').innerText()).toBe('linux-3.12');

    // The group's own page lists its instances and its aggregated outputs.
    await page.dblclick('.dag [data-step-id="test"]');
    await shown('.step-header[data-step-id="test"]');
    expect(await page.locator('.step-header .group-tally').innerText()).toBe('4 instances: 3/4 succeeded, 1 failed, tolerated 1');
    expect(await page.locator('[data-output-key="result"] .output-value').innerText()).toBe('["linux-3.11","linux-3.12",null,"bsd-3.12"]');
    expect(await attrs('.step-table .step-row.instance', 'data-step-id')).toEqual(instances);
  });

  it('of 1,000 instances is one graph node and one closed table row until opened', async () => {
    const n = 1000;
    const p = plan(
      [
        { id: 'shard', command: 'true', matrix: { n: Array.from({ length: n }, (_, i) => String(i)) } },
        { id: 'merge', command: 'true', depends_on: ['shard'] },
      ],
      { plan_id: 'wide-ui' },
    );
    const r = await ws.engine(['run', ws.writePlan(p, 'wide-ui.json')]);
    expect(r.exitCode, r.all).toBe(0);
    const runId = (await runsOf('wide-ui'))[0]!.run_id;
    await openRun(runId);
    await shown('.dag .node.group[data-step-id="shard"][data-instances="1000"]');
    expect(await page.locator('.dag .node').count()).toBe(2);
    expect(await page.locator('.dag .level').count()).toBe(0);
    const group = page.locator('.step-table .step-row.group[data-step-id="shard"]');
    expect(await group.getAttribute('aria-expanded')).toBe('false');
    expect(await group.locator('.group-tally').innerText()).toBe('1000/1000 succeeded');
    expect(await page.locator('.step-table .step-row.instance').count()).toBe(0);
    await page.click('.step-table [data-toggle="shard"]');
    await shown('.step-table .step-row.instance[data-step-id="shard[n=0]"]');
    // Virtualised: only the rows in view exist.
    expect(await page.locator('.step-table .step-row.instance').count()).toBeLessThan(60);
  });
});

describe('a for_each step', () => {
  it('shows its instances as they appear when the step expands, without a reload', async () => {
    const listed = gate(ws.dir, 'listed');
    const work = gate(ws.dir, 'work');
    const p = plan(
      [
        shStep('list', `${waitForFile(listed.path)}; echo 'files=["a.txt","b.txt","c.txt"]' >> "$ENGINE_OUTPUT"`),
        shStep('check', `${waitForFile(work.path)}; echo checked \${item}`, { for_each: '${steps.list.outputs.files}', depends_on: ['list'] }),
        { id: 'after', command: 'true', depends_on: ['check'] },
      ],
      { plan_id: 'for-each-ui', globals: { max_concurrency: 4 } },
    );
    const { engine, runId } = await startRun(p, 'for-each-ui.json');
    await openRun(runId);
    await mark();
    const group = page.locator('.step-table .step-row.group[data-step-id="check"]');
    await group.waitFor({ timeout: SHOW_MS });
    expect(await group.getAttribute('data-kind')).toBe('for_each');
    expect(await group.locator('.group-tally').innerText()).toBe('expands at run time');
    await shown('.dag .node.group[data-step-id="check"][data-instances="0"]');
    expect(await page.locator('.step-table .step-row.instance').count()).toBe(0);

    listed.open();
    const ids = ['check[a.txt]', 'check[b.txt]', 'check[c.txt]'];
    for (const id of ids) await shown(`.step-table .step-row.instance[data-step-id="${id}"][data-status="running"]`);
    await shown('.dag .node.group[data-step-id="check"][data-instances="3"]');
    await until('the running count', async () => (await group.locator('.group-tally').innerText()) === '0/3 succeeded, 3 running', SHOW_MS);
    await screenshot(page, 'for-each-live');

    work.open();
    for (const id of ids) await shown(`.step-table [data-step-id="${id}"][data-status="succeeded"]`);
    await shown('.step-table .step-row.group[data-step-id="check"][data-status="succeeded"]');
    await shown(`.run-header[data-run-id="${runId}"][data-status="succeeded"]`);
    expect(await group.locator('.group-tally').innerText()).toBe('3/3 succeeded');
    expect(await attrs('.timeline .tl-bar[data-attempt]', 'data-step-id')).toEqual(['list', ...ids, 'after']);
    expect(await stillMarked()).toBe(true);
    expect((await engine).exitCode).toBe(0);
  });
});

describe('outputs', () => {
  it('are shown in the step panel and on the step page, a secret output masked', async () => {
    const token = 'tk-5ecret-7f3a9c';
    const p = plan(
      [
        shStep('version', `echo version=1.4.2 >> "$ENGINE_OUTPUT"; { echo 'notes<<EOF'; echo 'Faster start-up'; echo 'Fewer bugs'; echo EOF; } >> "$ENGINE_OUTPUT"`),
        // Put together at run time: the token is in no command line, only in the output.
        shStep('token', `t=${token.slice(0, 9)}; echo "token=$t${token.slice(9)}" >> "$ENGINE_OUTPUT"; echo user=deployer >> "$ENGINE_OUTPUT"`, { secret_outputs: ['token'] }),
        shStep('publish', 'echo "publishing $V with $T"', { env: { V: '${steps.version.outputs.version}', T: '${steps.token.outputs.token}' }, depends_on: ['version', 'token'] }),
      ],
      { plan_id: 'outputs-ui' },
    );
    const r = await ws.engine(['run', ws.writePlan(p, 'outputs-ui.json')]);
    expect(r.exitCode, r.all).toBe(0);
    const runId = (await runsOf('outputs-ui'))[0]!.run_id;
    await openRun(runId);

    await page.click('.step-table [data-step-id="version"]');
    const panel = page.locator('.step-panel[data-step-id="version"]');
    await panel.waitFor({ timeout: SHOW_MS });
    expect(await panel.locator('[data-output-key="version"] .output-value').innerText()).toBe('1.4.2');
    expect(await panel.locator('[data-output-key="notes"] .output-value').innerText()).toBe('Faster start-up\nFewer bugs');

    await page.click('.step-table [data-step-id="token"]');
    const secret = page.locator('.step-panel[data-step-id="token"] [data-output-key="token"] .output-value');
    await secret.waitFor({ timeout: SHOW_MS });
    expect(await secret.innerText()).toBe('***');
    expect(await secret.getAttribute('class')).toContain('masked');
    expect(await page.locator('.step-panel [data-output-key="user"] .output-value').innerText()).toBe('deployer');
    await screenshot(page, 'outputs-panel');

    await page.click('.step-panel a.open-step');
    await shown('.step-header[data-step-id="token"]');
    expect(await page.locator('table.outputs [data-output-key="token"] .output-value').innerText()).toBe('***');
    await page.goto(new URL(`/runs/${runId}/steps/publish`, ui.url).href);
    await page.locator('.log-lines', { hasText: 'publishing 1.4.2 with ***' }).waitFor({ timeout: SHOW_MS });
    expect(await page.locator('.outputs-none').innerText()).toBe('It wrote no outputs.');
    // The secret is nowhere the browser can see: not in a page, nor in any answer of the API.
    expect(await page.content()).not.toContain(token);
    const detail = await (await fetch(new URL(`/api/runs/${runId}`, ui.url))).text();
    expect(detail).toContain('"token":"***"');
    expect(detail).not.toContain(token);
  });
});

describe('parent and child runs', () => {
  it('link both ways, and the runs list nests the child runs under their parent, live', async () => {
    const go = gate(ws.dir, 'deploy');
    ws.writePlan(
      plan([shStep('push', `${waitForFile(go.path)}; echo "push to $REGION"`, { env: { REGION: '${REGION}' } })], {
        plan_id: 'deploy-ui',
        vars: { REGION: { required: true } },
      }),
      'deploy-ui.json',
    );
    const p = plan(
      [
        { id: 'build', command: 'true' },
        { id: 'deploy', plan: 'deploy-ui.json', vars: { REGION: '${matrix.region}' }, matrix: { region: ['eu', 'us'] }, depends_on: ['build'] },
        { id: 'smoke', plan: 'deploy-ui.json', vars: { REGION: 'lab' } },
      ],
      { plan_id: 'release-ui' },
    );
    const { engine, runId } = await startRun(p, 'release-ui.json');
    const children = await until(
      'the three child runs',
      async () => {
        const d = await api<RunDetail>(`/api/runs/${runId}`);
        return d.children.length === 3 ? d.children : undefined;
      },
      SHOW_MS,
    );
    const childOf = (step: string): string => children.find((c) => c.step_id === step)!.run_id;

    // The runs list: only the parent, with its count of child runs; opened, its children under it.
    await page.goto(ui.url);
    await mark();
    const parentRow = page.locator(`tr[data-run-id="${runId}"]`);
    await parentRow.waitFor({ timeout: SHOW_MS });
    const toggle = page.locator(`[data-children-of="${runId}"]`);
    await toggle.waitFor({ timeout: SHOW_MS });
    expect(await toggle.innerText()).toContain('3 child runs');
    for (const c of children) expect(await page.locator(`tr[data-run-id="${c.run_id}"]`).count()).toBe(0);
    await toggle.click();
    for (const c of children) await shown(`tr.child-run[data-run-id="${c.run_id}"][data-parent-run-id="${runId}"][data-status="running"]`);
    expect(await page.locator(`tr.child-run[data-run-id="${childOf('deploy[region=eu]')}"] .step-of`).innerText()).toBe('step deploy[region=eu]');
    // The checkbox lists every run, child runs marked with their parent.
    await page.check('input[name="children"]');
    await shown(`tr.child-run.flat[data-run-id="${childOf('smoke')}"] .parent-of`);
    expect(new URL(page.url()).searchParams.get('children')).toBe('1');
    await page.uncheck('input[name="children"]');
    await shown(`[data-children-of="${runId}"]`);
    await page.click(`[data-children-of="${runId}"]`);
    await shown(`tr.child-run[data-run-id="${childOf('smoke')}"]`);
    await screenshot(page, 'runs-nested');

    go.open();
    // Live: the nested rows and the parent reach their end without a reload.
    for (const c of children) await shown(`tr.child-run[data-run-id="${c.run_id}"][data-status="succeeded"]`);
    await shown(`tr[data-run-id="${runId}"][data-status="succeeded"]`);
    expect(await stillMarked()).toBe(true);
    expect((await engine).exitCode).toBe(0);

    // Parent → child: the header's list of child runs, and the plan step's panel.
    await page.click(`tr[data-run-id="${runId}"] td.run-cell > a`);
    await shown(`.run-header[data-run-id="${runId}"]`);
    expect(await attrs('.run-header .child-run', 'data-child-run-id')).toEqual(children.map((c) => c.run_id));
    expect(await attrs('.run-header .child-run', 'data-status')).toEqual(['succeeded', 'succeeded', 'succeeded']);
    await shown('.step-table .step-row.group[data-step-id="deploy"][data-kind="matrix"]');
    await page.click('.step-table [data-step-id="smoke"]');
    await page.click('.step-panel[data-step-id="smoke"] a[data-link="child-run"]');
    const smoke = childOf('smoke');
    await shown(`.run-header[data-run-id="${smoke}"]`);
    expect(new URL(page.url()).pathname).toBe(`/runs/${smoke}`);
    await shown('.step-table [data-step-id="push"][data-status="succeeded"]');
    // A child run is cancelled and resumed through its parent.
    await shown('.child-note');
    expect(await page.locator('button[data-action]').count()).toBe(0);

    // Child → parent: the header's link opens the parent with the plan step selected.
    await page.click('.run-header a[data-link="parent-run"]');
    await shown(`.run-header[data-run-id="${runId}"]`);
    await shown('.step-table .selected[data-step-id="smoke"]');
    expect(new URL(page.url()).searchParams.get('step')).toBe('smoke');
    // An instance's child run, from the header list, and back through its step link.
    const eu = childOf('deploy[region=eu]');
    await page.click(`.run-header .child-run[data-child-run-id="${eu}"] a.mono`);
    await shown(`.run-header[data-run-id="${eu}"]`);
    await page.click('.run-header a[data-link="parent-step"]');
    await shown('.step-header[data-step-id="deploy[region=eu]"]');
    expect(await page.locator('.step-header a[data-link="child-run"]').innerText()).toBe(eu);
    expect(await page.locator('.step-header a[data-link="group"]').innerText()).toBe('deploy');
    await page.goBack();
    await shown(`.run-header[data-run-id="${eu}"]`);
    expect(await stillMarked()).toBe(true);
  });
});

describe('a failed child run', () => {
  it("is named by its parent's root-cause banner, which links to it", async () => {
    ws.writePlan(plan([shStep('boom', 'echo broken >&2; exit 3')], { plan_id: 'bad-kid' }), 'bad-kid.json');
    const p = plan([{ id: 'sub', plan: 'bad-kid.json' }, { id: 'after', command: 'true', depends_on: ['sub'] }], { plan_id: 'bad-family' });
    expect((await ws.engine(['run', ws.writePlan(p, 'bad-family.json')])).exitCode).toBe(1);
    const runId = (await runsOf('bad-family'))[0]!.run_id;
    const child = (await runsOf('bad-kid'))[0]!;
    expect(child.parent_run_id).toBe(runId);
    await openRun(runId);
    const link = page.locator('.root-cause[data-step-id="sub"] a[data-link="child-run"]');
    await link.waitFor({ timeout: SHOW_MS });
    await link.click();
    await shown(`.root-cause[data-step-id="boom"][data-status="failed"]`);
    expect(new URL(page.url()).pathname).toBe(`/runs/${child.run_id}`);
  });
});

describe('the page', () => {
  it('made no request to any other host than the dashboard', () => {
    expect(browser.foreignRequests).toEqual([]);
  });
});
