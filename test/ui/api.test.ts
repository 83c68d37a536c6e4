/**
 * The dashboard's JSON API and streams against real runs of the built CLI: pagination and
 * filters over runs.db, a run's snapshot, SSE resume after Last-Event-ID, log ranges and the
 * live log stream, resume as an action, and a state directory whose runs.db appears later.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan, workspace, type Workspace } from '../helpers/cli.js';
import { removeDir } from '../helpers/temp-dirs.js';
import type { RunDetail, RunsPage, StepDetail } from '../../src/ui/api-types.js';
import { gate, rawRequest, readSse, shStep, startDashboard, until, waitForFile, type Dashboard } from '../helpers/dashboard.js';

let ws: Workspace;
let ui: Dashboard;

beforeAll(async () => {
  ws = workspace('engine-ui-api-');
  // Started before any run: there is no runs.db yet.
  ui = await startDashboard(ws.stateDir);
});
afterAll(async () => {
  // Ctrl-C stops it cleanly, open streams and all.
  expect(await ui.stop('SIGINT')).toBe(0);
  removeDir(ws.dir);
});

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, ui.url));
  return { status: res.status, body: (await res.json()) as T };
}

async function run(planObject: Record<string, unknown>, name: string): Promise<string> {
  const r = await ws.engine(['run', ws.writePlan(planObject, name)]);
  const runs = (await getJson<RunsPage>('/api/runs?limit=1')).body.runs;
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(r.all);
  return runs[0]!.run_id;
}

async function pageToken(): Promise<string> {
  const html = await (await fetch(ui.url)).text();
  return /<meta name="engine-token" content="([^"]+)"/.exec(html)![1]!;
}

const ok = plan([{ id: 'one', command: 'true' }], { plan_id: 'ok' });
const bad = plan([shStep('boom', 'echo boom; exit 3'), { id: 'after', command: 'true', depends_on: ['boom'] }], { plan_id: 'broken' });

describe('a state directory without runs.db', () => {
  it('lists no runs, then shows the first run once an engine has created runs.db', async () => {
    expect(existsSync(join(ws.stateDir, 'runs.db'))).toBe(false);
    expect((await getJson<RunsPage>('/api/runs')).body).toEqual({ runs: [], next: null });
    const updates = readSse(new URL('/api/updates', ui.url).href, {}, (m) => m.some((x) => JSON.parse(x.data).status === 'succeeded'));
    await updates.opened;
    const runId = await run(ok, 'ok.json');
    const rows = (await updates.messages).map((m) => JSON.parse(m.data) as { run_id: string; status: string });
    expect(rows.at(-1)).toMatchObject({ run_id: runId, status: 'succeeded' });
    expect((await getJson<RunsPage>('/api/runs')).body.runs.map((r) => r.run_id)).toEqual([runId]);
  });
});

describe('GET /api/runs', () => {
  let all: string[];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) await run(ok, 'ok.json');
    for (let i = 0; i < 2; i++) await run(bad, 'bad.json');
    all = (await getJson<RunsPage>('/api/runs')).body.runs.map((r) => r.run_id);
  });

  it('lists runs newest first', () => {
    expect(all).toHaveLength(6);
    expect([...all].sort().reverse()).toEqual(all);
  });

  it('pages through every run once with the next cursor, ending with null', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const page: RunsPage = (await getJson<RunsPage>(`/api/runs?limit=4${before ? `&before=${before}` : ''}`)).body;
      seen.push(...page.runs.map((r) => r.run_id));
      before = page.next;
      pages++;
    } while (before !== null);
    expect(pages).toBe(2);
    expect(seen).toEqual(all);
  });

  it('filters by status, plan and text, and combines them', async () => {
    const ids = async (q: string): Promise<string[]> => (await getJson<RunsPage>(`/api/runs?${q}`)).body.runs.map((r) => r.run_id);
    const failed = await ids('status=failed');
    expect(failed).toHaveLength(2);
    expect(await ids('plan=broken')).toEqual(failed);
    expect(await ids('plan=ok&status=failed')).toEqual([]);
    // Run ids end in `-` and 6 hex digits; `rok` has no hex digit, so only the plan id matches it.
    expect(await ids(`q=${all[3]!.slice(-7)}`)).toEqual([all[3]]);
    expect(await ids('q=rok')).toEqual(failed);
    expect(await ids('q=%25')).toEqual([]);
  });

  it('refuses an unknown status, a bad limit and a cursor naming no run with 400', async () => {
    for (const q of ['status=done', 'limit=0', 'limit=501', 'limit=x', 'before=nope']) {
      const r = await getJson<{ error: string }>(`/api/runs?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error).toBeTruthy();
    }
  });
});

describe('GET /api/runs/<run_id>', () => {
  it('answers the run, its steps in topological order and its attempts with runs.db column names', async () => {
    const runId = await run(bad, 'bad.json');
    const { status, body } = await getJson<RunDetail>(`/api/runs/${runId}`);
    expect(status).toBe(200);
    expect(body.run).toMatchObject({ run_id: runId, plan_id: 'broken', status: 'failed', steps_failed: 1, steps_cancelled: 1, engine_gone: false });
    expect(body.steps.map((s) => [s.step_id, s.status])).toEqual([
      ['boom', 'failed'],
      ['after', 'cancelled'],
    ]);
    expect(body.attempts).toHaveLength(1);
    expect(body.attempts[0]).toMatchObject({ step_id: 'boom', attempt: 1, status: 'failed', exit_code: 3, error: 'exit code 3 (expected 0)' });
    expect(body.attempts[0]!.started_at_ms! - body.attempts[0]!.ready_at_ms!).toBeGreaterThanOrEqual(0);
    expect((await getJson(`/api/runs/20000101T000000000Z-000000`)).status).toBe(404);
  });
});

describe('GET /api/runs/<run_id>/events', () => {
  it('resumes after Last-Event-ID (or ?after=) with exactly the events missed, ids being seqs', async () => {
    const runId = await run(bad, 'bad.json');
    const lastSeq = (await getJson<RunDetail>(`/api/runs/${runId}`)).body.run.last_seq;
    const url = new URL(`/api/runs/${runId}/events`, ui.url).href;
    const done = (m: { id?: string }[]): boolean => m.at(-1)?.id === String(lastSeq);
    for (const [headers, query] of [
      [{ 'last-event-id': '3' }, ''],
      [{}, '?after=3'],
      [{ 'last-event-id': '3' }, '?after=1'],
    ] as const) {
      const messages = await readSse(url + query, headers, done).messages;
      expect(messages.map((m) => Number(m.id))).toEqual(Array.from({ length: lastSeq - 3 }, (_, i) => i + 4));
      expect(messages.map((m) => JSON.parse(m.data).seq)).toEqual(messages.map((m) => Number(m.id)));
    }
  });

  it('streams the events of a live run as they are committed', async () => {
    const go = gate(ws.dir, 'events');
    const engine = ws.engine(['run', ws.writePlan(plan([shStep('wait', waitForFile(go.path))], { plan_id: 'live' }), 'live.json')]);
    const runId = await until('the live run', async () => (await getJson<RunsPage>('/api/runs?plan=live&status=running')).body.runs[0]?.run_id);
    const stream = readSse(new URL(`/api/runs/${runId}/events`, ui.url).href, {}, (m) => m.some((x) => JSON.parse(x.data).type === 'run_finished'));
    await until('the step to start', async () => (await getJson<RunDetail>(`/api/runs/${runId}`)).body.steps[0]!.status === 'running');
    go.open();
    const types = (await stream.messages).map((m) => JSON.parse(m.data).type as string);
    expect(types).toEqual(['run_started', 'step_started', 'step_succeeded', 'run_finished']);
    expect((await engine).exitCode).toBe(0);
  });
});

describe('several engines writing at once', () => {
  it('shows each run live, and tells the runs page about both', async () => {
    const gates = [gate(ws.dir, 'twin-a'), gate(ws.dir, 'twin-b')];
    const engines = gates.map((g, i) => ws.engine(['run', ws.writePlan(plan([shStep('wait', waitForFile(g.path))], { plan_id: `twin-${i}` }), `twin-${i}.json`)]));
    const running = await until('both runs to be running', async () => {
      const runs = (await getJson<RunsPage>('/api/runs?status=running')).body.runs.filter((r) => r.plan_id.startsWith('twin-'));
      return runs.length === 2 ? runs : undefined;
    });
    const finished = new Set<string>();
    const updates = readSse(new URL('/api/updates', ui.url).href, {}, (m) => {
      for (const x of m) if (JSON.parse(x.data).status === 'succeeded') finished.add(JSON.parse(x.data).run_id);
      return finished.size === 2;
    });
    await updates.opened;
    for (const g of gates) g.open();
    await updates.messages;
    expect([...finished].sort()).toEqual(running.map((r) => r.run_id).sort());
    for (const e of engines) expect((await e).exitCode).toBe(0);
  });
});

describe('GET /api/runs/<run_id>/steps/<step_id>/attempts/<n>/log', () => {
  let base: string;
  beforeAll(async () => {
    const runId = await run(plan([shStep('print', "printf 'abcdefghij'")], { plan_id: 'print' }), 'print.json');
    base = `/api/runs/${runId}/steps/print/attempts/1/log`;
  });

  it('serves the whole file, or the byte range asked for with Range (206)', async () => {
    const whole = await rawRequest(ui.port, 'GET', base);
    expect([whole.status, whole.body, whole.headers['x-log-size']]).toEqual([200, 'abcdefghij', '10']);
    for (const [range, body, contentRange] of [
      ['bytes=0-3', 'abcd', 'bytes 0-3/10'],
      ['bytes=-3', 'hij', 'bytes 7-9/10'],
      ['bytes=6-', 'ghij', 'bytes 6-9/10'],
      ['bytes=8-100', 'ij', 'bytes 8-9/10'],
    ] as const) {
      const r = await rawRequest(ui.port, 'GET', base, { range });
      expect([r.status, r.body, r.headers['content-range']], range).toEqual([206, body, contentRange]);
    }
    const past = await rawRequest(ui.port, 'GET', base, { range: 'bytes=10-' });
    expect([past.status, past.headers['content-range']]).toEqual([416, 'bytes */10']);
  });

  it('serves from ?offset= (and at most ?length= bytes), and as a download', async () => {
    expect((await rawRequest(ui.port, 'GET', `${base}?offset=4`)).body).toBe('efghij');
    expect((await rawRequest(ui.port, 'GET', `${base}?offset=4&length=2`)).body).toBe('ef');
    expect((await rawRequest(ui.port, 'GET', `${base}?offset=11`)).status).toBe(416);
    expect((await rawRequest(ui.port, 'GET', `${base}?offset=-1`)).status).toBe(400);
    expect((await rawRequest(ui.port, 'GET', `${base}?download=1`)).headers['content-disposition']).toMatch(/^attachment; filename=".*-print\.1\.log"$/);
  });

  it('answers 404 for an attempt runs.db does not have', async () => {
    expect((await rawRequest(ui.port, 'GET', base.replace('/attempts/1/', '/attempts/2/'))).status).toBe(404);
    expect((await rawRequest(ui.port, 'GET', base.replace('/steps/print/', '/steps/nope/'))).status).toBe(404);
  });

  it('streams a live attempt from an offset, then ends once the attempt has ended', async () => {
    const go = gate(ws.dir, 'log');
    const engine = ws.engine(['run', ws.writePlan(plan([shStep('talk', `echo first; ${waitForFile(go.path)}; echo second`)], { plan_id: 'talk' }), 'talk.json')]);
    const runId = await until('the live run', async () => (await getJson<RunsPage>('/api/runs?plan=talk&status=running')).body.runs[0]?.run_id);
    const log = `/api/runs/${runId}/steps/talk/attempts/1/log`;
    await until('the first line', async () => (await rawRequest(ui.port, 'GET', log)).body === 'first\n');
    const stream = readSse(new URL(`${log}/stream?offset=2`, ui.url).href, {}, (m) => m.some((x) => x.event === 'end'));
    await stream.opened;
    go.open();
    const messages = await stream.messages;
    const text = messages.filter((m) => m.event === undefined).map((m) => JSON.parse(m.data) as string).join('');
    expect(text).toBe('rst\nsecond\n');
    expect(messages.at(-1)).toMatchObject({ event: 'end' });
    expect(Number(messages.at(-2)!.id)).toBe(13);
    expect((await engine).exitCode).toBe(0);
  });
});

