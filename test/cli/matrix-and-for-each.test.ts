/**
 * Fan-out (issue 13) through the built CLI, as a user sees it: a static `matrix` (product of
 * the axes with include/exclude, instance ids, `${matrix.KEY}`, `max_parallel` reached and
 * never exceeded, `tolerated_failures` by count and percent, `fail_fast`, outputs aggregated
 * as a JSON array in instance order, one instance's output picked by id, `--target` with an
 * instance id, an empty product rejected, retries, timeout and preconditions per instance), a
 * dynamic `for_each` over a real output (strings, flat objects, an empty list, bad values,
 * `step_expanded`, rows in runs.db as the instances come, resume keeping the instances that
 * succeeded), and plans/repo_checks.json on a real git repository.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { engineQ, engineResult, plan, runPlanFile, tableRows, workspacesForThisFile, type EngineResult, type Workspace } from '../helpers/cli.js';
import { git } from '../helpers/git-repo.js';
import { waitFor } from '../helpers/processes.js';
import {
  attemptRows,
  eventsOf,
  finalStatuses,
  logFiles,
  oneEvent,
  readEvents,
  runIdsInDb,
  runRow,
  stepRows,
  withRunsDb,
  type EngineEvent,
} from '../helpers/record.js';
import { maxOverlap, recordedTimes, recorderStep } from '../helpers/step-recorder.js';

const workspace = workspacesForThisFile('engine-fanout-');

/** plans/repo_checks.json of this repository (absolute). */
const REPO_CHECKS = fileURLToPath(new URL('../../plans/repo_checks.json', import.meta.url));

/** Outputs of a step in runs.db, by key. */
function outputRows(ws: Workspace, runId: string, stepId: string): Record<string, string> {
  return withRunsDb(ws, (db) =>
    Object.fromEntries(
      (db.prepare('SELECT key, value FROM outputs WHERE run_id = ? AND step_id = ?').all(runId, stepId) as { key: string; value: string }[]).map((r) => [r.key, r.value]),
    ),
  );
}

/** The instances of a group step in runs.db: ids in position order. */
function instanceRows(ws: Workspace, runId: string, group: string): string[] {
  return withRunsDb(ws, (db) =>
    (db.prepare('SELECT step_id FROM steps WHERE run_id = ? AND instance_of = ? ORDER BY position').all(runId, group) as { step_id: string }[]).map((r) => r.step_id),
  );
}

