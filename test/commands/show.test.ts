/**
 * `engine show RUN`: the run and its steps in topological order, as text or JSON; and how a
 * run reference resolves (exact id, unique prefix, `last`, ambiguous or unknown), which
 * `show` shares with `logs`.
 */
import type { ShowJson } from '../../src/commands/show.js';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { engineQ, plan, runPlanFile, tableRows, workspacesForThisFile, type Workspace } from '../helpers/cli.js';

const newWorkspace = workspacesForThisFile();

/** The longest common prefix of two strings. */
function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

/**
 * File order, alphabetical order and topological order all differ:
 * file:          deploy, build, compile, announce, lint, report, flaky
 * alphabetical:  announce, build, compile, deploy, flaky, lint, report
 * topological:   compile, build, deploy, announce, lint, report, flaky
 */
const STEPS = [
  { id: 'deploy', command: 'true', depends_on: ['build'] },
  { id: 'build', shell: true, command: 'echo building', depends_on: ['compile'] },
  { id: 'compile', command: 'true' },
  { id: 'announce', command: 'true', depends_on: ['deploy'] },
  { id: 'lint', shell: true, command: 'exit 3', critical: false, on_failure: 'skip_dependents' },
  { id: 'report', command: 'true', depends_on: ['lint'] },
  { id: 'flaky', shell: true, command: '[ "$ENGINE_ATTEMPT" -ge 2 ]', retries: 1 },
];
const TOPOLOGICAL = ['compile', 'build', 'deploy', 'announce', 'lint', 'report', 'flaky'];
const STEP_HEADER = 'STEP';

describe('engine show', () => {
  let ws: Workspace;
  let runId: string;
  let otherId: string;

  beforeAll(async () => {
    ws = newWorkspace('engine-show-');
    ws.writePlan(plan(STEPS, { plan_id: 'release' }), 'release.json');
    ws.writePlan(plan([{ id: 'only', command: 'true' }], { plan_id: 'small' }), 'small.json');
    runId = await runPlanFile(ws, 'release.json');
    otherId = await runPlanFile(ws, 'small.json');
  });

  it('lists the steps in topological order, not alphabetical or file order', async () => {
    const r = await engineQ(ws, ['show', runId]);
    expect(r.exitCode).toBe(0);
    const order = tableRows(r.stdout, STEP_HEADER).map((row) => row[0]);
    expect(order).toEqual(TOPOLOGICAL);
    expect(order).not.toEqual([...TOPOLOGICAL].sort());
  });

  it("shows each step's status, attempts, exit code or reason, and log path", async () => {
    const r = await engineQ(ws, ['show', runId]);
    const rows = Object.fromEntries(tableRows(r.stdout, STEP_HEADER).map((row) => [row[0], row]));
    const logOf = (step: string, attempt: number): string => join('state', 'runs', runId, 'logs', `${step}.${attempt}.log`);
    // STEP, STATUS, ATTEMPTS, RESULT, STARTED, DURATION, LOG
    expect(rows.compile!.slice(0, 4)).toEqual(['compile', 'succeeded', '1', 'exit code 0']);
    expect(rows.compile![4]).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(rows.compile![5]).toMatch(/^\d+ms$|^\d+\.\ds$/);
    expect(rows.compile![6]).toBe(logOf('compile', 1));
    expect(rows.lint!.slice(0, 4)).toEqual(['lint', 'failed', '1', 'exit code 3 (expected 0)']);
    expect(rows.report!.slice(0, 3)).toEqual(['report', 'skipped', '0']);
    expect(rows.report![3]).toContain('lint');
    expect(rows.report!.slice(4)).toEqual(['-', '-', '-']);
    expect(rows.flaky!.slice(0, 4)).toEqual(['flaky', 'succeeded', '2', 'exit code 0']);
    expect(rows.flaky![6]).toBe(logOf('flaky', 2));
  });

  it('shows the run: id, plan, status with exit code, times and step counts', async () => {
    const r = await engineQ(ws, ['show', runId]);
    const head = r.stdout.slice(0, r.stdout.indexOf('\n\n'));
    expect(head).toMatch(new RegExp(`^run +${runId}$`, 'm'));
    expect(head).toMatch(/^plan +release 1 \(release\.json\)$/m);
    expect(head).toMatch(/^status +succeeded \(exit code 0\)$/m);
    expect(head).toMatch(/^started +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    expect(head).toMatch(/^duration +(\d+ms|\d+\.\ds)$/m);
    expect(head).toMatch(/^steps +5 succeeded, 1 failed, 1 skipped, 0 cancelled \(of 7\)$/m);
  });

  it('--json prints the run and its steps in topological order with every attempt', async () => {
    const r = await engineQ(ws, ['show', runId, '--json']);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as ShowJson;
    expect(out.run).toMatchObject({ run_id: runId, plan_id: 'release', status: 'succeeded', exit_code: 0, steps_total: 7 });
    expect(out.steps.map((s) => s.step_id)).toEqual(TOPOLOGICAL);
    expect(out.steps.map((s) => s.position)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const byId = Object.fromEntries(out.steps.map((s) => [s.step_id, s]));
    expect(byId.deploy).toMatchObject({ depends_on: ['build'], status: 'succeeded', attempts: 1, exit_code: 0 });
    expect(byId.lint).toMatchObject({ status: 'failed', reason: 'exit_code', exit_code: 3 });
    expect(byId.report).toMatchObject({ status: 'skipped', reason: 'trigger_rule', upstream: 'lint', attempts: 0, log_path: null });
    expect(byId.flaky!.attempt_details.map((a) => [a.attempt, a.status, a.exit_code])).toEqual([
      [1, 'failed', 1],
      [2, 'succeeded', 0],
    ]);
    expect(byId.flaky!.log_path).toBe(join(ws.stateDir, 'runs', runId, 'logs', 'flaky.2.log'));
  });

  it('accepts a unique prefix of a run id', async () => {
    const r = await engineQ(ws, ['show', runId.slice(0, -3), '--json']);
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as { run: { run_id: string } }).run.run_id).toBe(runId);
  });

  it('takes "last" to mean the newest run', async () => {
    const r = await engineQ(ws, ['show', 'last', '--json']);
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as { run: { run_id: string } }).run.run_id).toBe(otherId);
  });

  it('exits 2 on an ambiguous prefix, listing the candidates', async () => {
    const prefix = commonPrefix(runId, otherId);
    expect(prefix.length).toBeGreaterThan(0);
    const r = await engineQ(ws, ['show', prefix]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`run id prefix "${prefix}" is ambiguous`);
    expect(r.stderr).toContain(runId);
    expect(r.stderr).toContain(otherId);
  });

  it('exits 2 with "no run matches" for an unknown run id', async () => {
    const r = await engineQ(ws, ['show', 'nosuchrun']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no run matches "nosuchrun"');
  });

  it('exits 2 with a clear error when the state directory has no runs.db', async () => {
    const empty = newWorkspace('engine-show-empty-');
    const r = await engineQ(empty, ['show', 'last']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`engine: no runs yet in ${empty.stateDir} (no runs.db there)\n`);
  });
});