describe('POST /api/runs/<run_id>/resume', () => {
  it('resumes a failed run in a detached engine, which completes it', async () => {
    const flag = join(ws.dir, 'fixed');
    const runId = await run(plan([shStep('check', `test -e '${flag}'`), { id: 'next', command: 'true', depends_on: ['check'] }], { plan_id: 'fixable' }), 'fixable.json');
    writeFileSync(flag, '');
    const token = await pageToken();
    const r = await rawRequest(ui.port, 'POST', `/api/runs/${runId}/resume`, { 'x-engine-token': token, 'content-type': 'application/json' }, '{}');
    expect(r.status, r.body).toBe(202);
    const done = await until('the resumed run to finish', async () => {
      const run = (await getJson<RunDetail>(`/api/runs/${runId}`)).body.run;
      return run.status !== 'running' && run.status !== 'failed' ? run : undefined;
    });
    expect(done.status).toBe('succeeded');
    const again = await rawRequest(ui.port, 'POST', `/api/runs/${runId}/resume`, { 'x-engine-token': token }, '{}');
    expect(again.status).toBe(409);
  });

  it('says when a running run has lost its engine, and resumes it', async () => {
    const go = gate(ws.dir, 'orphan');
    const engine = ws.engine(['run', ws.writePlan(plan([shStep('wait', waitForFile(go.path))], { plan_id: 'orphan' }), 'orphan.json')]);
    const runId = await until('the run', async () => (await getJson<RunsPage>('/api/runs?plan=orphan&status=running')).body.runs[0]?.run_id);
    const running = await until('its step to run', async () => {
      const d = (await getJson<RunDetail>(`/api/runs/${runId}`)).body;
      return d.steps[0]!.status === 'running' ? d.run : undefined;
    });
    expect(running.engine_gone).toBe(false);
    process.kill(running.pid, 'SIGKILL');
    await engine;
    const gone = await until('engine_gone', async () => {
      const run = (await getJson<RunDetail>(`/api/runs/${running.run_id}`)).body.run;
      return run.engine_gone ? run : undefined;
    });
    // The dashboard only reads: the run stays `running` in runs.db until a command recovers it.
    expect(gone.status).toBe('running');
    go.open();
    const r = await rawRequest(ui.port, 'POST', `/api/runs/${running.run_id}/resume`, { 'x-engine-token': await pageToken() }, '{}');
    expect(r.status, r.body).toBe(202);
    const done = await until('the resumed run to finish', async () => {
      const run = (await getJson<RunDetail>(`/api/runs/${running.run_id}`)).body;
      return run.run.status === 'succeeded' ? run : undefined;
    });
    expect(done.steps[0]).toMatchObject({ step_id: 'wait', status: 'succeeded', attempts: 2 });
  });

  it('asks for the values of secret variables before resuming', async () => {
    const secretPlan = plan([shStep('use', 'test "$TOKEN" = right && test -e "$FLAG"', { env: { TOKEN: '${TOKEN}', FLAG: join(ws.dir, 'secret-fixed') } })], {
      plan_id: 'secret',
      vars: { TOKEN: { secret: true, required: true } },
    });
    const r = await ws.engine(['run', ws.writePlan(secretPlan, 'secret.json'), '--var', 'TOKEN=right']);
    expect(r.exitCode).toBe(1);
    const runId = (await getJson<RunsPage>('/api/runs?plan=secret')).body.runs[0]!.run_id;
    const token = await pageToken();
    const missing = await rawRequest(ui.port, 'POST', `/api/runs/${runId}/resume`, { 'x-engine-token': token }, '{}');
    expect([missing.status, JSON.parse(missing.body).error]).toEqual([400, 'give the values of the secret variables: TOKEN']);
  });

  it('resumes a run with secret variables, their values piped to the engine on stdin', async () => {
    const secretPlan = plan([shStep('use', 'test "$TOKEN" = right && test -e "$FLAG"', { env: { TOKEN: '${TOKEN}', FLAG: join(ws.dir, 'piped-fixed') } })], {
      plan_id: 'secret-piped',
      vars: { TOKEN: { secret: true, required: true } },
    });
    const r = await ws.engine(['run', ws.writePlan(secretPlan, 'secret-piped.json'), '--var', 'TOKEN=right']);
    expect(r.exitCode).toBe(1);
    writeFileSync(join(ws.dir, 'piped-fixed'), '');
    const runId = (await getJson<RunsPage>('/api/runs?plan=secret-piped')).body.runs[0]!.run_id;
    const resumed = await rawRequest(ui.port, 'POST', `/api/runs/${runId}/resume`, { 'x-engine-token': await pageToken() }, JSON.stringify({ vars: { TOKEN: 'right' } }));
    expect(resumed.status, resumed.body).toBe(202);
    const done = await until('the resumed run to finish', async () => {
      const run = (await getJson<RunDetail>(`/api/runs/${runId}`)).body.run;
      return run.status === 'succeeded' ? run : undefined;
    });
    expect(done.status).toBe('succeeded');
  });
});

