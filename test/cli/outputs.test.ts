/**
 * Step outputs and conditions on them (issue 13) through the built CLI, as a user sees them:
 * `ENGINE_OUTPUT` files (`KEY=VALUE`, `KEY<<DELIM`, the 1 MiB limit, malformed files failing
 * the attempt with reason `output_error`), `${steps.ID.outputs.KEY}` in a later step's command,
 * args, cwd and env, a missing output failing the consumer before it starts (`missing_output`),
 * fallbacks for a skipped producer, `${steps.ID.status}`, validation of references; the record
 * (`step_succeeded.outputs`, runs.db `outputs`, `engine show --json`); `secret_outputs` and
 * secret variables inside outputs masked in later steps' argv and logs; `engine resume` keeping
 * a producer's recorded outputs (and rerunning a producer of secret outputs); preconditions on
 * outputs and statuses with `equals`, `in` and `not`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { engineQ, plan, runPlanFile, workspacesForThisFile, type EngineResult, type Workspace } from '../helpers/cli.js';
import {
  attemptRows,
  dumpRunsDbText,
  eventsOf,
  finalStatuses,
  logFiles,
  oneEvent,
  readEvents,
  readEventsText,
  readLog,
  runIdsInDb,
  stepRows,
  withRunsDb,
  type EngineEvent,
} from '../helpers/record.js';

const workspace = workspacesForThisFile('engine-outputs-');

/** A step running `node -e SCRIPT ARGS…` (process.argv.slice(1) is ARGS). */
const nodeStep = (id: string, script: string, extra: Record<string, unknown> = {}) => ({ id, command: process.execPath, args: ['-e', script, ...((extra.args as string[]) ?? [])], ...omit(extra, 'args') });

/** A script for {@link nodeStep} writing `{args, env: {VERSION, NOTES}}` as JSON to FILE (relative to its cwd). */
const dumpArgs = (file: string) => `require('fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify({ args: process.argv.slice(1), env: { VERSION: process.env.VERSION, NOTES: process.env.NOTES } }))`;

function omit(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _, ...rest } = o;
  return rest;
}

/** A shell step that fails (outside of its outputs) only when the run does; `critical: false`. */
const writer = (id: string, script: string, extra: Record<string, unknown> = {}) => ({ id, shell: true, command: script, critical: false, ...extra });

/** Output rows of a run's step in runs.db, by key. */
function outputRows(ws: Workspace, runId: string, stepId: string): Record<string, string> {
  return withRunsDb(ws, (db) =>
    Object.fromEntries(
      (db.prepare('SELECT key, value FROM outputs WHERE run_id = ? AND step_id = ? ORDER BY key').all(runId, stepId) as { key: string; value: string }[]).map((r) => [r.key, r.value]),
    ),
  );
}

interface ShowStep {
  step_id: string;
  status: string;
  outputs: Record<string, string>;
}

async function showSteps(ws: Workspace, runId: string): Promise<Record<string, ShowStep>> {
  const r = await engineQ(ws, ['show', runId, '--json']);
  expect(r.exitCode, r.all).toBe(0);
  return Object.fromEntries((JSON.parse(r.stdout) as { steps: ShowStep[] }).steps.map((s) => [s.step_id, s]));
}

const NOTES = 'Faster start-up\nkey=value <<not a delimiter\n';