describe('matrix', () => {
  let ws: Workspace;
  let result: EngineResult;
  let runId: string;
  let events: EngineEvent[];
  const IDS = ['test[os=linux,py=3.11]', 'test[os=linux,py=3.12]', 'test[os=mac,py=3.12]', 'test[os=bsd,py=3.12]'];

  beforeAll(async () => {
    ws = workspace();
    const p = ws.writePlan(
      plan([
        {
          id: 'test',
          shell: true,
          // Every instance writes its combination; mac fails after writing it.
          command: 'echo "${matrix.os} ${matrix.py}" >> ran.txt; echo "result=${matrix.os}-${matrix.py}" >> "$ENGINE_OUTPUT"; [ ${matrix.os} != mac ]',
          matrix: { os: ['linux', 'mac'], py: ['3.11', '3.12'], exclude: [{ os: 'mac', py: '3.11' }], include: [{ os: 'bsd', py: '3.12' }] },
          tolerated_failures: 1,
        },
        {
          id: 'summary',
          command: process.execPath,
          args: ['-e', "require('fs').writeFileSync('summary.json', JSON.stringify(process.argv.slice(1)))", '${steps.test.outputs.result}', '${steps.test[os=linux,py=3.11].outputs.result}', '${steps.test.status}'],
          depends_on: ['test'],
        },
      ]),
    );
    result = await ws.engine(['run', p]);
    runId = runIdsInDb(ws)[0]!;
    events = readEvents(ws, runId);
  });

  it('runs one instance per combination: the product minus exclude, plus include, with ${matrix.KEY} substituted', () => {
    expect(result.exitCode, result.all).toBe(0);
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8').trim().split('\n').sort()).toEqual(['bsd 3.12', 'linux 3.11', 'linux 3.12', 'mac 3.12']);
    const planned = oneEvent(events, 'run_started').steps;
    expect(planned.map((s) => s.id)).toEqual([...IDS, 'test', 'summary']);
    for (const s of planned.slice(0, 4)) expect(s).toMatchObject({ instance_of: 'test', critical: false });
    expect(planned[4]).toMatchObject({ id: 'test', kind: 'matrix', depends_on: IDS });
    expect(oneEvent(events, 'step_started', 'test[os=bsd,py=3.12]').command).toContain('echo "bsd 3.12" >> ran.txt');
  });

  it('records each instance as a step of its own: events, runs.db rows, log files named by id', () => {
    const rows = stepRows(ws, runId);
    expect(Object.keys(rows)).toEqual([...IDS, 'test', 'summary']);
    for (const id of IDS) {
      expect(rows[id]).toMatchObject({ kind: 'command', instance_of: 'test', attempts: 1 });
      expect(readFileSync(join(ws.stateDir, 'runs', runId, 'logs', `${id}.1.log`), 'utf8')).toBe('');
    }
    expect(rows['test[os=mac,py=3.12]']).toMatchObject({ status: 'failed', reason: 'exit_code' });
    expect(rows.test).toMatchObject({ kind: 'matrix', instance_of: null, status: 'succeeded', attempts: 0 });
    expect(logFiles(ws, runId)).toEqual([...IDS.map((id) => `${id}.1.log`), 'summary.1.log'].sort());
  });

  it('ends the matrix step with its instances\' verdict and counts; a tolerated failure does not fail the run', () => {
    const ended = oneEvent(events, 'step_succeeded', 'test');
    expect(ended).toMatchObject({ attempt: 0, exit_code: null, instances: { total: 4, succeeded: 3, failed: 1, skipped: 0, cancelled: 0 } });
    expect(runRow(ws, runId)).toMatchObject({ status: 'succeeded', exit_code: 0 });
  });

  it('aggregates an output as a JSON array in instance order (null for the failed instance), and picks one instance\'s by id', async () => {
    const all = '["linux-3.11","linux-3.12",null,"bsd-3.12"]';
    expect(JSON.parse(readFileSync(join(ws.dir, 'summary.json'), 'utf8'))).toEqual([all, 'linux-3.11', 'succeeded']);
    expect(oneEvent(events, 'step_succeeded', 'test').outputs).toEqual({ result: all });
    expect(outputRows(ws, runId, 'test')).toEqual({ result: all });
    expect(outputRows(ws, runId, 'test[os=bsd,py=3.12]')).toEqual({ result: 'bsd-3.12' });
    expect(outputRows(ws, runId, 'test[os=mac,py=3.12]')).toEqual({});
    const show = JSON.parse((await engineQ(ws, ['show', runId, '--json'])).stdout) as { steps: { step_id: string; kind: string; instance_of: string | null; outputs: Record<string, string> }[] };
    expect(show.steps.find((s) => s.step_id === 'test')).toMatchObject({ kind: 'matrix', outputs: { result: all } });
    expect(show.steps.find((s) => s.step_id === 'test[os=linux,py=3.12]')).toMatchObject({ instance_of: 'test', outputs: { result: 'linux-3.12' } });
  });

  it('shows an instance\'s log under its id (quoted on the command line)', async () => {
    const r = await engineQ(ws, ['logs', runId, 'test[os=linux,py=3.11]']);
    expect(r.exitCode, r.all).toBe(0);
  });
});

describe('matrix max_parallel', () => {
  it('runs at most max_parallel instances at once, and reaches it', async () => {
    const ws = workspace();
    const rec = recorderStep(ws);
    const step = rec('m-${matrix.n}', 300, { matrix: { n: ['1', '2', '3', '4', '5'] }, max_parallel: 2 });
    const p = ws.writePlan(plan([{ ...step, id: 'm' }], { globals: { max_concurrency: 5 } }));
    await runPlanFile(ws, p, 0);
    const times = recordedTimes(ws);
    expect(Object.keys(times).sort()).toEqual(['m-1', 'm-2', 'm-3', 'm-4', 'm-5']);
    expect(maxOverlap(Object.values(times).flat())).toBe(2);
  });

  it('stays under the run\'s own limit when that is lower', async () => {
    const ws = workspace();
    const rec = recorderStep(ws);
    const step = rec('m-${matrix.n}', 300, { matrix: { n: ['1', '2', '3'] }, max_parallel: 3 });
    const p = ws.writePlan(plan([{ ...step, id: 'm' }], { globals: { max_concurrency: 1 } }));
    await runPlanFile(ws, p, 0);
    expect(maxOverlap(Object.values(recordedTimes(ws)).flat())).toBe(1);
  });
});

