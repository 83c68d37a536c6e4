/**
 * Sub-plans (issue 13) through the built CLI: a plan step runs another plan as a child run in
 * the same engine and state directory. Values given with `vars` (outputs included), a child's
 * failure failing the parent step, a matrix of child runs, Ctrl-C reaching the child (its
 * cleanup still runs; SIGINT to the engine leaves no process of the child behind), resume
 * continuing the child run, variables and secrets handed to the child (a for_each of child runs
 * included), and validation of the child plans (located problems, vars against declarations,
 * plan cycles, a plan running itself).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineResult, plan, workspacesForThisFile } from '../helpers/cli.js';
import { isProcessGone, processesIn, readPidFile, waitFor } from '../helpers/processes.js';
import { dumpRunsDbText, eventsOf, finalStatuses, openDbFileReadonly, readEvents, readEventsText, readLog, runsDbPath } from '../helpers/record.js';

const workspace = workspacesForThisFile('engine-subplans-');

/** A child plan that echoes its variables into a file named after them, and fails for REGION=bad. */
const DEPLOY = plan(
  [
    { id: 'push', shell: true, command: 'echo "${VERSION}" > "pushed-${REGION}.txt"' },
    { id: 'check', shell: true, command: 'test "${REGION}" != bad', depends_on: ['push'] },
  ],
  { plan_id: 'deploy', vars: { REGION: { required: true }, VERSION: { required: true } } },
);

interface RunRow {
  run_id: string;
  plan_id: string;
  status: string;
  parent_run_id: string | null;
  parent_step_id: string | null;
}

function runsOf(stateDir: string): RunRow[] {
  const db = openDbFileReadonly(runsDbPath(stateDir));
  try {
    return db.prepare('SELECT run_id, plan_id, status, parent_run_id, parent_step_id FROM runs ORDER BY started_at, run_id').all() as RunRow[];
  } finally {
    db.close();
  }
}