describe('child runs and fan-out in the API', () => {
  let parent: string;
  let children: RunDetail['children'];
  beforeAll(async () => {
    ws.writePlan(plan([{ id: 'hello', command: 'echo', args: ['${WHO}'] }], { plan_id: 'kid', vars: { WHO: { required: true } } }), 'kid.json');
    const p = plan(
      [
        shStep('build', 'echo version=7 >> "$ENGINE_OUTPUT"'),
        { id: 'deploy', plan: 'kid.json', vars: { WHO: '${matrix.who}' }, matrix: { who: ['a', 'b'] }, depends_on: ['build'] },
        { id: 'single', plan: 'kid.json', vars: { WHO: 'c' } },
      ],
      { plan_id: 'family' },
    );
    const r = await ws.engine(['run', ws.writePlan(p, 'family.json')]);
    expect(r.exitCode, r.all).toBe(0);
    parent = (await getJson<RunsPage>('/api/runs?plan=family')).body.runs[0]!.run_id;
    children = (await getJson<RunDetail>(`/api/runs/${parent}`)).body.children;
  });

  it('counts a run\'s child runs, lists top-level runs only or the children of one run', async () => {
    expect(children.map((c) => c.step_id).sort()).toEqual(['deploy[who=a]', 'deploy[who=b]', 'single']);
    const top = (await getJson<RunsPage>('/api/runs?top_level=1&limit=500')).body.runs;
    expect(top.some((r) => r.run_id === parent)).toBe(true);
    expect(top.every((r) => r.parent_run_id === null)).toBe(true);
    expect(top.find((r) => r.run_id === parent)!.child_runs).toBe(3);
    const all = (await getJson<RunsPage>('/api/runs?limit=500')).body.runs;
    expect(all.length).toBe(top.length + 3);
    const kids = (await getJson<RunsPage>(`/api/runs?parent=${parent}`)).body;
    expect(kids.next).toBeNull();
    expect(kids.runs.map((r) => r.run_id).sort()).toEqual(children.map((c) => c.run_id).sort());
    expect(kids.runs.every((r) => r.parent_run_id === parent && r.child_runs === 0 && r.plan_id === 'kid')).toBe(true);
    // Keyset pages over one run's children.
    const first = (await getJson<RunsPage>(`/api/runs?parent=${parent}&limit=2`)).body;
    const second = (await getJson<RunsPage>(`/api/runs?parent=${parent}&limit=2&before=${first.next}`)).body;
    expect([...first.runs, ...second.runs].map((r) => r.run_id)).toEqual(kids.runs.map((r) => r.run_id));
    expect(second.next).toBeNull();
    expect((await getJson<RunDetail>(`/api/runs/${parent}`)).body.run.child_runs).toBe(3);
    for (const q of ['parent=nope', `top_level=1&parent=${parent}`, 'top_level=maybe']) {
      const r = await getJson<{ error: string }>(`/api/runs?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.error).toBeTruthy();
    }
  });

  it("answers a matrix step's instances and outputs with the step, and a plan step's child run", async () => {
    const group = (await getJson<StepDetail>(`/api/runs/${parent}/steps/deploy`)).body;
    expect(group.step.kind).toBe('matrix');
    expect(group.instances.map((s) => [s.step_id, s.instance_of, s.kind, s.status])).toEqual([
      ['deploy[who=a]', 'deploy', 'plan', 'succeeded'],
      ['deploy[who=b]', 'deploy', 'plan', 'succeeded'],
    ]);
    expect(group.instances.map((s) => s.child_run_id).sort()).toEqual(children.filter((c) => c.step_id!.startsWith('deploy[')).map((c) => c.run_id).sort());
    const build = (await getJson<StepDetail>(`/api/runs/${parent}/steps/build`)).body;
    expect(build.outputs).toEqual({ version: '7' });
    expect(build.instances).toEqual([]);
  });

  it('refuses to cancel or resume a child run (409, naming its parent): its parent is the one to act on', async () => {
    const token = await pageToken();
    for (const action of ['cancel', 'resume']) {
      const r = await rawRequest(ui.port, 'POST', `/api/runs/${children[0]!.run_id}/${action}`, { 'x-engine-token': token }, '{}');
      expect(r.status, r.body).toBe(409);
      expect(JSON.parse(r.body).error).toContain(`child run of step ${children[0]!.step_id} of run ${parent}`);
    }
  });

  it("tells the runs page about a new child run's parent, with its new count", async () => {
    const go = gate(ws.dir, 'kid');
    ws.writePlan(plan([shStep('wait', waitForFile(go.path))], { plan_id: 'slow-kid' }), 'slow-kid.json');
    const updates = readSse(new URL('/api/updates', ui.url).href, {}, (m) => m.some((x) => {
      const r = JSON.parse(x.data) as RunsPage['runs'][number];
      return r.plan_id === 'slow-family' && r.child_runs === 1;
    }), 15_000);
    await updates.opened;
    const engine = ws.engine(['run', ws.writePlan(plan([{ id: 'sub', plan: 'slow-kid.json' }], { plan_id: 'slow-family' }), 'slow-family.json')]);
    const rows = (await updates.messages).map((m) => JSON.parse(m.data) as RunsPage['runs'][number]);
    go.open();
    expect((await engine).exitCode).toBe(0);
    const child = rows.find((r) => r.plan_id === 'slow-kid');
    expect(child?.parent_step_id).toBe('sub');
    expect(rows.filter((r) => r.plan_id === 'slow-family').at(-1)).toMatchObject({ run_id: child!.parent_run_id, child_runs: 1 });
  });
});
