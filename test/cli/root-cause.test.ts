/**
 * Root cause first (issue 15): the end-of-run summary and `engine show` name every root cause
 * (a failed step none of whose upstream steps failed) with its reason and log, then what each
 * caused, then the failures the run went on without; kept steps of a resumed run and retried
 * steps show their real attempts and durations; a cancel says who asked.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineQ, engineResult, plan, startRun, tableRows, workspacesForThisFile } from '../helpers/cli.js';
import { rawRequest, startDashboard } from '../helpers/dashboard.js';
import { oneEvent, readEvents } from '../helpers/record.js';

const ws = workspacesForThisFile('engine-rootcause-');

const THREE_FAILURES = plan([
  { id: 'compile', shell: true, command: 'echo "compile: error in main.c"; exit 2', on_failure: 'skip_dependents' },
  { id: 'fetch', shell: true, command: 'echo "fetch: connection refused" >&2; exit 7', on_failure: 'skip_dependents' },
  { id: 'link', command: 'true', depends_on: ['compile'] },
  { id: 'package', command: 'true', depends_on: ['link'] },
  { id: 'upload', command: 'true', depends_on: ['fetch'] },
  { id: 'lint', command: 'false', critical: false },
  { id: 'docs', command: 'true' },
]);

describe('the end-of-run summary', () => {
  it('names every root cause with its reason and log, what each caused, and the non-critical failures apart', async () => {
    const w = ws();
    const r = await w.engine(['run', w.writePlan(THREE_FAILURES)]);
    expect(r.exitCode).toBe(1);
    const summary = r.stdout.slice(r.stdout.indexOf('Run failed'));
    expect(summary).toContain('2 root causes');
    const compile = summary.indexOf('Root cause: step "compile" failed (attempt 1): exit code 2 (expected 0)');
    const fetch = summary.indexOf('Root cause: step "fetch" failed (attempt 1): exit code 7 (expected 0)');
    expect(compile).toBeGreaterThan(0);
    expect(fetch).toBeGreaterThan(compile);
    const compilePart = summary.slice(compile, fetch);
    expect(compilePart).toContain('skipped because of it: link, package');
    expect(compilePart).toContain('| compile: error in main.c');
    const fetchPart = summary.slice(fetch);
    expect(fetchPart).toContain('skipped because of it: upload');
    expect(fetchPart).toContain('| fetch: connection refused');
    expect(summary).toContain('Not critical: step "lint" failed (attempt 1): exit code 1 (expected 0)');
    expect(summary.indexOf('Not critical')).toBeGreaterThan(fetch);
  });

  it('shows the total and the last attempt of a retried step', async () => {
    const w = ws();
    const p = w.writePlan(plan([{ id: 'flaky', shell: true, command: 'sleep 0.1; test -e m || { touch m; exit 1; }', retries: 1 }]));
    const r = await w.engine(['run', p]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ {2}flaky +succeeded +2 +\d+ms \(last attempt \d+ms\)$/m);
  });
});

describe('engine show', () => {
  it('puts the root causes and their log tails before the table', async () => {
    const w = ws();
    await w.engine(['run', w.writePlan(THREE_FAILURES)]);
    const r = await engineQ(w, ['show', 'last']);
    expect(r.exitCode).toBe(0);
    const table = r.stdout.indexOf('\nSTEP ');
    const compile = r.stdout.indexOf('Root cause: step "compile" failed (attempt 1): exit code 2 (expected 0)');
    const fetch = r.stdout.indexOf('Root cause: step "fetch" failed');
    expect(compile).toBeGreaterThan(0);
    expect(fetch).toBeGreaterThan(compile);
    expect(table).toBeGreaterThan(fetch);
    expect(r.stdout.slice(compile, fetch)).toContain('| compile: error in main.c');
    expect(r.stdout.slice(compile, fetch)).toContain('skipped because of it: link, package');
    expect(r.stdout.indexOf('Not critical: step "lint"')).toBeLessThan(table);
    const json = JSON.parse((await engineQ(w, ['show', 'last', '--json'])).stdout) as { run: { root_causes: string[] } };
    expect(json.run.root_causes).toEqual(['compile', 'fetch']);
  });

  it('shows the total and the last attempt of a retried step', async () => {
    const w = ws();
    const p = w.writePlan(plan([{ id: 'flaky', shell: true, command: 'test -e m || { touch m; exit 1; }', retries: 1 }]));
    await w.engine(['run', p]);
    const rows = tableRows((await engineQ(w, ['show', 'last'])).stdout, 'STEP');
    expect(rows[0]![2]).toBe('2');
    expect(rows[0]![5]).toMatch(/^\d+ms \(last \d+ms\)$/);
  });

  it('keeps the recorded attempts and durations of the steps a resume kept, in show and in the summary', async () => {
    const w = ws();
    const p = w.writePlan(
      plan([
        { id: 'prepare', command: 'sleep', args: ['0.2'] },
        { id: 'deploy', shell: true, command: 'test -e fixed', depends_on: ['prepare'] },
      ]),
    );
    const first = await w.engine(['run', p]);
    expect(first.exitCode).toBe(1);
    writeFileSync(join(w.dir, 'fixed'), '');
    const resumed = await engineQ(w, ['resume', 'last']);
    expect(resumed.exitCode).toBe(0);
    expect(resumed.stdout).toMatch(/^ {2}prepare +succeeded +1 +2\d\dms$/m);
    const rows = Object.fromEntries(tableRows((await engineQ(w, ['show', 'last'])).stdout, 'STEP').map((row) => [row[0], row]));
    expect(rows.prepare![2]).toBe('1');
    expect(rows.prepare![5]).toMatch(/^2\d\dms$/);
  });
});

describe('who cancelled', () => {
  const SLOW = plan([{ id: 'wait', command: 'sleep', args: ['30'] }]);

  it('reports a cancel from engine cancel as such, with its pid, in the event, the console and show', async () => {
    const w = ws();
    const { run, runId } = await startRun(w, w.writePlan(SLOW), 'wait');
    const cancel = engineQ(w, ['cancel', runId, '--json']);
    const cancelPid = cancel.pid!;
    const answer = await cancel;
    expect(answer.exitCode).toBe(0);
    expect(JSON.parse(answer.stdout)).toEqual({ run_id: runId, pid: run.pid, signal: 'SIGINT' });
    const r = await engineResult(run);
    expect(r.exitCode).toBe(130);
    expect(r.stdout).toContain(`! cancel requested by engine cancel from pid ${cancelPid}`);
    expect(r.stdout).toContain(`The run was cancelled by engine cancel from pid ${cancelPid}.`);
    expect(r.stdout).not.toContain('SIGINT');
    expect(oneEvent(readEvents(w.stateDir, runId), 'run_cancel_requested')).toMatchObject({
      signal: 'SIGINT',
      source: 'engine_cancel',
      requested_by_pid: cancelPid,
    });
    const show = await engineQ(w, ['show', runId]);
    expect(show.stdout).toMatch(new RegExp(`^status +cancelled \\(exit code 130\\), cancelled by engine cancel from pid ${cancelPid}$`, 'm'));
  });

  it('reports a cancel from the dashboard as such, with the pid of its server', async () => {
    const w = ws();
    const { run, runId } = await startRun(w, w.writePlan(SLOW), 'wait');
    const ui = await startDashboard(w.stateDir);
    try {
      const token = /<meta name="engine-token" content="([^"]+)"/.exec((await rawRequest(ui.port, 'GET', '/')).body)![1]!;
      const r = await rawRequest(ui.port, 'POST', `/api/runs/${runId}/cancel`, { 'x-engine-token': token, origin: `http://127.0.0.1:${ui.port}` });
      expect(r.status, r.body).toBe(202);
      const done = await engineResult(run);
      expect(done.exitCode).toBe(130);
      const requested = oneEvent(readEvents(w.stateDir, runId), 'run_cancel_requested');
      expect(requested).toMatchObject({ source: 'dashboard', requested_by_pid: ui.proc.pid });
      expect(done.stdout).toContain(`The run was cancelled by the dashboard from pid ${ui.proc.pid}.`);
    } finally {
      await ui.stop();
    }
  });

  it('reports a SIGINT from elsewhere as the signal', async () => {
    const w = ws();
    const { run, runId } = await startRun(w, w.writePlan(SLOW), 'wait');
    process.kill(run.pid!, 'SIGINT');
    const r = await engineResult(run);
    expect(r.exitCode).toBe(130);
    expect(r.stdout).toContain('The run was cancelled by SIGINT.');
    expect(oneEvent(readEvents(w.stateDir, runId), 'run_cancel_requested')).toMatchObject({ source: 'signal', requested_by_pid: null });
  });
});
