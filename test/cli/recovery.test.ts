import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile } from '../helpers/cli.js';
import { isProcessGone, readPidFile, waitFor } from '../helpers/processes.js';
import { dbEventLines, eventsPath, onlyRunId, readJsonl, runIds, runRow, stepRows, withRunsDb } from '../helpers/record.js';

/** Workspaces of this file's tests, removed after them. */
const workspace = workspacesForThisFile();

/** step id → `<status>/<attempts>`, from runs.db. */
const stepStatuses = (stateDir: string, runId: string) =>
  Object.fromEntries(Object.values(stepRows(stateDir, runId)).map((r) => [r.step_id, `${r.status}/${r.attempts}`]));

describe('resume', () => {
  it('reruns a fixed failed step and what follows it, keeps succeeded steps, and ends succeeded', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan([
        { id: 'a', command: 'sh', args: ['-c', 'echo a >> a.count'] },
        { id: 'b', command: 'sh', args: ['-c', 'test -f fixed'], depends_on: ['a'] },
        { id: 'c', command: 'sh', args: ['-c', 'echo c >> c.count'], depends_on: ['b'] },
      ]),
    );
    expect((await ws.engine(['run', p])).exitCode).toBe(1);
    const runId = onlyRunId(ws.stateDir);
    writeFileSync(join(ws.dir, 'fixed'), '');
    const resumed = await ws.engine(['resume', runId.slice(0, 22), '--state-dir', ws.stateDir]);
    expect(resumed.exitCode).toBe(0);
    expect(readFileSync(join(ws.dir, 'a.count'), 'utf8')).toBe('a\n');
    expect(readFileSync(join(ws.dir, 'c.count'), 'utf8')).toBe('c\n');
    expect(stepStatuses(ws.stateDir, runId)).toEqual({ a: 'succeeded/1', b: 'succeeded/2', c: 'succeeded/1' });
    expect(runRow(ws.stateDir, runId).status).toBe('succeeded');
    const { events } = readJsonl(ws.stateDir, runId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === 'run_resumed')).toHaveLength(1);
    expect(existsSync(join(ws.stateDir, 'runs', runId, 'logs', 'b.2.log'))).toBe(true);
  });

  /** lock (mkdir) → work (needs the lock held; fails until `fixed` exists) → unlock (all_done, rmdir). */
  const lockPlan = (undoes?: string[]) =>
    plan([
      { id: 'check', command: 'sh', args: ['-c', 'echo check >> check.count'] },
      { id: 'lock', command: 'mkdir', args: ['the.lock'], depends_on: ['check'] },
      { id: 'work', command: 'sh', args: ['-c', 'test -d the.lock && test -f fixed'], depends_on: ['lock'] },
      { id: 'unlock', command: 'rmdir', args: ['the.lock'], depends_on: ['work'], trigger_rule: 'all_done', ...(undoes ? { undoes } : {}) },
    ]);

  it('takes a lock again that a cleanup which already ran released, rerunning every ancestor of the cleanup', async () => {
    const ws = workspace();
    const p = ws.writePlan(lockPlan());
    expect((await ws.engine(['run', p])).exitCode).toBe(1);
    const runId = onlyRunId(ws.stateDir);
    expect(existsSync(join(ws.dir, 'the.lock'))).toBe(false); // unlock ran
    writeFileSync(join(ws.dir, 'fixed'), '');
    const resumed = await ws.engine(['resume', 'last', '--state-dir', ws.stateDir]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect(stepStatuses(ws.stateDir, runId)).toEqual({ check: 'succeeded/2', lock: 'succeeded/2', work: 'succeeded/2', unlock: 'succeeded/2' });
    expect(existsSync(join(ws.dir, 'the.lock'))).toBe(false);
    const resumedEvent = readJsonl(ws.stateDir, runId).events.find((e) => e.type === 'run_resumed');
    expect(resumedEvent).toMatchObject({
      kept: [],
      rerun: ['check', 'lock', 'work', 'unlock'],
      rerun_causes: [
        { step_id: 'check', cause: 'undone', by: 'unlock' },
        { step_id: 'lock', cause: 'undone', by: 'unlock' },
        { step_id: 'work', cause: 'not_succeeded', by: null },
        { step_id: 'unlock', cause: 'after_rerun', by: 'work' },
      ],
    });
    expect(resumed.all).toContain('cleanup step "unlock" already ran and undid them');
  });

  it('with undoes, reruns only what the cleanup undoes and what depends on it', async () => {
    const ws = workspace();
    const p = ws.writePlan(lockPlan(['lock']));
    expect((await ws.engine(['run', p])).exitCode).toBe(1);
    const runId = onlyRunId(ws.stateDir);
    writeFileSync(join(ws.dir, 'fixed'), '');
    const resumed = await ws.engine(['resume', 'last', '--state-dir', ws.stateDir]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect(stepStatuses(ws.stateDir, runId)).toEqual({ check: 'succeeded/1', lock: 'succeeded/2', work: 'succeeded/2', unlock: 'succeeded/2' });
    expect(readFileSync(join(ws.dir, 'check.count'), 'utf8')).toBe('check\n');
  });

  it('takes secret variables from --vars-file on resume', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan([{ id: 'a', command: 'sh', args: ['-c', 'test -f fixed && echo "$T" > token.txt'], env: { T: '${TOKEN}' } }], {
        vars: { TOKEN: { secret: true, required: true } },
      }),
    );
    await ws.engine(['run', p, '--var', 'TOKEN=s3cret']);
    writeFileSync(join(ws.dir, 'fixed'), '');
    const varsFile = join(ws.dir, 'secrets.json');
    writeFileSync(varsFile, JSON.stringify({ TOKEN: 'fr0m-file' }));
    const ok = await ws.engine(['resume', 'last', '--vars-file', varsFile, '--state-dir', ws.stateDir]);
    expect(ok.exitCode, ok.all).toBe(0);
    expect(readFileSync(join(ws.dir, 'token.txt'), 'utf8')).toBe('fr0m-file\n');
  });

  it('refuses a plan file that changed since the run started, unless --force', async () => {
    const ws = workspace();
    const p = ws.writePlan(plan([{ id: 'a', command: 'false' }]));
    await ws.engine(['run', p]);
    ws.writePlan(plan([{ id: 'a', command: 'true' }]));
    const refused = await ws.engine(['resume', 'last', '--state-dir', ws.stateDir]);
    expect(refused.exitCode).toBe(2);
    expect(refused.all).toContain('changed since run');
    const forced = await ws.engine(['resume', 'last', '--force', '--state-dir', ws.stateDir]);
    expect(forced.exitCode).toBe(0);
  });

  it('asks for secret variables again instead of using the masked value', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan([{ id: 'a', command: 'sh', args: ['-c', 'test -f fixed && echo "$T" > token.txt'], env: { T: '${TOKEN}' } }], {
        vars: { TOKEN: { secret: true, required: true } },
      }),
    );
    await ws.engine(['run', p, '--var', 'TOKEN=s3cret']);
    writeFileSync(join(ws.dir, 'fixed'), '');
    const missing = await ws.engine(['resume', 'last', '--state-dir', ws.stateDir]);
    expect(missing.exitCode).toBe(2);
    expect(missing.all).toContain('--var TOKEN=');
    const ok = await ws.engine(['resume', 'last', '--var', 'TOKEN=s3cret', '--state-dir', ws.stateDir]);
    expect(ok.exitCode).toBe(0);
    expect(readFileSync(join(ws.dir, 'token.txt'), 'utf8')).toBe('s3cret\n');
  });
});