describe('plan steps', () => {
  it('run a matrix of child runs with vars from outputs; a failing child fails its step; the records link parent and child', async () => {
    const ws = workspace();
    ws.writePlan(DEPLOY, 'deploy.json');
    const parentPath = ws.writePlan(
      plan(
        [
          { id: 'build', shell: true, command: 'echo version=2.0.1 >> "$ENGINE_OUTPUT"' },
          {
            id: 'deploy',
            plan: 'deploy.json',
            vars: { REGION: '${matrix.region}', VERSION: '${steps.build.outputs.version}' },
            matrix: { region: ['eu', 'us', 'bad'] },
            tolerated_failures: 1,
            depends_on: ['build'],
          },
          { id: 'report', command: 'echo', args: ['${steps.deploy.status}'], depends_on: ['deploy'] },
        ],
        { plan_id: 'release' },
      ),
    );
    const r = await ws.engine(['run', parentPath]);
    expect(r.exitCode, r.all).toBe(0);
    for (const region of ['eu', 'us', 'bad']) expect(readFileSync(join(ws.dir, `pushed-${region}.txt`), 'utf8').trim()).toBe('2.0.1');
    const runs = runsOf(ws.stateDir);
    const parent = runs.find((x) => x.plan_id === 'release')!;
    const children = runs.filter((x) => x.plan_id === 'deploy');
    expect(children).toHaveLength(3);
    for (const c of children) expect(c.parent_run_id).toBe(parent.run_id);
    expect(children.map((c) => c.parent_step_id).sort()).toEqual(['deploy[region=bad]', 'deploy[region=eu]', 'deploy[region=us]']);
    expect(children.find((c) => c.parent_step_id === 'deploy[region=bad]')!.status).toBe('failed');

    const events = readEvents(ws.stateDir, parent.run_id);
    expect(finalStatuses(events)).toMatchObject({ build: 'succeeded', 'deploy[region=eu]': 'succeeded', 'deploy[region=bad]': 'failed', deploy: 'succeeded', report: 'succeeded' });
    const bad = eventsOf(events, 'step_failed', 'deploy[region=bad]')[0]!;
    const badChild = children.find((c) => c.parent_step_id === 'deploy[region=bad]')!.run_id;
    expect(bad.error).toContain(`child run ${badChild} failed`);
    const started = eventsOf(events, 'step_started', 'deploy[region=eu]')[0]!;
    expect(started.child_run_id).toBe(children.find((c) => c.parent_step_id === 'deploy[region=eu]')!.run_id);
    // The child's own record: run_started names its parent; show links both ways.
    const childStart = eventsOf(readEvents(ws.stateDir, badChild), 'run_started')[0]!;
    expect(childStart).toMatchObject({ parent_run_id: parent.run_id, parent_step_id: 'deploy[region=bad]', plan_id: 'deploy' });
    const show = JSON.parse((await ws.engine(['show', parent.run_id, '--json'])).stdout) as { run: { children: { run_id: string }[] }; steps: { step_id: string; child_run_id: string | null }[] };
    expect(show.run.children.map((c) => c.run_id).sort()).toEqual(children.map((c) => c.run_id).sort());
    expect(show.steps.find((s) => s.step_id === 'deploy[region=bad]')!.child_run_id).toBe(badChild);
    const childShow = (await ws.engine(['show', badChild])).stdout;
    expect(childShow).toContain(`parent    run ${parent.run_id}, step deploy[region=bad]`);
    // `last` is the top-level run, not the child that started last.
    expect(JSON.parse((await ws.engine(['show', 'last', '--json'])).stdout).run.run_id).toBe(parent.run_id);
  });

  it('Ctrl-C reaches a running child, whose cleanup still runs; resume continues the child run', async () => {
    const ws = workspace();
    ws.writePlan(
      plan(
        [
          { id: 'one', shell: true, command: 'echo one >> child-ran.txt' },
          { id: 'wait', shell: true, command: 'touch waiting; while [ ! -f go ]; do sleep 0.05; done', depends_on: ['one'] },
          { id: 'tidy', shell: true, command: 'echo tidy >> child-ran.txt', depends_on: ['wait'], trigger_rule: 'all_done' },
        ],
        { plan_id: 'slow' },
      ),
      'slow.json',
    );
    const parentPath = ws.writePlan(plan([{ id: 'child', plan: 'slow.json' }, { id: 'after', command: 'true', depends_on: ['child'] }], { plan_id: 'outer' }));
    const run = ws.engine(['run', parentPath]);
    await waitFor(() => existsSync(join(ws.dir, 'waiting')), 'the child step to run', { timeoutMs: 15_000 });
    run.kill('SIGINT');
    const r = await engineResult(run);
    expect(r.exitCode, r.all).toBe(130);
    const runs = runsOf(ws.stateDir);
    const outer = runs.find((x) => x.plan_id === 'outer')!;
    const child = runs.find((x) => x.plan_id === 'slow')!;
    expect(outer.status).toBe('cancelled');
    expect(child.status).toBe('cancelled');
    expect(eventsOf(readEvents(ws.stateDir, child.run_id), 'run_cancel_requested')[0]).toMatchObject({ source: 'parent_run' });
    // The child's cleanup ran although its run was cancelled.
    expect(readFileSync(join(ws.dir, 'child-ran.txt'), 'utf8').trim().split('\n')).toEqual(['one', 'tidy']);

    writeFileSync(join(ws.dir, 'go'), '');
    const resumed = await ws.engine(['resume', 'last']);
    expect(resumed.exitCode, resumed.all).toBe(0);
    const after = runsOf(ws.stateDir);
    // No new child run: the same one was resumed, and both ended succeeded.
    expect(after.filter((x) => x.plan_id === 'slow').map((x) => x.run_id)).toEqual([child.run_id]);
    expect(after.map((x) => x.status)).toEqual(['succeeded', 'succeeded']);
    expect(eventsOf(readEvents(ws.stateDir, child.run_id), 'run_resumed')).toHaveLength(1);
  });

  it('a failing child plan fails the parent step and the run (exit 1)', async () => {
    const ws = workspace();
    ws.writePlan(DEPLOY, 'deploy.json');
    const p = ws.writePlan(plan([{ id: 'd', plan: 'deploy.json', vars: { REGION: 'bad', VERSION: '1' } }, { id: 'later', command: 'true', depends_on: ['d'] }]));
    const r = await ws.engine(['run', p]);
    expect(r.exitCode, r.all).toBe(1);
    const parent = runsOf(ws.stateDir).find((x) => x.parent_run_id === null)!;
    expect(finalStatuses(readEvents(ws.stateDir, parent.run_id))).toEqual({ d: 'failed', later: 'cancelled' });
  });
});