describe('matrix tolerated_failures and fail_fast', () => {
  /** A matrix of n=1..N whose instances with n <= FAILING fail at once. */
  const failing = (id: string, n: number, failingCount: number, extra: Record<string, unknown>) => ({
    id,
    shell: true,
    command: `[ \${matrix.n} -gt ${failingCount} ]`,
    matrix: { n: Array.from({ length: n }, (_, k) => String(k + 1)) },
    ...extra,
  });

  it('succeeds while no more instances fail than a count or a percentage (rounded down) allows, else fails with instances_failed', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan([
        failing('count_ok', 4, 2, { tolerated_failures: 2 }),
        failing('count_over', 4, 3, { tolerated_failures: 2, critical: false }),
        failing('pct_ok', 4, 1, { tolerated_failures: '25%' }),
        failing('pct_over', 4, 2, { tolerated_failures: '25%', critical: false }),
        // 50% of 3 instances is 1.5: one failure is tolerated, not two.
        failing('pct_round', 3, 2, { tolerated_failures: '50%', critical: false }),
        failing('none_tolerated', 2, 1, { critical: false }),
        { id: 'after_ok', command: 'true', depends_on: ['count_ok', 'pct_ok'] },
        { id: 'after_over', command: 'true', depends_on: ['count_over'] },
      ]),
    );
    const runId = await runPlanFile(ws, p, 0);
    const events = readEvents(ws, runId);
    expect(finalStatuses(events)).toMatchObject({ count_ok: 'succeeded', count_over: 'failed', pct_ok: 'succeeded', pct_over: 'failed', pct_round: 'failed', none_tolerated: 'failed', after_ok: 'succeeded', after_over: 'skipped' });
    expect(oneEvent(events, 'step_succeeded', 'count_ok').instances).toEqual({ total: 4, succeeded: 2, failed: 2, skipped: 0, cancelled: 0 });
    const cases: [string, string, object][] = [
      ['count_over', '3 of 4 instances failed (tolerated: 2)', { total: 4, succeeded: 1, failed: 3, skipped: 0, cancelled: 0 }],
      ['pct_over', '2 of 4 instances failed (tolerated: 1)', { total: 4, succeeded: 2, failed: 2, skipped: 0, cancelled: 0 }],
      ['pct_round', '2 of 3 instances failed (tolerated: 1)', { total: 3, succeeded: 1, failed: 2, skipped: 0, cancelled: 0 }],
      ['none_tolerated', '1 of 2 instances failed (tolerated: 0)', { total: 2, succeeded: 1, failed: 1, skipped: 0, cancelled: 0 }],
    ];
    const rows = stepRows(ws, runId);
    for (const [id, error, instances] of cases) {
      expect(oneEvent(events, 'step_failed', id), id).toMatchObject({ attempt: 0, reason: 'instances_failed', error, instances });
      expect(rows[id], id).toMatchObject({ status: 'failed', reason: 'instances_failed', detail: error });
    }
  });

  it('fails the run when a critical matrix step fails', async () => {
    const ws = workspace();
    const p = ws.writePlan(plan([failing('m', 3, 2, { tolerated_failures: 1 }), { id: 'next', command: 'true', depends_on: ['m'] }]));
    const runId = await runPlanFile(ws, p, 1);
    expect(finalStatuses(readEvents(ws, runId))).toMatchObject({ m: 'failed', next: 'cancelled' });
  });

  it('with fail_fast, cancels the remaining instances once the tolerance is exceeded', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan(
        [
          // n=1 and n=2 fail at once; the others would run for 30 s.
          {
            id: 'm',
            shell: true,
            command: '[ ${matrix.n} -gt 2 ] || exit 1; echo ${matrix.n} >> started.txt; sleep 30',
            matrix: { n: ['1', '2', '3', '4', '5', '6'] },
            max_parallel: 2,
            tolerated_failures: 1,
            fail_fast: true,
            critical: false,
          },
          { id: 'after', command: 'true', depends_on: ['m'], trigger_rule: 'all_done' },
        ],
        { globals: { max_concurrency: 6 } },
      ),
    );
    const run = ws.engine(['run', p]);
    const r = await engineResult(run, 25_000);
    expect(r.exitCode, r.all).toBe(0);
    const runId = runIdsInDb(ws)[0]!;
    const events = readEvents(ws, runId);
    const ended = oneEvent(events, 'step_failed', 'm');
    expect(ended).toMatchObject({ reason: 'instances_failed', error: '2 of 6 instances failed (tolerated: 1)', instances: { total: 6, succeeded: 0, failed: 2, skipped: 0, cancelled: 4 } });
    const cancelled = eventsOf(events, 'step_cancelled').filter((e) => e.step_id.startsWith('m['));
    expect(cancelled.map((e) => e.step_id).sort()).toEqual(['m[n=3]', 'm[n=4]', 'm[n=5]', 'm[n=6]']);
    for (const e of cancelled) expect(e).toMatchObject({ reason: 'fail_fast', upstream: 'm' });
    expect(finalStatuses(events).after).toBe('succeeded');
  });
});