describe('crash recovery', () => {
  it('marks a run whose engine was killed with SIGKILL interrupted, kills its step processes, and resume completes it', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan(
        [
          { id: 'quick', command: 'true' },
          { id: 'slow', command: 'sh', args: ['-c', 'test -f go && exit 0; echo $$ > slow.pid; sleep 30 & echo $! > child.pid; wait'], depends_on: ['quick'] },
          { id: 'after', command: 'sh', args: ['-c', 'test -f go'], depends_on: ['slow'] },
        ],
        { globals: { kill_grace_sec: 1 } },
      ),
    );
    const engine = ws.engine(['run', p]);
    const slowPid = await waitFor(() => readPidFile(join(ws.dir, 'slow.pid')), 'the slow step to start');
    const childPid = await waitFor(() => readPidFile(join(ws.dir, 'child.pid')), 'the grandchild to start');
    engine.kill('SIGKILL');
    await engine;
    const runId = onlyRunId(ws.stateDir);
    expect(runRow(ws.stateDir, runId).status).toBe('running');

    const listed = await ws.engine(['runs', '--json', '--state-dir', ws.stateDir]);
    expect(listed.exitCode).toBe(0);
    expect(runRow(ws.stateDir, runId).status).toBe('interrupted');
    expect(stepStatuses(ws.stateDir, runId).slow).toBe('interrupted/1');
    await waitFor(() => isProcessGone(slowPid) && isProcessGone(childPid), 'the step processes to be killed');

    const { lines, events } = readJsonl(ws.stateDir, runId);
    expect(events.at(-1)!.type).toBe('run_interrupted');
    expect(dbEventLines(ws.stateDir, runId)).toEqual(lines);
    expect(withRunsDb(ws.stateDir, (db) => db.pragma('integrity_check', { simple: true }))).toBe('ok');

    writeFileSync(join(ws.dir, 'go'), '');
    const resumed = await ws.engine(['resume', runId, '--state-dir', ws.stateDir]);
    expect(resumed.exitCode).toBe(0);
    expect(runRow(ws.stateDir, runId).status).toBe('succeeded');
    expect(stepStatuses(ws.stateDir, runId)).toEqual({ quick: 'succeeded/1', slow: 'succeeded/2', after: 'succeeded/1' });
  }, 90_000);

  it('keeps runs.db intact and equal to events.jsonl after kill -9 at different moments', async () => {
    const ws = workspace();
    const steps = Array.from({ length: 60 }, (_, i) => ({ id: `s${i}`, command: 'true', depends_on: i >= 3 ? [`s${i - 3}`] : [] }));
    const p = ws.writePlan(plan(steps, { globals: { max_concurrency: 3 } }));
    // Moments counted from the run's first event (its events.jsonl appearing), so that a slow
    // start-up on a loaded machine does not turn every kill into one before the run began.
    for (const delayMs of [0, 20, 60, 120]) {
      const before = new Set(runIds(ws.stateDir));
      const engine = ws.engine(['run', p]);
      await waitFor(
        () => runIds(ws.stateDir).some((id) => !before.has(id) && existsSync(join(ws.stateDir, 'runs', id, 'events.jsonl'))) || engine.exitCode !== null,
        'the run to start',
        { timeoutMs: 20_000, intervalMs: 2 },
      );
      await new Promise((r) => setTimeout(r, delayMs));
      engine.kill('SIGKILL');
      await engine;
    }
    const listed = await ws.engine(['runs', '--state-dir', ws.stateDir]);
    expect(listed.exitCode, listed.all).toBe(0);
    expect(withRunsDb(ws.stateDir, (db) => db.pragma('integrity_check', { simple: true }))).toBe('ok');
    const runs = withRunsDb(ws.stateDir, (db) => db.prepare('SELECT run_id, status FROM runs').all() as { run_id: string; status: string }[]);
    expect(runs.length).toBeGreaterThan(0);
    // Every run that recorded an event is in runs.db (none is lost to a kill before its first flush).
    const recorded = runIds(ws.stateDir).filter(
      (id) => existsSync(eventsPath(ws.stateDir, id)) && readJsonl(ws.stateDir, id).lines.length > 0,
    );
    expect(runs.map((r) => r.run_id).sort()).toEqual(recorded.sort());
    for (const { run_id: runId, status } of runs) {
      expect(['succeeded', 'interrupted']).toContain(status);
      const { lines } = readJsonl(ws.stateDir, runId);
      expect(dbEventLines(ws.stateDir, runId)).toEqual(lines);
    }
  }, 60_000);

  it('cancels a live run from another process like Ctrl-C, still running its all_done cleanup', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan(
        [
          { id: 'work', command: 'sh', args: ['-c', 'echo $$ > work.pid; sleep 30'] },
          { id: 'cleanup', command: 'touch', args: ['cleaned'], depends_on: ['work'], trigger_rule: 'all_done' },
        ],
        { globals: { kill_grace_sec: 1 } },
      ),
    );
    const engine = ws.engine(['run', p]);
    const workPid = await waitFor(() => readPidFile(join(ws.dir, 'work.pid')), 'the work step to start');
    await waitFor(() => existsSync(join(ws.stateDir, 'runs.db')) && runRow(ws.stateDir, onlyRunId(ws.stateDir))?.status === 'running', 'the run row');
    const cancel = await ws.engine(['cancel', 'last', '--state-dir', ws.stateDir]);
    expect(cancel.exitCode).toBe(0);
    expect((await engine).exitCode).toBe(130);
    const runId = onlyRunId(ws.stateDir);
    expect(runRow(ws.stateDir, runId).status).toBe('cancelled');
    expect(stepStatuses(ws.stateDir, runId)).toEqual({ work: 'cancelled/1', cleanup: 'succeeded/1' });
    expect(existsSync(join(ws.dir, 'cleaned'))).toBe(true);
    expect(isProcessGone(workPid)).toBe(true);
  });

  it('refuses to cancel a run that is not running', async () => {
    const ws = workspace();
    await ws.engine(['run', ws.writePlan(plan([{ id: 'a', command: 'true' }]))]);
    const r = await ws.engine(['cancel', 'last', '--state-dir', ws.stateDir]);
    expect(r.exitCode).toBe(2);
    expect(r.all).toContain('not running');
  });
});

describe('resume with a relative --state-dir', () => {
  it('resumes like every other command accepts it', async () => {
    const ws = workspace();
    const p = ws.writePlan(plan([{ id: 'a', command: 'sh', args: ['-c', 'test -f ok'] }]));
    expect((await ws.engine(['run', p])).exitCode).toBe(1); // into <dir>/state
    writeFileSync(join(ws.dir, 'ok'), '');
    const resumed = await ws.engine(['resume', 'last', '--state-dir', 'state']); // relative to <dir>
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect(resumed.all).not.toContain('internal error');
  });
});