describe('validation of plan steps', () => {
  it('locates problems in the child plan, checks vars against its declarations, and rejects plan cycles (exit 2, nothing run)', async () => {
    const ws = workspace();
    ws.writePlan(DEPLOY, 'deploy.json');
    ws.writePlan(plan([{ id: 'broken', command: 'true', retries: 'x' }], { plan_id: 'broken' }), 'broken.json');
    ws.writePlan(plan([{ id: 'back', plan: 'a.json' }], { plan_id: 'b' }), 'b.json');
    ws.writePlan(plan([{ id: 'to_b', plan: 'b.json' }], { plan_id: 'a' }), 'a.json');
    const p = ws.writePlan(
      plan([
        { id: 'typo', plan: 'deploy.json', vars: { REGON: 'eu', VERSION: '1' } },
        { id: 'child_bad', plan: 'broken.json' },
        { id: 'missing', plan: 'nowhere.json' },
        { id: 'cycle', plan: 'a.json' },
        { id: 'both', plan: 'deploy.json', command: 'true', vars: { REGION: 'x', VERSION: '1' } },
      ]),
    );
    const r = await ws.engine(['validate', p]);
    expect(r.exitCode).toBe(2);
    const err = r.stderr;
    expect(err).toMatch(/plan\.json:\d+:\d+: \/steps\/0\/vars\/REGON: deploy\.json declares no variable "REGON" \(did you mean "REGION"\?\)/);
    expect(err).toMatch(/plan\.json:\d+:\d+: \/steps\/0\/vars: deploy\.json requires variable "REGION"/);
    expect(err).toMatch(/broken\.json:\d+:\d+: \/steps\/0\/retries: /);
    expect(err).toMatch(/\/steps\/2\/plan: plan file not found: .*nowhere\.json/);
    expect(err).toMatch(/\/steps\/0\/plan: plan cycle: a\.json -> b\.json -> a\.json/);
    expect(err).toMatch(/\/steps\/4\/plan: a step has either "command" .* or "plan" .*, not both/);
    expect((await ws.engine(['run', p])).exitCode).toBe(2);
    expect(existsSync(runsDbPath(ws.stateDir))).toBe(false);
  });
});

describe('plan steps and processes', () => {
  it('SIGINT to the engine cancels the running child run and leaves none of its processes', async () => {
    const ws = workspace();
    ws.writePlan(
      plan(
        [
          // A step with a child process of its own (a grandchild of the step's shell).
          { id: 'busy', shell: true, command: 'sleep 30 & echo $! > grandchild.pid; echo $$ > step.pid; wait' },
          { id: 'never', command: 'touch', args: ['never-ran'], depends_on: ['busy'] },
        ],
        { plan_id: 'busy' },
      ),
      'busy.json',
    );
    const parentPath = ws.writePlan(plan([{ id: 'child', plan: 'busy.json' }, { id: 'after', command: 'touch', args: ['after-ran'], depends_on: ['child'] }], { plan_id: 'outer' }));
    const run = ws.engine(['run', parentPath]);
    const [stepPid, grandchildPid] = await waitFor(
      () => {
        const a = readPidFile(join(ws.dir, 'step.pid'));
        const b = readPidFile(join(ws.dir, 'grandchild.pid'));
        return a !== undefined && b !== undefined && [a, b];
      },
      'the child plan\'s step to start',
      { timeoutMs: 15_000 },
    );
    process.kill(run.pid!, 'SIGINT');
    const r = await engineResult(run);
    expect(r.exitCode, r.all).toBe(130);
    // The engine has stopped the child's processes (a moment allowed for the kernel to reap them).
    await waitFor(() => isProcessGone(stepPid) && isProcessGone(grandchildPid), 'the child step\'s processes to end', { timeoutMs: 2000 });
    expect(processesIn(ws.dir)).toEqual([]);
    const runs = runsOf(ws.stateDir);
    const outer = runs.find((x) => x.plan_id === 'outer')!;
    const child = runs.find((x) => x.plan_id === 'busy')!;
    expect([outer.status, child.status]).toEqual(['cancelled', 'cancelled']);
    const childEvents = readEvents(ws.stateDir, child.run_id);
    expect(finalStatuses(childEvents)).toEqual({ busy: 'cancelled', never: 'cancelled' });
    expect(eventsOf(childEvents, 'step_cancelled', 'busy')[0]).toMatchObject({ reason: 'run_cancelled', attempt: 1 });
    expect(finalStatuses(readEvents(ws.stateDir, outer.run_id))).toEqual({ child: 'cancelled', after: 'cancelled' });
    expect(existsSync(join(ws.dir, 'never-ran'))).toBe(false);
    expect(existsSync(join(ws.dir, 'after-ran'))).toBe(false);
  });
});