describe('outputs between steps', () => {
  let ws: Workspace;
  let result: EngineResult;
  let runId: string;
  let events: EngineEvent[];

  beforeAll(async () => {
    ws = workspace();
    mkdirSync(join(ws.dir, 'sub'));
    const p = ws.writePlan(
      plan(
        [
          {
            id: 'prod',
            shell: true,
            // ENGINE_OUTPUT names an existing, empty file.
            command: [
              'test -f "$ENGINE_OUTPUT" && test ! -s "$ENGINE_OUTPUT" || exit 9',
              'echo version=1.4.2 >> "$ENGINE_OUTPUT"',
              'echo "url=https://x.example/?a=b&c=d" >> "$ENGINE_OUTPUT"',
              `printf 'notes<<END\\nFaster start-up\\nkey=value <<not a delimiter\\n\\nEND\\n' >> "$ENGINE_OUTPUT"`,
              'echo twice=first >> "$ENGINE_OUTPUT"; echo twice=second >> "$ENGINE_OUTPUT"',
              'echo dir=sub >> "$ENGINE_OUTPUT"; echo tool=touch >> "$ENGINE_OUTPUT"',
            ].join('\n'),
          },
          nodeStep('consume', dumpArgs('consumed.json'), {
            args: ['${steps.prod.outputs.version}', '${steps.prod.outputs.notes}', 'v${steps.prod.outputs.version}-${steps.prod.outputs.twice}', '${steps.prod.outputs.url}'],
            env: { VERSION: '${steps.prod.outputs.version}', NOTES: '${steps.prod.outputs.notes}' },
            cwd: '${steps.prod.outputs.dir}',
            depends_on: ['prod'],
          }),
          { id: 'via_command', command: '${steps.prod.outputs.tool}', args: ['touched-${steps.prod.outputs.version}'], depends_on: ['prod'] },
          // A retried step's outputs are those of the attempt that succeeded, from a fresh file.
          writer('retried', 'test ! -s "$ENGINE_OUTPUT" || exit 9; echo "attempt=$ENGINE_ATTEMPT" >> "$ENGINE_OUTPUT"; [ "$ENGINE_ATTEMPT" -ge 2 ]', { retries: 1, critical: true }),
          // Malformed files and the size limit.
          writer('malformed', 'echo ok=1 >> "$ENGINE_OUTPUT"; echo "not an output line" >> "$ENGINE_OUTPUT"'),
          writer('bad_name', 'echo 1st=x >> "$ENGINE_OUTPUT"'),
          writer('unclosed', `printf 'body<<EOF\\nline one\\n' >> "$ENGINE_OUTPUT"`),
          nodeStep('too_big', `require('fs').writeFileSync(process.env.ENGINE_OUTPUT, 'x=' + 'a'.repeat(1048576 - 3) + 'a\\n')`, { critical: false }),
          nodeStep('at_limit', `require('fs').writeFileSync(process.env.ENGINE_OUTPUT, 'x=' + 'a'.repeat(1048576 - 3) + '\\n')`),
          // A reference to an output the producer did not write.
          { id: 'missing', command: 'touch', args: ['missing-ran-${steps.prod.outputs.nope}'], depends_on: ['prod'], critical: false },
          // A skipped producer, and a failed one (on_failure: continue).
          { id: 'skipped', command: 'true', preconditions: [{ value: 'a', equals: 'b' }] },
          nodeStep('fallback', dumpArgs('fallback.json'), {
            args: ['${steps.skipped.outputs.v:-none}', '[${steps.skipped.outputs.v:-}]', '${steps.skipped.status}'],
            depends_on: ['skipped'],
            trigger_rule: 'all_done',
          }),
          { id: 'no_fallback', command: 'echo', args: ['${steps.skipped.outputs.v}'], depends_on: ['skipped'], trigger_rule: 'all_done', critical: false },
          { id: 'fails', command: 'false', critical: false, on_failure: 'continue' },
          nodeStep('after_fail', dumpArgs('after-fail.json'), { args: ['${steps.fails.status}', '${steps.fails.outputs.x:-no x}', '${steps.prod.status}'], depends_on: ['fails', 'prod'] }),
        ],
        { globals: { max_concurrency: 4 } },
      ),
    );
    result = await ws.engine(['run', p]);
    runId = runIdsInDb(ws)[0]!;
    events = readEvents(ws, runId);
  });

  it('hands outputs to a later step through its args, env, cwd and command, multi-line values intact', () => {
    expect(result.exitCode, result.all).toBe(0);
    const got = JSON.parse(readFileSync(join(ws.dir, 'sub', 'consumed.json'), 'utf8')) as { args: string[]; env: Record<string, string> };
    expect(got.args).toEqual(['1.4.2', NOTES, 'v1.4.2-second', 'https://x.example/?a=b&c=d']);
    expect(got.env).toEqual({ VERSION: '1.4.2', NOTES });
    expect(existsSync(join(ws.dir, 'touched-1.4.2'))).toBe(true);
    // As recorded: the substituted argv and cwd.
    const started = oneEvent(events, 'step_started', 'consume');
    expect(started.args.slice(2)).toEqual(['1.4.2', NOTES, 'v1.4.2-second', 'https://x.example/?a=b&c=d']);
    expect(started.cwd).toBe(join(ws.dir, 'sub'));
  });

  it('records outputs in step_succeeded, the runs.db outputs table and engine show --json', async () => {
    const expected = { version: '1.4.2', url: 'https://x.example/?a=b&c=d', notes: NOTES, twice: 'second', dir: 'sub', tool: 'touch' };
    const ev = oneEvent(events, 'step_succeeded', 'prod');
    expect(ev.outputs).toEqual(expected);
    expect(ev.masked_outputs).toEqual([]);
    expect(outputRows(ws, runId, 'prod')).toEqual(expected);
    // A step that wrote nothing has no outputs.
    expect(oneEvent(events, 'step_succeeded', 'via_command').outputs).toEqual({});
    expect(outputRows(ws, runId, 'via_command')).toEqual({});
    const show = await showSteps(ws, runId);
    expect(show.prod!.outputs).toEqual(expected);
    expect(show.consume!.outputs).toEqual({});
    // The human view lists them too, a multi-line value on one line.
    const text = (await engineQ(ws, ['show', runId])).stdout;
    expect(text).toContain('prod.version = 1.4.2\n');
    expect(text).toContain('prod.notes = Faster start-up\\nkey=value <<not a delimiter\\n\n');
  });

  it('keeps the outputs of the attempt that succeeded, each attempt starting from an empty file', () => {
    expect(attemptRows(ws, 'retried', runId).map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(oneEvent(events, 'step_succeeded', 'retried').outputs).toEqual({ attempt: '2' });
  });

  it('fails an attempt whose outputs file is malformed with reason output_error, naming the line', () => {
    const cases: [string, RegExp][] = [
      ['malformed', /^malformed outputs file \(ENGINE_OUTPUT\), line 2: expected KEY=VALUE or KEY<<DELIMITER, got "not an output line"$/],
      ['bad_name', /^malformed outputs file \(ENGINE_OUTPUT\), line 1: invalid output name "1st"/],
      ['unclosed', /^malformed outputs file \(ENGINE_OUTPUT\), line 1: the value of "body" has no closing line "EOF"$/],
    ];
    const steps = stepRows(ws, runId);
    for (const [id, message] of cases) {
      const failed = oneEvent(events, 'step_failed', id);
      expect(failed, id).toMatchObject({ attempt: 1, exit_code: 0, reason: 'output_error', will_retry: false });
      expect(failed.error, id).toMatch(message);
      expect(steps[id], id).toMatchObject({ status: 'failed', reason: 'output_error' });
      expect(attemptRows(ws, id, runId)[0], id).toMatchObject({ status: 'failed', reason: 'output_error', error: failed.error });
      // The step's log says why too, and no output of the attempt is recorded.
      expect(readLog(ws, id, 1, runId), id).toContain(`engine: ${failed.error}`);
      expect(outputRows(ws, runId, id), id).toEqual({});
    }
    expect(eventsOf(events, 'step_succeeded', 'malformed')).toEqual([]);
  });

  it('allows 1 MiB of outputs and fails an attempt that writes more with reason output_error', () => {
    const failed = oneEvent(events, 'step_failed', 'too_big');
    expect(failed).toMatchObject({ reason: 'output_error', exit_code: 0 });
    expect(failed.error).toBe('the outputs file (ENGINE_OUTPUT) holds 1048577 bytes; at most 1048576 (1 MiB) are allowed');
    expect(oneEvent(events, 'step_succeeded', 'at_limit').outputs.x).toHaveLength(1048576 - 3);
  });

  it('fails a consumer of an output that was not written before it starts, reason missing_output, naming producer and key', () => {
    const failed = oneEvent(events, 'step_failed', 'missing');
    expect(failed).toMatchObject({ attempt: 0, reason: 'missing_output', exit_code: null, will_retry: false });
    expect(failed.error).toMatch(/^step "prod" did not write output "nope" /);
    expect(failed.error).toContain('${steps.prod.outputs.nope:-}');
    expect(eventsOf(events, 'step_started', 'missing')).toEqual([]);
    expect(attemptRows(ws, 'missing', runId)).toEqual([]);
    expect(stepRows(ws, runId).missing).toMatchObject({ status: 'failed', reason: 'missing_output', attempts: 0, detail: failed.error });
    expect(logFiles(ws, runId).filter((f) => f.startsWith('missing.'))).toEqual([]);
    expect(existsSync(join(ws.dir, 'missing-ran-'))).toBe(false);
  });

  it('gives a skipped producer\'s output as its fallback only when the reference has one; ${steps.ID.status} is how it ended', () => {
    expect(finalStatuses(events)).toMatchObject({ skipped: 'skipped', fallback: 'succeeded', no_fallback: 'failed', fails: 'failed', after_fail: 'succeeded' });
    expect(JSON.parse(readFileSync(join(ws.dir, 'fallback.json'), 'utf8')).args).toEqual(['none', '[]', 'skipped']);
    const noFallback = oneEvent(events, 'step_failed', 'no_fallback');
    expect(noFallback).toMatchObject({ attempt: 0, reason: 'missing_output' });
    expect(noFallback.error).toMatch(/^step "skipped" was skipped, so it has no output "v" /);
    expect(JSON.parse(readFileSync(join(ws.dir, 'after-fail.json'), 'utf8')).args).toEqual(['failed', 'no x', 'succeeded']);
  });
});

describe('validation of output references', () => {
  it('rejects a reference to a step that is not upstream, to the step itself or to no step: exit 2, located, nothing run', async () => {
    const ws = workspace();
    const text = `${JSON.stringify(
      plan([
        { id: 'a', shell: true, command: 'touch ran.txt; echo x=1 >> "$ENGINE_OUTPUT"' },
        { id: 'b', command: 'echo', args: ['${steps.a.outputs.x}'] },
        { id: 'c', command: 'echo', args: ['${steps.c.outputs.x}'], depends_on: ['a'] },
        { id: 'd', command: 'echo', env: { X: '${steps.nope.status}' }, depends_on: ['a'] },
        { id: 'e', command: 'true', depends_on: ['a'], preconditions: [{ value: '${steps.b.outputs.x}', equals: '1' }] },
        { id: 'f', command: 'echo', args: ['${steps.c.status}'], depends_on: ['a'] },
      ]),
      null,
      2,
    )}\n`;
    const p = ws.writePlan(text);
    const lineOf = (needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
    for (const args of [['validate', p], ['run', p]]) {
      const r = await ws.engine(args);
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr).toContain('invalid plan (5 problems)');
      expect(r.stderr).toMatch(
        new RegExp(`plan\\.json:${lineOf('"${steps.a.outputs.x}"')}:\\d+: /steps/1/args/0: \\$\\{steps\\.a\\.outputs\\.x\\}: step "a" is not upstream of "b" \\(a value can only come from a step that has ended first`),
      );
      expect(r.stderr).toMatch(new RegExp(`plan\\.json:${lineOf('"${steps.c.outputs.x}"')}:\\d+: /steps/2/args/0: \\$\\{steps\\.c\\.outputs\\.x\\}: a step cannot use its own outputs`));
      expect(r.stderr).toMatch(new RegExp(`plan\\.json:${lineOf('"${steps.nope.status}"')}:\\d+: /steps/3/env/X: \\$\\{steps\\.nope\\.status\\}: there is no step "nope"`));
      expect(r.stderr).toMatch(/\/steps\/4\/preconditions\/0\/value: \$\{steps\.b\.outputs\.x\}: step "b" is not upstream of "e"/);
      expect(r.stderr).toMatch(/\/steps\/5\/args\/0: \$\{steps\.c\.status\}: step "c" is not upstream of "f"/);
    }
    expect(existsSync(join(ws.dir, 'ran.txt'))).toBe(false);
    expect(existsSync(ws.stateDir)).toBe(false);
  });
});

/** The token a step "fetches": computed by the step, so it appears in no command line as written. */
const TOKEN = 'tk-77aa-SECRET-91';
const PASSWORD = 'hunter2-Pw';

describe('secret outputs', () => {
  let ws: Workspace;
  let result: EngineResult;
  let runId: string;
  let events: EngineEvent[];

  beforeAll(async () => {
    ws = workspace();
    const p = ws.writePlan(
      plan(
        [
          {
            id: 'fetch',
            shell: true,
            command: `echo "token=$(echo ${[...TOKEN].reverse().join('')} | rev)" >> "$ENGINE_OUTPUT"; echo "conn=user:\${PW}@db" >> "$ENGINE_OUTPUT"; echo plain=visible >> "$ENGINE_OUTPUT"`,
            secret_outputs: ['token'],
          },
          nodeStep(
            'use',
            `const [t] = process.argv.slice(1); require('fs').writeFileSync('got.txt', t + ' ' + process.env.T + ' ' + process.env.C); console.log('arg ' + t + ' env ' + process.env.T); console.log('conn ' + process.env.C); console.log('plain ' + process.env.P)`,
            { args: ['${steps.fetch.outputs.token}'], env: { T: '${steps.fetch.outputs.token}', C: '${steps.fetch.outputs.conn}', P: '${steps.fetch.outputs.plain}' }, depends_on: ['fetch'] },
          ),
          { id: 'check', command: 'true', depends_on: ['fetch'], preconditions: [{ value: '${steps.fetch.outputs.token}', equals: 'something else' }] },
        ],
        { vars: { PW: { secret: true, required: true } } },
      ),
    );
    result = await ws.engine(['run', p, '--var', `PW=${PASSWORD}`]);
    runId = runIdsInDb(ws)[0]!;
    events = readEvents(ws, runId);
  });

  it('gives the consumer the real values', () => {
    expect(result.exitCode, result.all).toBe(0);
    expect(readFileSync(join(ws.dir, 'got.txt'), 'utf8')).toBe(`${TOKEN} ${TOKEN} user:${PASSWORD}@db`);
  });

  it('masks a secret output in the consumer\'s log and recorded argv, and a secret variable inside an output', () => {
    expect(readLog(ws, 'use', 1, runId)).toBe('arg *** env ***\nconn user:***@db\nplain visible\n');
    expect(oneEvent(events, 'step_started', 'use').args.at(-1)).toBe('***');
    expect(JSON.parse(attemptRows(ws, 'use', runId)[0]!.args_json).at(-1)).toBe('***');
    const ev = oneEvent(events, 'step_succeeded', 'fetch');
    expect(ev.outputs).toEqual({ token: '***', conn: 'user:***@db', plain: 'visible' });
    expect(ev.masked_outputs.sort()).toEqual(['conn', 'token']);
    expect(outputRows(ws, runId, 'fetch')).toEqual({ token: '***', conn: 'user:***@db', plain: 'visible' });
  });

  it('masks the value seen by a precondition in the skip event', () => {
    expect(oneEvent(events, 'step_skipped', 'check').detail).toBe(
      'precondition 1 (${steps.fetch.outputs.token} equals "something else") does not hold: the value is "***", not "something else"',
    );
  });

  it('never writes the values to events.jsonl, runs.db or engine show', async () => {
    const leaks = (text: string) => text.includes(TOKEN) || text.includes(PASSWORD);
    expect(leaks(readEventsText(ws, runId))).toBe(false);
    expect(dumpRunsDbText(ws).filter(leaks)).toEqual([]);
    expect(leaks((await engineQ(ws, ['show', runId, '--json'])).stdout)).toBe(false);
    expect(leaks(result.all)).toBe(false);
    // Nor does any file of the state directory keep them (the outputs files are emptied).
    const files = (readdirSync(ws.stateDir, { recursive: true }) as string[]).filter((f) => statSync(join(ws.stateDir, f)).isFile());
    expect(files.filter((f) => leaks(readFileSync(join(ws.stateDir, f), 'latin1')))).toEqual([]);
  });
});

describe('resume and outputs', () => {
  it('keeps a producer and hands its recorded output to the consumer that runs again; a producer of secret outputs runs again', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan([
        // Each run of a producer gives a new value (its pid) and leaves a line in ran.txt.
        { id: 'prod', shell: true, command: 'echo prod >> ran.txt; echo "version=v-$$" >> "$ENGINE_OUTPUT"' },
        { id: 'secret', shell: true, command: 'echo secret >> ran.txt; echo "token=t-$$" >> "$ENGINE_OUTPUT"', secret_outputs: ['token'] },
        // Fails until the marker file exists.
        {
          id: 'consume',
          command: 'sh',
          args: ['-c', 'test -f go && printf "%s %s" "$1" "$2" > got.txt', 'sh', '${steps.prod.outputs.version}', '${steps.secret.outputs.token}'],
          depends_on: ['prod', 'secret'],
        },
      ]),
    );
    const runId = await runPlanFile(ws, p, 1);
    const firstVersion = oneEvent(readEvents(ws, runId), 'step_succeeded', 'prod').outputs.version!;
    expect(firstVersion).toMatch(/^v-\d+$/);
    writeFileSync(join(ws.dir, 'go'), '');

    const r = await ws.engine(['resume', runId, '--state-dir', ws.stateDir]);
    expect(r.exitCode, r.all).toBe(0);
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8')).toBe('prod\nsecret\nsecret\n');
    expect(attemptRows(ws, 'prod', runId).map((a) => a.attempt)).toEqual([1]);
    expect(attemptRows(ws, 'secret', runId).map((a) => a.attempt)).toEqual([1, 2]);
    const events = readEvents(ws, runId);
    const resumed = oneEvent(events, 'run_resumed');
    expect(resumed.kept).toEqual(['prod']);
    expect(resumed.rerun_causes).toEqual([
      { step_id: 'secret', cause: 'masked_outputs', by: null },
      { step_id: 'consume', cause: 'not_succeeded', by: null },
    ]);
    // The consumer got the first run's version and the second run's token (never `***`).
    const [version, token] = readFileSync(join(ws.dir, 'got.txt'), 'utf8').split(' ');
    expect(version).toBe(firstVersion);
    expect(token).toMatch(/^t-\d+$/);
    expect(stepRows(ws, runId).consume).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(outputRows(ws, runId, 'prod')).toEqual({ version: firstVersion });
  });
});

