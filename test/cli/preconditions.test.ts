/**
 * Step preconditions end to end through the built CLI: value tests (not_empty, equals,
 * matches) and commands (run in the step's cwd and env, hold when they exit 0), checked once
 * before a step's first attempt; a step whose precondition does not hold is skipped with reason
 * `precondition`. One plan run covers the runtime behaviours (each step is one case); the tests
 * read its events.jsonl and runs.db (read-only). Invalid preconditions are checked with
 * `engine validate`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { isProcessGone, readPidFile, waitFor } from '../helpers/processes.js';
import { eventsOf, onlyRunId, readEvents, stepRows, type EngineEvent, type StepRow } from '../helpers/record.js';

type Result = Awaited<ReturnType<Workspace['engine']>>;

const workspace = workspacesForThisFile('engine-preconditions-');

const ok = (id: string, extra: Record<string, unknown> = {}) => ({ id, command: 'true', ...extra });

describe('preconditions at run time', () => {
  let ws: Workspace;
  let result: Result;
  let events: EngineEvent[];
  let steps: Record<string, StepRow>;

  beforeAll(async () => {
    ws = workspace();
    mkdirSync(join(ws.dir, 'with-marker'));
    writeFileSync(join(ws.dir, 'with-marker', 'marker'), '');
    mkdirSync(join(ws.dir, 'without-marker'));
    const path = ws.writePlan(
      plan(
        [
          // value tests
          ok('empty_var', { preconditions: [{ value: '${EMPTY}', not_empty: true }] }),
          ok('nonempty_var', { preconditions: [{ value: '${COLOR}', not_empty: true }] }),
          ok('equals_holds', { preconditions: [{ value: '${COLOR}', equals: 'blue' }] }),
          ok('equals_differs', { preconditions: [{ value: '${COLOR}', equals: 'red' }] }),
          ok('matches_holds', { preconditions: [{ value: '${COLOR}', matches: '^bl' }] }),
          ok('matches_differs', { preconditions: [{ value: '${COLOR}', matches: '^re' }] }),
          // command checks
          ok('command_fails', { preconditions: [{ command: 'sh', args: ['-c', 'exit 3'] }] }),
          ok('command_ok', { preconditions: [{ command: 'sh', args: ['-c', 'exit 0'] }] }),
          ok('cwd_with_marker', { cwd: 'with-marker', preconditions: [{ command: 'test', args: ['-f', 'marker'] }] }),
          ok('cwd_without_marker', { cwd: 'without-marker', preconditions: [{ command: 'test', args: ['-f', 'marker'] }] }),
          ok('env_seen', { env: { X: '1' }, preconditions: [{ command: 'sh', args: ['-c', 'test "$X" = 1'] }] }),
          ok('env_differs', { env: { X: '2' }, preconditions: [{ command: 'sh', args: ['-c', 'test "$X" = 1'] }] }),
          // all entries must hold
          ok('second_fails', {
            preconditions: [
              { command: 'true' },
              { description: 'the second check', command: 'false' },
            ],
          }),
          // dependents of a precondition-skipped step
          ok('gate', { preconditions: [{ value: '${EMPTY}', not_empty: true }] }),
          ok('after_all_success', { depends_on: ['gate'] }),
          ok('after_none_failed', { depends_on: ['gate'], trigger_rule: 'none_failed' }),
          ok('after_all_done', { depends_on: ['gate'], trigger_rule: 'all_done' }),
          // not re-checked on retries
          {
            id: 'retried',
            command: 'sh',
            args: ['-c', 'test -f failed-once || { touch failed-once; exit 1; }'],
            retries: 1,
            preconditions: [{ command: 'sh', args: ['-c', 'echo checked >> checks.txt'] }],
          },
        ],
        { vars: { EMPTY: { default: '' }, COLOR: { default: 'blue' } } },
      ),
    );
    result = await ws.engine(['run', path]);
    const runId = onlyRunId(ws);
    events = readEvents(ws, runId);
    steps = stepRows(ws, runId);
  });

  const ran = (id: string) => expect(steps[id], id).toMatchObject({ status: 'succeeded', attempts: 1 });
  const skippedByPrecondition = (id: string) =>
    expect(steps[id], id).toMatchObject({ status: 'skipped', reason: 'precondition', attempts: 0 });
  const skipEvent = (id: string) => eventsOf(events, 'step_skipped', id)[0];

  it('the run succeeds: skipped steps do not fail it', () => {
    expect(result.exitCode, result.all).toBe(0);
  });

  it('a not_empty precondition on an empty variable skips the step, naming the failed entry', () => {
    skippedByPrecondition('empty_var');
    expect(steps.empty_var!.detail).toBe('precondition 1 (${EMPTY} is not empty) does not hold: the value is empty');
    expect(skipEvent('empty_var')).toMatchObject({
      reason: 'precondition',
      detail: 'precondition 1 (${EMPTY} is not empty) does not hold: the value is empty',
      upstream: null,
    });
  });

  it('a not_empty precondition on a set variable lets the step run', () => {
    ran('nonempty_var');
  });

  it('an equals precondition lets the step run when the values are equal and skips it when they differ', () => {
    ran('equals_holds');
    skippedByPrecondition('equals_differs');
    expect(steps.equals_differs!.detail).toMatch(/the value is ".*", not ".*"/);
  });

  it('a matches precondition lets the step run when the value matches and skips it when it does not', () => {
    ran('matches_holds');
    skippedByPrecondition('matches_differs');
    expect(steps.matches_differs!.detail).toContain('does not match /^re/');
  });

  it('a command precondition that exits non-zero skips the step, naming the exit code', () => {
    skippedByPrecondition('command_fails');
    expect(steps.command_fails!.detail).toMatch(/^precondition 1 \(sh -c exit 3\) does not hold: exit code 3/);
    expect(skipEvent('command_fails')).toMatchObject({ reason: 'precondition' });
  });

  it('a command precondition that exits 0 lets the step run', () => {
    ran('command_ok');
  });

  it("a command precondition runs in the step's cwd", () => {
    ran('cwd_with_marker');
    skippedByPrecondition('cwd_without_marker');
  });

  it("a command precondition sees the step's env", () => {
    ran('env_seen');
    skippedByPrecondition('env_differs');
  });

  it('every entry must hold: a failing second entry skips the step and the detail says precondition 2', () => {
    skippedByPrecondition('second_fails');
    expect(steps.second_fails!.detail).toMatch(/^precondition 2 \(the second check\) does not hold/);
  });

  it('an all_success dependent of a precondition-skipped step is skipped by its trigger rule', () => {
    skippedByPrecondition('gate');
    expect(steps.after_all_success).toMatchObject({ status: 'skipped', reason: 'trigger_rule', upstream: 'gate', attempts: 0 });
  });

  it('none_failed and all_done dependents of a precondition-skipped step run', () => {
    ran('after_none_failed');
    ran('after_all_done');
  });

  it('a precondition is checked once, not again before a retry', () => {
    expect(steps.retried).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(readFileSync(join(ws.dir, 'checks.txt'), 'utf8')).toBe('checked\n');
  });

  it('skipped steps get a step_skipped event and never a step_started event', () => {
    const skipped = new Set(eventsOf(events, 'step_skipped').map((e) => e.step_id));
    const started = new Set(eventsOf(events, 'step_started').map((e) => e.step_id));
    expect([...skipped].sort()).toEqual(
      [
        'after_all_success',
        'command_fails',
        'cwd_without_marker',
        'empty_var',
        'env_differs',
        'equals_differs',
        'gate',
        'matches_differs',
        'second_fails',
      ].sort(),
    );
    for (const id of skipped) expect(started.has(id), id).toBe(false);
  });
});

describe('cancelling a run while a command precondition is being checked', () => {
  it('Ctrl-C stops the check and the engine exits 130 without waiting for it', async () => {
    const ws = workspace();
    const path = ws.writePlan(
      plan([
        ok('gated', {
          timeout_sec: 600,
          // The check writes its pid, then takes 10 s.
          preconditions: [{ command: 'sh', args: ['-c', 'echo $$ > check.tmp && mv check.tmp check.pid && exec sleep 10'] }],
        }),
        ok('cleanup', { depends_on: ['gated'], trigger_rule: 'all_done' }),
      ]),
    );
    const proc = ws.engine(['run', path]);
    const checkPid = await waitFor(() => readPidFile(join(ws.dir, 'check.pid')), 'the precondition check to start', { timeoutMs: 20_000 });
    const t0 = Date.now();
    proc.kill('SIGINT');
    const r = await proc;
    const ms = Date.now() - t0;
    expect(r.exitCode, r.all).toBe(130);
    expect(ms, 'ms from SIGINT to exit').toBeLessThan(5000);
    expect(isProcessGone(checkPid), `precondition process ${checkPid} still runs`).toBe(true);
    expect(r.all).toMatch(/gated\s+cancelled/);
  });
});

describe('invalid preconditions', () => {
  /** `engine validate` on a plan whose second step has the given preconditions. */
  async function validate(preconditions: unknown[]): Promise<Result> {
    const ws = workspace();
    const path = ws.writePlan(plan([ok('first'), ok('second', { preconditions })]));
    return ws.engine(['validate', path]);
  }

  it('a precondition with both command and value fails validation with exit 2, naming its place', async () => {
    const r = await validate([{ command: 'true' }, { command: 'true', value: 'x', not_empty: true }]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toMatch(/\/steps\/1\/preconditions\/1: .*command.*value/);
  });

  it('a value precondition without a test fails validation with exit 2, naming its place', async () => {
    const r = await validate([{ value: 'x', not_empty: true }, { value: 'x' }]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toMatch(/\/steps\/1\/preconditions\/1: .*not_empty, equals, matches/);
  });

  it('a matches precondition with an invalid regular expression fails validation with exit 2, naming its place', async () => {
    const r = await validate([{ value: 'x', not_empty: true }, { value: 'x', matches: '([' }]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toMatch(/\/steps\/1\/preconditions\/1\/matches: invalid regular expression/);
    expect(r.all).not.toMatch(/invalid regular expression: Invalid regular expression/);
  });
});