describe('variables of plan steps', () => {
  it('hands the parent\'s variables, a secret masked in the child\'s record, and for_each items to child runs', async () => {
    const SECRET = 'pa55-Wrd-XYZ';
    const ws = workspace();
    ws.writePlan(
      plan(
        [{ id: 'say', shell: true, command: 'echo "region=${REGION} token=$T" > "said-${REGION}.txt"; echo "token $T in ${REGION}"', env: { T: '${TOKEN}' } }],
        { plan_id: 'child', vars: { REGION: { required: true }, TOKEN: { required: true } } },
      ),
      'child.json',
    );
    const p = ws.writePlan(
      plan(
        [
          { id: 'list', shell: true, command: 'echo \'regions=["us","ap"]\' >> "$ENGINE_OUTPUT"' },
          { id: 'home', plan: 'child.json', vars: { REGION: '${WHERE}', TOKEN: '${TOK}' } },
          { id: 'each', plan: 'child.json', for_each: '${steps.list.outputs.regions}', vars: { REGION: '${item}', TOKEN: '${TOK}' }, depends_on: ['list'] },
        ],
        { plan_id: 'parent', vars: { TOK: { secret: true, required: true }, WHERE: { default: 'eu' } } },
      ),
    );
    const r = await ws.engine(['run', p, '--var', `TOK=${SECRET}`, '--var', 'WHERE=sa']);
    expect(r.exitCode, r.all).toBe(0);
    // The child got the real values.
    for (const region of ['sa', 'us', 'ap']) expect(readFileSync(join(ws.dir, `said-${region}.txt`), 'utf8')).toBe(`region=${region} token=${SECRET}\n`);
    const runs = runsOf(ws.stateDir);
    const parent = runs.find((x) => x.plan_id === 'parent')!;
    expect(runs.filter((x) => x.plan_id === 'child').map((x) => x.parent_step_id).sort()).toEqual(['each[ap]', 'each[us]', 'home']);
    expect(eventsOf(readEvents(ws.stateDir, parent.run_id), 'step_expanded', 'each')[0]!.instances).toEqual(['each[us]', 'each[ap]']);
    // The secret is masked in the child's log and record like in the parent's.
    const home = runs.find((x) => x.parent_step_id === 'home')!;
    expect(readLog(ws.stateDir, 'say', 1, home.run_id)).toBe('token *** in sa\n');
    expect(eventsOf(readEvents(ws.stateDir, home.run_id), 'run_started')[0]!.vars).toMatchObject({ REGION: 'sa', TOKEN: '***' });
    for (const x of runs) expect(readEventsText(ws.stateDir, x.run_id)).not.toContain(SECRET);
    expect(dumpRunsDbText(ws.stateDir).filter((t) => t.includes(SECRET))).toEqual([]);
  });
});

describe('validation of plan cycles', () => {
  it('rejects a plan that runs itself (exit 2, nothing run)', async () => {
    const ws = workspace();
    const p = ws.writePlan(plan([{ id: 'marker', command: 'touch', args: ['ran.txt'] }, { id: 'again', plan: 'plan.json' }]));
    const r = await ws.engine(['run', p]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/plan\.json:\d+:\d+: \/steps\/1\/plan: plan cycle: \S*plan\.json -> \S*plan\.json \(a plan cannot run itself/);
    expect(existsSync(join(ws.dir, 'ran.txt'))).toBe(false);
    expect(existsSync(runsDbPath(ws.stateDir))).toBe(false);
  });
});