describe('conditions on outputs and statuses', () => {
  /** detect's outputs, a test step that passes unless TESTS=fail, and steps conditioned on both. */
  const conditions = (ws: Workspace) =>
    ws.writePlan(
      plan(
        [
          { id: 'detect', shell: true, command: 'echo changed=true >> "$ENGINE_OUTPUT"; echo docs_changed=false >> "$ENGINE_OUTPUT"; echo area=app >> "$ENGINE_OUTPUT"; echo branch=main >> "$ENGINE_OUTPUT"' },
          { id: 'build', command: 'true', depends_on: ['detect'], preconditions: [{ value: '${steps.detect.outputs.changed}', equals: 'true' }] },
          { id: 'docs', command: 'true', depends_on: ['detect'], preconditions: [{ value: '${steps.detect.outputs.docs_changed}', equals: 'true' }] },
          { id: 'in_holds', command: 'true', depends_on: ['detect'], preconditions: [{ value: '${steps.detect.outputs.area}', in: ['app', 'both'] }] },
          { id: 'in_fails', command: 'true', depends_on: ['detect'], preconditions: [{ value: '${steps.detect.outputs.area}', in: ['docs', 'both'] }] },
          { id: 'not_holds', command: 'true', depends_on: ['detect'], preconditions: [{ not: { value: '${steps.detect.outputs.branch}', matches: '^wip/' } }] },
          { id: 'not_fails', command: 'true', depends_on: ['detect'], preconditions: [{ not: { value: '${steps.detect.outputs.branch}', equals: 'main' } }] },
          { id: 'tests', command: 'sh', args: ['-c', 'test "$TESTS" != fail'], env: { TESTS: '${TESTS}' }, critical: false, on_failure: 'continue' },
          // Notify only when the tests failed: all_done lets it run after a failure, the precondition skips it otherwise.
          { id: 'notify', command: 'touch', args: ['notified'], depends_on: ['tests'], trigger_rule: 'all_done', preconditions: [{ value: '${steps.tests.status}', equals: 'failed' }] },
        ],
        { vars: { TESTS: { default: 'pass' } } },
      ),
    );

  it('skips or allows steps on an output with equals, in and not; the skip event names the check and the actual value', async () => {
    const ws = workspace();
    const runId = await runPlanFile(ws, conditions(ws), 0);
    const events = readEvents(ws, runId);
    expect(finalStatuses(events)).toEqual({
      detect: 'succeeded',
      build: 'succeeded',
      docs: 'skipped',
      in_holds: 'succeeded',
      in_fails: 'skipped',
      not_holds: 'succeeded',
      not_fails: 'skipped',
      tests: 'succeeded',
      notify: 'skipped',
    });
    const detail = (id: string) => oneEvent(events, 'step_skipped', id);
    expect(detail('docs')).toMatchObject({ reason: 'precondition', detail: 'precondition 1 (${steps.detect.outputs.docs_changed} equals "true") does not hold: the value is "false", not "true"' });
    expect(detail('in_fails').detail).toBe('precondition 1 (${steps.detect.outputs.area} in ["docs","both"]) does not hold: the value "app" is not one of "docs", "both"');
    expect(detail('not_fails').detail).toBe('precondition 1 (not (${steps.detect.outputs.branch} equals "main")) does not hold: it holds (the value is "main")');
    expect(detail('notify').detail).toBe('precondition 1 (${steps.tests.status} equals "failed") does not hold: the value is "succeeded", not "failed"');
    expect(stepRows(ws, runId).docs).toMatchObject({ status: 'skipped', reason: 'precondition', attempts: 0 });
    expect(existsSync(join(ws.dir, 'notified'))).toBe(false);
  });

  it('runs a step conditioned on ${steps.tests.status} only when the tests failed', async () => {
    const ws = workspace();
    const p = conditions(ws);
    const r = await ws.engine(['run', p, '--var', 'TESTS=fail']);
    expect(r.exitCode, r.all).toBe(0);
    const events = readEvents(ws, runIdsInDb(ws)[0]!);
    expect(finalStatuses(events)).toMatchObject({ tests: 'failed', notify: 'succeeded' });
    expect(existsSync(join(ws.dir, 'notified'))).toBe(true);
  });
});