describe('matrix instances keep the step\'s policies', () => {
  it('retries, timeout and preconditions apply per instance; a matrix whose instances were all skipped is skipped', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan([
        // Fails on its first attempt only.
        { id: 'retried', shell: true, command: '[ "$ENGINE_ATTEMPT" -ge 2 ]', matrix: { n: ['1', '2'] }, retries: 1 },
        { id: 'timed', command: 'sleep', args: ['${matrix.s}'], matrix: { s: ['0', '30'] }, timeout_sec: 0.5, tolerated_failures: 1 },
        { id: 'some', command: 'touch', args: ['some-${matrix.os}'], matrix: { os: ['linux', 'mac'] }, preconditions: [{ value: '${matrix.os}', equals: 'linux' }] },
        { id: 'none', command: 'true', matrix: { os: ['linux', 'mac'] }, preconditions: [{ value: '${matrix.os}', equals: 'bsd' }] },
        { id: 'after_none', command: 'true', depends_on: ['none'] },
      ]),
    );
    const runId = await runPlanFile(ws, p, 0);
    const events = readEvents(ws, runId);
    for (const id of ['retried[n=1]', 'retried[n=2]']) expect(attemptRows(ws, id, runId).map((a) => a.status), id).toEqual(['failed', 'succeeded']);
    expect(oneEvent(events, 'step_failed', 'timed[s=30]')).toMatchObject({ reason: 'timeout' });
    expect(finalStatuses(events)).toMatchObject({
      retried: 'succeeded',
      'timed[s=0]': 'succeeded',
      'timed[s=30]': 'failed',
      timed: 'succeeded',
      'some[os=linux]': 'succeeded',
      'some[os=mac]': 'skipped',
      some: 'succeeded',
      'none[os=linux]': 'skipped',
      'none[os=mac]': 'skipped',
      none: 'skipped',
      after_none: 'skipped',
    });
    expect(oneEvent(events, 'step_skipped', 'some[os=mac]').detail).toBe('precondition 1 (${matrix.os} equals "linux") does not hold: the value is "mac", not "linux"');
    expect(oneEvent(events, 'step_skipped', 'none')).toMatchObject({ reason: 'precondition', detail: 'all 2 instances were skipped' });
    expect(['some-linux', 'some-mac'].filter((f) => existsSync(join(ws.dir, f)))).toEqual(['some-linux']);
  });
});

