/**
 * `engine runs`: recent runs newest first, filtered by --status / --plan / --limit, as an
 * aligned table or a JSON array, from real runs of the built CLI.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { engineQ, plan, runPlanFile, startRun, tableRows, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { killOrphanedStep } from '../helpers/processes.js';
import { withRunsDb } from '../helpers/record.js';

const newWorkspace = workspacesForThisFile();

const HEADER = 'RUN ID';

describe('engine runs', () => {
  let ws: Workspace;
  /** Oldest first: alpha (succeeded), beta (failed), alpha (succeeded). */
  let ids: string[];

  beforeAll(async () => {
    ws = newWorkspace('engine-runs-');
    ws.writePlan(
      plan(
        [
          { id: 'one', command: 'true' },
          { id: 'two', command: 'true', depends_on: ['one'] },
        ],
        { plan_id: 'alpha' },
      ),
      'alpha.json',
    );
    ws.writePlan(
      plan(
        [
          { id: 'breaks', shell: true, command: 'exit 3', on_failure: 'skip_dependents' },
          { id: 'after', command: 'true', depends_on: ['breaks'] },
        ],
        { plan_id: 'beta' },
      ),
      'beta.json',
    );
    ids = [];
    ids.push(await runPlanFile(ws, 'alpha.json'));
    ids.push(await runPlanFile(ws, 'beta.json', 1));
    ids.push(await runPlanFile(ws, 'alpha.json'));
  });

  it('lists every run newest first with its plan, status and step counts', async () => {
    const r = await engineQ(ws, ['runs']);
    expect(r.exitCode).toBe(0);
    const rows = tableRows(r.stdout, HEADER);
    expect(rows.map((row) => row[0])).toEqual([ids[2], ids[1], ids[0]]);
    expect(rows.map((row) => [row[1], row[2]])).toEqual([
      ['alpha', 'succeeded'],
      ['beta', 'failed'],
      ['alpha', 'succeeded'],
    ]);
    expect(rows[0]![5]).toBe('2/0/0 of 2');
    expect(rows[1]![5]).toBe('0/1/1 of 2');
  });

  it('aligns every column of the table under its header', async () => {
    const r = await engineQ(ws, ['runs']);
    const lines = r.stdout.trimEnd().split('\n');
    const header = lines[0]!;
    for (const title of ['PLAN', 'STATUS', 'STARTED', 'STEPS']) {
      const col = header.indexOf(title);
      for (const line of lines.slice(1)) {
        expect(line[col - 1], `column ${title} in ${JSON.stringify(line)}`).toBe(' ');
        expect(line[col], `column ${title} in ${JSON.stringify(line)}`).not.toBe(' ');
      }
    }
    // DURATION is right-aligned: every value ends where the header ends.
    const end = header.indexOf('DURATION') + 'DURATION'.length;
    for (const line of lines.slice(1)) expect(line.slice(0, end)).toMatch(/\d(ms|s)$/);
  });

  it('shows the start as local time YYYY-MM-DD HH:MM:SS and a short duration', async () => {
    const { started_at, duration_ms } = withRunsDb(
      ws.stateDir,
      (db) => db.prepare('SELECT started_at, duration_ms FROM runs WHERE run_id = ?').get(ids[2]) as { started_at: string; duration_ms: number },
    );
    const tokyo = new Date(Date.parse(started_at) + 9 * 3600_000).toISOString();
    const r = await engineQ(ws, ['runs', '--limit', '1'], { env: { TZ: 'Asia/Tokyo' } });
    const row = tableRows(r.stdout, HEADER)[0]!;
    expect(row[3]).toBe(`${tokyo.slice(0, 10)} ${tokyo.slice(11, 19)}`);
    expect(row[4]).toMatch(duration_ms < 1000 ? /^\d+ms$/ : /^\d+\.\ds$/);
  });

  it('--status lists only runs with that status', async () => {
    const r = await engineQ(ws, ['runs', '--status', 'failed']);
    expect(r.exitCode).toBe(0);
    expect(tableRows(r.stdout, HEADER).map((row) => row[0])).toEqual([ids[1]]);
  });

  it('--plan lists only runs of that plan id', async () => {
    const r = await engineQ(ws, ['runs', '--plan', 'alpha']);
    expect(tableRows(r.stdout, HEADER).map((row) => row[0])).toEqual([ids[2], ids[0]]);
  });

  it('--limit lists only the newest N runs', async () => {
    const r = await engineQ(ws, ['runs', '--limit', '2']);
    expect(tableRows(r.stdout, HEADER).map((row) => row[0])).toEqual([ids[2], ids[1]]);
  });

  it('combines filters with --limit', async () => {
    const r = await engineQ(ws, ['runs', '--plan', 'alpha', '--status', 'succeeded', '--limit', '1', '--json']);
    expect((JSON.parse(r.stdout) as { run_id: string }[]).map((x) => x.run_id)).toEqual([ids[2]]);
  });

  it('--json prints an array of runs with stable snake_case keys', async () => {
    const r = await engineQ(ws, ['runs', '--json']);
    expect(r.exitCode).toBe(0);
    const runs = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(runs.map((x) => x.run_id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(Object.keys(runs[1]!)).toEqual([
      'run_id',
      'plan_id',
      'plan_version',
      'plan_path',
      'status',
      'exit_code',
      'started_at',
      'finished_at',
      'duration_ms',
      'steps_total',
      'steps_succeeded',
      'steps_failed',
      'steps_skipped',
      'steps_cancelled',
      'cwd',
      'pid',
      'hostname',
      'parent_run_id',
      'parent_step_id',
    ]);
    expect(runs[1]).toMatchObject({
      plan_id: 'beta',
      plan_version: '1',
      status: 'failed',
      exit_code: 1,
      steps_total: 2,
      steps_succeeded: 0,
      steps_failed: 1,
      steps_skipped: 1,
      steps_cancelled: 0,
    });
    expect(typeof runs[1]!.duration_ms).toBe('number');
  });

  it('says so when filters match no run', async () => {
    const r = await engineQ(ws, ['runs', '--plan', 'nosuchplan']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`no runs match in ${ws.stateDir}\n`);
  });

  it('rejects an unknown --status with exit 2, naming the valid ones', async () => {
    const r = await engineQ(ws, ['runs', '--status', 'done']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('unknown status "done"');
    expect(r.stderr).toContain('running, succeeded, failed, cancelled, interrupted');
  });
});

describe('engine runs without runs.db', () => {
  it('prints "no runs yet in <state>" and exits 0', async () => {
    const ws = newWorkspace('engine-runs-empty-');
    const r = await engineQ(ws, ['runs']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`no runs yet in ${ws.stateDir}\n`);
  });

  it('prints an empty JSON array with --json', async () => {
    const ws = newWorkspace('engine-runs-empty-');
    const r = await engineQ(ws, ['runs', '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});

describe('engine runs with a run whose engine died', () => {
  it('shows the run as interrupted (crash recovery ran first) and show lists the step as interrupted', async () => {
    const ws = newWorkspace('engine-runs-dead-');
    ws.writePlan(plan([{ id: 'long', command: 'sleep', args: ['30'] }]));
    const { run, runId, stepPid } = await startRun(ws, 'plan.json', 'long');
    try {
      run.kill('SIGKILL');
      await run;
      const r = await engineQ(ws, ['runs']);
      expect(tableRows(r.stdout, HEADER)[0]!.slice(0, 3)).toEqual([runId, 'test', 'interrupted']);
      const s = await engineQ(ws, ['show', runId]);
      expect(s.stdout).toMatch(/^status +interrupted$/m);
      expect(s.stdout).toMatch(/^long +interrupted/m);
    } finally {
      await killOrphanedStep(stepPid);
    }
  });
});
