/**
 * The dashboard's refusals (docs/dashboard.md, "Security"): a foreign Host header (DNS
 * rebinding), a POST from a foreign Origin or without the page's token, `..` in a path; and,
 * beyond loopback, the warning and a token on every request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan, workspace, type Workspace } from '../helpers/cli.js';
import { removeDir } from '../helpers/temp-dirs.js';
import { rawRequest, startDashboard, type Dashboard } from '../helpers/dashboard.js';

let ws: Workspace;
let ui: Dashboard;
let runId: string;
let token: string;

beforeAll(async () => {
  ws = workspace('engine-ui-security-');
  const r = await ws.engine(['run', ws.writePlan(plan([{ id: 'one', command: 'true' }]))]);
  expect(r.exitCode).toBe(0);
  ui = await startDashboard(ws.stateDir);
  runId = (JSON.parse((await rawRequest(ui.port, 'GET', '/api/runs')).body) as { runs: { run_id: string }[] }).runs[0]!.run_id;
  token = /<meta name="engine-token" content="([^"]+)"/.exec((await rawRequest(ui.port, 'GET', '/')).body)![1]!;
});
afterAll(async () => {
  await ui.stop();
  removeDir(ws.dir);
});

describe('on 127.0.0.1', () => {
  it('serves requests whose Host is the address it serves (or localhost on that port)', async () => {
    expect((await rawRequest(ui.port, 'GET', '/api/runs', { host: `127.0.0.1:${ui.port}` })).status).toBe(200);
    expect((await rawRequest(ui.port, 'GET', '/api/runs', { host: `localhost:${ui.port}` })).status).toBe(200);
  });

  it('refuses any other Host header (DNS rebinding) with 403', async () => {
    for (const host of ['evil.example', `evil.example:${ui.port}`, `127.0.0.1:${ui.port + 1}`, '127.0.0.1']) {
      expect((await rawRequest(ui.port, 'GET', '/', { host })).status, host).toBe(403);
      expect((await rawRequest(ui.port, 'GET', '/api/runs', { host })).status, host).toBe(403);
    }
  });

  it('refuses an action without the page token with 403, and with a wrong one', async () => {
    expect((await rawRequest(ui.port, 'POST', `/api/runs/${runId}/cancel`)).status).toBe(403);
    expect((await rawRequest(ui.port, 'POST', `/api/runs/${runId}/cancel`, { 'x-engine-token': 'wrong' })).status).toBe(403);
    expect((await rawRequest(ui.port, 'POST', `/api/runs/${runId}/resume?token=wrong`)).status).toBe(403);
  });

  it('refuses a POST from a foreign Origin even with the token', async () => {
    const r = await rawRequest(ui.port, 'POST', `/api/runs/${runId}/cancel`, { 'x-engine-token': token, origin: 'http://evil.example' });
    expect(r.status).toBe(403);
  });

  it('lets a same-origin POST with the token through to the action', async () => {
    const r = await rawRequest(ui.port, 'POST', `/api/runs/${runId}/cancel`, { 'x-engine-token': token, origin: `http://127.0.0.1:${ui.port}` });
    // The run has finished: the action itself says no.
    expect([r.status, JSON.parse(r.body).error]).toEqual([409, `run ${runId} is succeeded, not running: nothing to cancel`]);
  });

  it('refuses ".." anywhere in a path with 400, encoded or not, and reads nothing', async () => {
    for (const path of [
      '/api/runs/../../etc/passwd',
      `/api/runs/${runId}/steps/../attempts/1/log`,
      `/api/runs/${runId}/steps/%2e%2e/attempts/1/log`,
      `/api/runs/${runId}/steps/one/attempts/1/log/..`,
      `/api/runs/..%2F..%2Fetc/steps/passwd/attempts/1/log`,
      '/assets/..%2f..%2fpackage.json',
      '/runs/a..b',
    ]) {
      const r = await rawRequest(ui.port, 'GET', path);
      expect(r.status, path).toBe(400);
      expect(r.body, path).not.toContain('root:');
    }
  });

  it('serves logs only by ids runs.db knows: a path in place of a step id gets 4xx', async () => {
    for (const step of ['%2Fetc%2Fpasswd', 'one%2F..%2F..%2Fevents.jsonl', 'one.1.log']) {
      const r = await rawRequest(ui.port, 'GET', `/api/runs/${runId}/steps/${step}/attempts/1/log`);
      expect(r.status, step).toBeGreaterThanOrEqual(400);
      expect(r.status, step).toBeLessThan(500);
    }
    expect((await rawRequest(ui.port, 'GET', `/api/runs/${runId}/steps/one/attempts/0/log`)).status).toBe(400);
  });
});

describe('beyond loopback', () => {
  let open: Dashboard;
  beforeAll(async () => {
    open = await startDashboard(ws.stateDir, ['--host', '0.0.0.0']);
  });
  afterAll(async () => {
    await open.stop();
  });

  it('warns on stderr and prints the address with its token', async () => {
    expect(open.stdout[0]).toBe(`engine ui: http://0.0.0.0:${open.port}/`);
    await new Promise((r) => setTimeout(r, 200));
    expect(open.stderr()).toMatch(/warning: listening on 0\.0\.0\.0/);
    expect(open.stdout.join('\n')).toMatch(new RegExp(`\\?token=[0-9a-f]{32}`));
  });

  it('needs the token on every request, and a browser that opened ?token= carries it as a cookie', async () => {
    const generated = /\?token=([0-9a-f]{32})/.exec(open.stdout.join('\n'))![1]!;
    expect((await rawRequest(open.port, 'GET', '/')).status).toBe(403);
    expect((await rawRequest(open.port, 'GET', '/api/runs')).status).toBe(403);
    expect((await rawRequest(open.port, 'GET', '/api/runs?token=nope')).status).toBe(403);
    const first = await rawRequest(open.port, 'GET', `/?token=${generated}`);
    expect(first.status).toBe(200);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    expect((await rawRequest(open.port, 'GET', '/assets/app.js', { cookie })).status).toBe(200);
    expect((await rawRequest(open.port, 'GET', '/api/runs', { 'x-engine-token': generated })).status).toBe(200);
    // An action still needs the token itself, not only the cookie a browser sends by itself.
    expect((await rawRequest(open.port, 'POST', `/api/runs/${runId}/cancel`, { cookie })).status).toBe(403);
  });

  it('uses the token given with --token', async () => {
    const given = await startDashboard(ws.stateDir, ['--host', '0.0.0.0', '--token', 'sesame-123']);
    try {
      expect((await rawRequest(given.port, 'GET', '/api/runs?token=sesame-123')).status).toBe(200);
      expect((await rawRequest(given.port, 'GET', '/api/runs')).status).toBe(403);
    } finally {
      await given.stop();
    }
  });
});