describe('matrix and --target', () => {
  const targetPlan = (ws: Workspace) =>
    ws.writePlan(
      plan([
        { id: 'setup', command: 'touch', args: ['setup-ran'] },
        { id: 'other', command: 'touch', args: ['other-ran'] },
        { id: 'test', shell: true, command: 'touch "ran-${matrix.os}"; [ ${matrix.os} != mac ]', matrix: { os: ['linux', 'mac'] }, depends_on: ['setup'] },
        { id: 'after', command: 'touch', args: ['after-ran'], depends_on: ['test'] },
      ]),
    );

  it('runs only the targeted instance and what it depends on; the matrix step stands for it', async () => {
    const ws = workspace();
    const p = targetPlan(ws);
    const r = await ws.engine(['run', p, '--target', 'test[os=linux]']);
    expect(r.exitCode, r.all).toBe(0);
    const runId = runIdsInDb(ws)[0]!;
    expect(Object.keys(stepRows(ws, runId))).toEqual(['setup', 'test[os=linux]', 'test']);
    expect(['setup-ran', 'ran-linux', 'ran-mac', 'other-ran', 'after-ran'].filter((f) => existsSync(join(ws.dir, f)))).toEqual(['setup-ran', 'ran-linux']);
    expect(oneEvent(readEvents(ws, runId), 'step_succeeded', 'test').instances).toMatchObject({ total: 1, succeeded: 1 });
  });

  it('fails the run when the targeted instance fails', async () => {
    const ws = workspace();
    const r = await ws.engine(['run', targetPlan(ws), '--target', 'test[os=mac]']);
    expect(r.exitCode, r.all).toBe(1);
    expect(existsSync(join(ws.dir, 'ran-linux'))).toBe(false);
    expect(finalStatuses(readEvents(ws, runIdsInDb(ws)[0]!))).toEqual({ setup: 'succeeded', 'test[os=mac]': 'failed', test: 'failed' });
  });

  it('runs every instance when the matrix step is the target', async () => {
    const ws = workspace();
    const r = await ws.engine(['run', targetPlan(ws), '--target', 'test']);
    expect(r.exitCode, r.all).toBe(1);
    expect(['ran-linux', 'ran-mac', 'other-ran', 'after-ran'].filter((f) => existsSync(join(ws.dir, f)))).toEqual(['ran-linux', 'ran-mac']);
  });

  it('names the unknown instance of a --target that has none', async () => {
    const ws = workspace();
    const r = await ws.engine(['run', targetPlan(ws), '--target', 'test[os=bsd]']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--target: no step "test[os=bsd]"');
  });
});

describe('matrix validation', () => {
  it('rejects an empty product and a matrix that exclude empties (exit 2, located, nothing run)', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan([
        { id: 'marker', command: 'touch', args: ['ran.txt'] },
        { id: 'empty_axis', command: 'true', matrix: { os: [] } },
        { id: 'all_excluded', command: 'true', matrix: { os: ['linux'], exclude: [{ os: 'linux' }] } },
        { id: 'unknown_key', command: 'echo', args: ['${matrix.arch}'], matrix: { os: ['linux'] } },
      ]),
    );
    for (const cmd of ['validate', 'run']) {
      const r = await ws.engine([cmd, p]);
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr).toMatch(/plan\.json:\d+:\d+: \/steps\/1\/matrix: the matrix has no combinations/);
      expect(r.stderr).toMatch(/plan\.json:\d+:\d+: \/steps\/2\/matrix: the matrix has no combinations/);
      expect(r.stderr).toMatch(/plan\.json:\d+:\d+: \/steps\/3\/args\/0: \$\{matrix\.arch\}: the combination \{"os":"linux"\} has no "arch"/);
    }
    expect(existsSync(join(ws.dir, 'ran.txt'))).toBe(false);
    expect(existsSync(ws.stateDir)).toBe(false);
  });
});

/** A node script for a step: lists the files under `src` (sorted, relative) as output `files`. */
const LIST_FILES = `
const fs = require('fs');
const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(d + '/' + e.name) : [d + '/' + e.name]));
const files = walk('src').sort();
fs.appendFileSync(process.env.ENGINE_OUTPUT, 'files=' + JSON.stringify(files) + '\\n');
fs.appendFileSync(process.env.ENGINE_OUTPUT, 'regions=' + JSON.stringify([{ region: 'eu', size: 2, canary: true }, { region: 'us', size: 3, canary: false }]) + '\\n');
fs.appendFileSync(process.env.ENGINE_OUTPUT, 'none=[]\\n');
fs.appendFileSync(process.env.ENGINE_OUTPUT, 'object={"a":"b"}\\n');
fs.appendFileSync(process.env.ENGINE_OUTPUT, 'text=not json\\n');
fs.appendFileSync(process.env.ENGINE_OUTPUT, 'nested=[{"a":{"b":1}}]\\n');
fs.appendFileSync(process.env.ENGINE_OUTPUT, 'numbers=[1,2]\\n');
fs.appendFileSync(process.env.ENGINE_OUTPUT, 'many=' + JSON.stringify(Array.from({ length: 10001 }, (_, i) => 'i' + i)) + '\\n');
fs.appendFileSync(process.env.ENGINE_OUTPUT, 'dups=' + JSON.stringify(['a', 'b', 'a', 'x'.repeat(250)]) + '\\n');
`;

describe('for_each', () => {
  let ws: Workspace;
  let result: EngineResult;
  let runId: string;
  let events: EngineEvent[];
  let planPath: string;
  const FILE_IDS = ['lines[src%2Fa.txt]', 'lines[src%2Fsub%2Fb%20c.txt]'];

  beforeAll(async () => {
    ws = workspace();
    mkdirSync(join(ws.dir, 'src', 'sub'), { recursive: true });
    writeFileSync(join(ws.dir, 'src', 'a.txt'), 'one\n');
    writeFileSync(join(ws.dir, 'src', 'sub', 'b c.txt'), 'one\ntwo\n');
    const p = (planPath = ws.writePlan(
      plan(
        [
          { id: 'list', command: process.execPath, args: ['-e', LIST_FILES] },
          { id: 'lines', shell: true, command: 'echo "count=$(wc -l < "${item}")" >> "$ENGINE_OUTPUT"', for_each: '${steps.list.outputs.files}', depends_on: ['list'], max_parallel: 1 },
          { id: 'scale', command: 'sh', args: ['-c', 'echo "$1" >> scaled.txt', 'sh', 'scale ${item.region} to ${item.size} canary=${item.canary}'], for_each: '${steps.list.outputs.regions}', depends_on: ['list'] },
          { id: 'empty', command: 'touch', args: ['empty-ran-${item}'], for_each: '${steps.list.outputs.none}', depends_on: ['list'] },
          { id: 'object', command: 'true', for_each: '${steps.list.outputs.object}', depends_on: ['list'], critical: false },
          { id: 'text', command: 'true', for_each: '${steps.list.outputs.text}', depends_on: ['list'], critical: false },
          { id: 'nested', command: 'true', for_each: '${steps.list.outputs.nested}', depends_on: ['list'], critical: false },
          { id: 'numbers', command: 'true', for_each: '${steps.list.outputs.numbers}', depends_on: ['list'], critical: false },
          { id: 'many', command: 'true', for_each: '${steps.list.outputs.many}', depends_on: ['list'], critical: false },
          { id: 'dups', command: 'true', for_each: '${steps.list.outputs.dups}', depends_on: ['list'] },
          {
            id: 'report',
            command: process.execPath,
            args: ['-e', "require('fs').writeFileSync('report.json', JSON.stringify(process.argv.slice(1)))", '${steps.lines.outputs.count}', '${steps.lines[src%2Fa.txt].outputs.count}', '${steps.empty.status}', '${steps.empty.outputs.x:-none}'],
            depends_on: ['lines', 'empty'],
          },
        ],
        { globals: { max_concurrency: 4 } },
      ),
    ));
    result = await ws.engine(['run', p]);
    runId = runIdsInDb(ws)[0]!;
    events = readEvents(ws, runId);
  });

  it('expands a step over a real output: one instance per string item, ${item} substituted, outputs aggregated', () => {
    expect(result.exitCode, result.all).toBe(0);
    const expanded = oneEvent(events, 'step_expanded', 'lines');
    expect(expanded.instances).toEqual(FILE_IDS);
    expect(expanded.kept).toEqual([]);
    expect(expanded.steps.map((s) => s.instance_of)).toEqual(['lines', 'lines']);
    expect(oneEvent(events, 'step_started', FILE_IDS[1]).command).toContain('"src/sub/b c.txt"');
    expect(JSON.parse(readFileSync(join(ws.dir, 'report.json'), 'utf8'))).toEqual(['["1","2"]', '1', 'succeeded', 'none']);
    expect(oneEvent(events, 'step_succeeded', 'lines')).toMatchObject({ outputs: { count: '["1","2"]' }, instances: { total: 2, succeeded: 2, failed: 0, skipped: 0, cancelled: 0 } });
    // The expansion comes before any instance starts.
    const seqOf = (e: EngineEvent) => e.seq;
    expect(seqOf(expanded)).toBeLessThan(Math.min(...FILE_IDS.map((id) => seqOf(oneEvent(events, 'step_started', id)))));
  });

  it('expands over flat objects with ${item.FIELD} (numbers and booleans as text)', () => {
    expect(oneEvent(events, 'step_expanded', 'scale').instances).toEqual(['scale[region=eu,size=2,canary=true]', 'scale[region=us,size=3,canary=false]']);
    expect(readFileSync(join(ws.dir, 'scaled.txt'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['scale eu to 2 canary=true', 'scale us to 3 canary=false']);
  });

  it('adds the instances\' rows to runs.db, after the plan\'s steps, with log files named by id', async () => {
    expect(instanceRows(ws, runId, 'lines')).toEqual(FILE_IDS);
    const rows = stepRows(ws, runId);
    expect(rows.lines).toMatchObject({ kind: 'for_each', status: 'succeeded', attempts: 0 });
    for (const id of FILE_IDS) expect(rows[id]).toMatchObject({ kind: 'command', instance_of: 'lines', status: 'succeeded' });
    expect(Math.min(...FILE_IDS.map((id) => rows[id]!.position))).toBeGreaterThan(rows.report!.position);
    expect(runRow(ws, runId).steps_total).toBe(Object.keys(rows).length);
    for (const id of FILE_IDS) expect(logFiles(ws, runId)).toContain(`${id}.1.log`);
    const show = JSON.parse((await engineQ(ws, ['show', runId, '--json'])).stdout) as { steps: { step_id: string; instance_of: string | null }[] };
    expect(show.steps.filter((s) => s.instance_of === 'lines').map((s) => s.step_id)).toEqual(FILE_IDS);
    // engine show's table lists the instances right after their step.
    const order = tableRows((await engineQ(ws, ['show', runId])).stdout, 'STEP').map((cells) => cells[0]);
    expect(order.slice(order.indexOf('lines'), order.indexOf('lines') + 3)).toEqual(['lines', ...FILE_IDS]);
  });

  it('succeeds with zero instances on an empty list, and says so', () => {
    expect(oneEvent(events, 'step_expanded', 'empty').instances).toEqual([]);
    expect(oneEvent(events, 'step_succeeded', 'empty').instances).toEqual({ total: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 });
    expect(result.all).toMatch(/⋔ empty +expanded into 0 instances/);
    expect(instanceRows(ws, runId, 'empty')).toEqual([]);
    expect(existsSync(join(ws.dir, 'empty-ran-'))).toBe(false);
  });

  it('fails the step with reason for_each_error and a clear message on a value that is not a JSON array of strings or flat objects', () => {
    const cases: [string, string][] = [
      ['object', 'for_each is not a JSON array: "{\\"a\\":\\"b\\"}"'],
      ['text', 'for_each is not a JSON array: "not json"'],
      ['nested', 'for_each item 0: field "a" is not a string, number or boolean (items must be flat objects)'],
      ['numbers', 'for_each item 0: "1" is neither a string nor an object'],
      ['many', 'for_each has 10001 items; at most 10000 are allowed'],
    ];
    const rows = stepRows(ws, runId);
    for (const [id, error] of cases) {
      expect(oneEvent(events, 'step_failed', id), id).toMatchObject({ attempt: 0, reason: 'for_each_error', error });
      expect(eventsOf(events, 'step_expanded', id), id).toEqual([]);
      expect(rows[id], id).toMatchObject({ status: 'failed', reason: 'for_each_error', detail: error });
    }
  });

  it('gives a repeated item and an id longer than 200 characters the id STEP[#N]', () => {
    expect(oneEvent(events, 'step_expanded', 'dups').instances).toEqual(['dups[a]', 'dups[b]', 'dups[#2]', 'dups[#3]']);
  });

  it('shows a for_each step as one node expanding at run time in --dry-run and engine graph', async () => {
    const dry = await ws.engine(['run', planPath, '--dry-run']);
    expect(dry.exitCode, dry.all).toBe(0);
    expect(dry.stdout).toContain('  lines: for_each over ${steps.list.outputs.files}: expands at run time into one instance per item, each: ');
    expect(dry.stdout).toMatch(/^ {2}object: for_each .*\[not critical, timeout /m);
    expect(dry.stdout).not.toMatch(/^ {2}lines\[/m);
    const graph = await engineQ(ws, ['graph', planPath]);
    expect(graph.exitCode, graph.all).toBe(0);
    expect(graph.stdout).toContain('for_each: expands at run time over ${steps.list.outputs.files}');
    expect(graph.stdout).not.toContain('lines[src%2Fsub');
  });

  it('runs the instances under max_parallel', () => {
    const started = FILE_IDS.map((id) => attemptRows(ws, id, runId)[0]!);
    // max_parallel 1: the second started after the first ended.
    expect(Date.parse(started[1]!.started_at)).toBeGreaterThanOrEqual(Date.parse(started[0]!.finished_at!));
  });
});

describe('for_each as it runs and on resume', () => {
  it('has the instances\' rows in runs.db as soon as it expands; resume keeps the instances that succeeded', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan([
        { id: 'list', shell: true, command: 'echo list >> ran.txt; echo \'items=["a","b","c"]\' >> "$ENGINE_OUTPUT"' },
        // b waits for the file `go` on its first attempt, and fails when it is `fail`.
        {
          id: 'each',
          shell: true,
          command: 'echo ${item} >> ran.txt; if [ ${item} = b ]; then while [ ! -f go ]; do sleep 0.05; done; [ "$(cat go)" != fail ] || exit 3; fi; echo "o=${item}-$ENGINE_ATTEMPT" >> "$ENGINE_OUTPUT"',
          for_each: '${steps.list.outputs.items}',
          depends_on: ['list'],
        },
        { id: 'sum', command: 'sh', args: ['-c', 'echo "$1" > sum.txt', 'sh', '${steps.each.outputs.o}'], depends_on: ['each'] },
      ]),
    );
    const run = ws.engine(['run', p]);
    const runId = await waitFor(() => runIdsInDb(ws)[0], 'the run to start');
    // The instances are in runs.db while b still runs.
    await waitFor(() => stepRows(ws, runId)['each[b]']?.status === 'running', 'each[b] to run', { timeoutMs: 15_000 });
    expect(instanceRows(ws, runId, 'each')).toEqual(['each[a]', 'each[b]', 'each[c]']);
    expect(stepRows(ws, runId).sum!.status).toBe('pending');
    writeFileSync(join(ws.dir, 'go'), 'fail');
    const first = await engineResult(run);
    expect(first.exitCode, first.all).toBe(1);
    expect(finalStatuses(readEvents(ws, runId))).toMatchObject({ 'each[a]': 'succeeded', 'each[b]': 'failed', 'each[c]': 'succeeded', each: 'failed', sum: 'cancelled' });

    writeFileSync(join(ws.dir, 'go'), 'ok');
    const r = await ws.engine(['resume', runId, '--state-dir', ws.stateDir]);
    expect(r.exitCode, r.all).toBe(0);
    // list is kept (same items), a and c are kept, b runs again as attempt 2.
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['a', 'b', 'b', 'c', 'list']);
    expect(attemptRows(ws, 'each[b]', runId).map((a) => [a.attempt, a.status])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
    expect(attemptRows(ws, 'each[a]', runId).map((a) => a.attempt)).toEqual([1]);
    const events = readEvents(ws, runId);
    const expansions = eventsOf(events, 'step_expanded', 'each');
    expect(expansions).toHaveLength(2);
    expect(expansions[1]!.kept).toEqual(['each[a]', 'each[c]']);
    expect(readFileSync(join(ws.dir, 'sum.txt'), 'utf8').trim()).toBe('["a-1","b-2","c-1"]');
    expect(Object.fromEntries(Object.entries(stepRows(ws, runId)).map(([id, s]) => [id, s.status]))).toEqual({
      list: 'succeeded',
      each: 'succeeded',
      sum: 'succeeded',
      'each[a]': 'succeeded',
      'each[b]': 'succeeded',
      'each[c]': 'succeeded',
    });
    // The console's summary shows the kept instances as succeeded.
    expect(r.all).toMatch(/^ +each\[a\] +succeeded +1 /m);
    expect(r.all).toMatch(/^ +each\[b\] +succeeded +2 /m);
  });
});

describe('plans/repo_checks.json', () => {
  it('checks a real repository: for_each over the changed files, a matrix of counts, a report from their outputs', async () => {
    const ws = workspace();
    const g = (...args: string[]) => git(ws.dir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args);
    g('init', '-q');
    for (const [f, text] of [['keep.txt', 'k\n'], ['old.txt', 'o\n'], ['mod.txt', 'm\n']] as const) writeFileSync(join(ws.dir, f), text);
    g('add', '.');
    g('commit', '-qm', 'one');
    writeFileSync(join(ws.dir, 'new.txt'), 'x\n<<<<<<< HEAD\ny\n');
    writeFileSync(join(ws.dir, 'mod.txt'), 'm\nm2\n');
    g('rm', '-q', 'old.txt');
    g('add', '.');
    g('commit', '-qm', 'two');
    const r = await ws.engine(['run', REPO_CHECKS, '--var', 'DEPTH=1']);
    // The leftover conflict marker fails the run; the report still comes.
    expect(r.exitCode, r.all).toBe(1);
    const runId = runIdsInDb(ws)[0]!;
    const events = readEvents(ws, runId);
    expect(oneEvent(events, 'step_expanded', 'conflict_markers').instances).toEqual(['conflict_markers[mod.txt]', 'conflict_markers[new.txt]']);
    expect(finalStatuses(events)).toMatchObject({ 'conflict_markers[mod.txt]': 'succeeded', 'conflict_markers[new.txt]': 'failed', conflict_markers: 'failed', count: 'succeeded', report: 'succeeded' });
    expect(readFileSync(join(ws.stateDir, 'runs', runId, 'logs', 'conflict_markers[new.txt].1.log'), 'utf8')).toContain('conflict markers left in new.txt');
    expect(readFileSync(join(ws.stateDir, 'runs', runId, 'logs', 'report.1.log'), 'utf8')).toBe(
      '2 changed files in the last 1 commits; added/modified/deleted: ["1","1","1"]; conflict markers: failed\n',
    );
  });
});
