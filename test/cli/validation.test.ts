/**
 * `engine validate` and `engine run` with bad input, through the built CLI as a user calls it:
 * exit code 2, every problem on stderr with its place (`file:line:column: /pointer: message`,
 * or `<command line>: message` for command-line problems), no stack trace, nothing run and
 * nothing recorded in the state directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workspacesForThisFile } from '../helpers/cli.js';
import { recordedRuns } from '../helpers/record.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const ws = workspacesForThisFile('engine-cli-validation-');

/** A step that leaves `ran.txt` in the working directory if anything runs at all. */
const MARKER = { id: 'marker', command: 'touch', args: ['ran.txt'] };

/** 1-based `line:column` of the first occurrence of `needle` in `text` (plus `skip` chars). */
function at(text: string, needle: string, skip = 0): string {
  const offset = text.indexOf(needle);
  if (offset < 0 || text.indexOf(needle, offset + 1) >= 0) throw new Error(`needle ${JSON.stringify(needle)} must occur exactly once`);
  const o = offset + skip;
  const lineStart = text.lastIndexOf('\n', o - 1) + 1;
  const line = text.slice(0, o).split('\n').length;
  return `${line}:${o - lineStart + 1}`;
}

/** `line:column` of the value that follows `key` (e.g. `"retries": `) in `text`. */
function valueAfter(text: string, key: string): string {
  return at(text, key, key.length);
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

interface BadInput {
  /** Completes "engine <cmd> rejects …". */
  title: string;
  /** Plan text written as plan.json (absent: no file is written). */
  text?: string;
  /** Arguments after the command; default ['plan.json']. */
  args?: string[];
  /** Each entry must match one line of stderr. */
  lines: (text: string) => RegExp[];
  /** Number of problems the header must announce. */
  problems: number;
  /** Only `engine run` rejects it. */
  runOnly?: true;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** `  plan.json:L:C: /pointer: <message…>` */
const planLine = (pos: string, pointer: string, message: string): RegExp =>
  new RegExp(`^\\s*plan\\.json:${esc(pos)}: ${esc(pointer)}: ${message}`);
const cliLine = (message: string): RegExp => new RegExp(`^\\s*<command line>: ${message}`);

const varsPlan = json({
  plan_id: 'p',
  version: '1',
  vars: {
    ENV: { description: 'target environment', required: true },
    BRANCH: { default: 'main', pattern: '^[a-z]+$' },
  },
  steps: [{ ...MARKER, args: ['ran.txt', '${ENV}', '${BRANCH}'] }],
});

const CASES: BadInput[] = [
  {
    title: 'a plan file that does not exist',
    args: ['missing.json'],
    problems: 1,
    lines: () => [/^\s*missing\.json: plan file not found: .*missing\.json$/],
  },
  {
    title: 'a plan file with invalid JSON syntax, at the line and column of the error',
    text: '{\n  "plan_id": "p"\n  "version": "1",\n  "steps": [{ "id": "marker", "command": "touch", "args": ["ran.txt"] }]\n}\n',
    problems: 1,
    lines: () => [/^\s*plan\.json:3:3: invalid JSON: /],
  },
  {
    title: 'a value of the wrong type',
    text: json({ plan_id: 'p', version: '1', steps: [{ ...MARKER, retries: '3' }] }),
    problems: 1,
    lines: (t) => [planLine(valueAfter(t, '"retries": '), '/steps/0/retries', '.*integer')],
  },
  {
    title: 'an unknown property (a typo like timout_sec), at the property name',
    text: json({ plan_id: 'p', version: '1', steps: [{ ...MARKER, timout_sec: 5 }] }),
    problems: 1,
    lines: (t) => [planLine(at(t, '"timout_sec"'), '/steps/0/timout_sec', 'unknown property "timout_sec".*timeout_sec')],
  },
  {
    title: 'a value outside an enum',
    text: json({ plan_id: 'p', version: '1', steps: [{ ...MARKER, on_failure: 'explode' }] }),
    problems: 1,
    lines: (t) => [planLine(valueAfter(t, '"on_failure": '), '/steps/0/on_failure', '.*"abort".*got "explode"')],
  },
  {
    title: 'duplicate step ids, at the second one',
    text: json({ plan_id: 'p', version: '1', steps: [MARKER, { id: 'marker', command: 'true' }] }),
    problems: 1,
    lines: (t) => [
      planLine(at(t, '"id": "marker",\n      "command": "true"', 6), '/steps/1/id', 'duplicate step id "marker"'),
    ],
  },
  {
    title: 'a depends_on entry naming an unknown step',
    text: json({ plan_id: 'p', version: '1', steps: [MARKER, { id: 'b', command: 'true', depends_on: ['nope'] }] }),
    problems: 1,
    lines: (t) => [planLine(at(t, '"nope"'), '/steps/1/depends_on/0', 'depends on unknown step "nope"')],
  },
  {
    title: 'a step that depends on itself',
    text: json({ plan_id: 'p', version: '1', steps: [MARKER, { id: 'b', command: 'true', depends_on: ['b'] }] }),
    problems: 1,
    lines: (t) => [planLine(at(t, '"depends_on": [\n        "b"', 24), '/steps/1/depends_on/0', 'step "b" depends on itself')],
  },
  {
    title: 'a dependency cycle, spelling out its path',
    text: json({
      plan_id: 'p',
      version: '1',
      steps: [
        MARKER,
        { id: 'a', command: 'true', depends_on: ['b'] },
        { id: 'b', command: 'true', depends_on: ['c'] },
        { id: 'c', command: 'true', depends_on: ['a'] },
      ],
    }),
    problems: 1,
    lines: (t) => [
      planLine(at(t, '"depends_on": [\n        "b"', 24), '/steps/1/depends_on/0', '.*a -> b -> c -> a'),
    ],
  },
  {
    title: 'a --var that the plan does not declare',
    text: varsPlan,
    args: ['plan.json', '--var', 'ENV=prod', '--var', 'NOPE=1'],
    problems: 1,
    lines: () => [cliLine('--var NOPE: variable "NOPE" is not declared.*ENV, BRANCH')],
  },
  {
    title: 'a missing required variable, at its declaration',
    text: varsPlan,
    // engine validate notes it and exits 0 (test/cli/terminal-conventions.test.ts).
    runOnly: true,
    problems: 1,
    lines: (t) => [planLine(at(t, '"ENV": {'), '/vars/ENV', 'required variable "ENV" has no value')],
  },
  {
    title: 'a --var value that does not match the variable\'s pattern',
    text: varsPlan,
    args: ['plan.json', '--var', 'ENV=prod', '--var', 'BRANCH=Main-1'],
    problems: 1,
    lines: () => [cliLine('value of variable "BRANCH" \\(from --var BRANCH\\) does not match its pattern /\\^\\[a-z\\]\\+\\$/: got "Main-1"')],
  },
  {
    title: 'a default value that does not match the variable\'s pattern, at the default',
    text: json({
      plan_id: 'p',
      version: '1',
      vars: { TAG: { default: 'v1.0', pattern: '^[a-z]+$' } },
      steps: [{ ...MARKER, args: ['${TAG}'] }],
    }),
    problems: 1,
    lines: (t) => [planLine(valueAfter(t, '"default": '), '/vars/TAG/default', 'value of variable "TAG" \\(its default\\) does not match')],
  },
  {
    title: 'a ${NAME} reference to an undeclared variable',
    text: json({ plan_id: 'p', version: '1', steps: [{ ...MARKER, args: ['ran.txt', 'x-${NOPE}'] }] }),
    problems: 1,
    lines: (t) => [planLine(at(t, '"x-${NOPE}"'), '/steps/0/args/1', 'unknown variable \\$\\{NOPE\\}')],
  },
  {
    title: 'a --var that is not of the form KEY=VALUE',
    text: json({ plan_id: 'p', version: '1', vars: { X: {} }, steps: [MARKER] }),
    args: ['plan.json', '--var', 'X'],
    problems: 1,
    lines: () => [cliLine('--var "X": expected KEY=VALUE')],
  },
  {
    title: 'a plan with several problems, reporting all of them in one invocation',
    text: json({
      plan_id: 'p',
      version: 1,
      steps: [
        { ...MARKER, timout_sec: 5 },
        { id: 'b', command: 'true', trigger_rule: 'sometimes', depends_on: ['ghost'] },
        { id: 'b', command: 'echo', args: ['${UNDECLARED}'] },
      ],
    }),
    args: ['plan.json', '--var', 'oops'],
    problems: 7,
    lines: (t) => [
      cliLine('--var "oops": expected KEY=VALUE'),
      planLine(valueAfter(t, '"version": '), '/version', '.*string'),
      planLine(at(t, '"timout_sec"'), '/steps/0/timout_sec', 'unknown property'),
      planLine(valueAfter(t, '"trigger_rule": '), '/steps/1/trigger_rule', '.*got "sometimes"'),
      planLine(at(t, '"ghost"'), '/steps/1/depends_on/0', 'depends on unknown step "ghost"'),
      planLine(at(t, '"id": "b",\n      "command": "echo"', 6), '/steps/2/id', 'duplicate step id "b"'),
      planLine(at(t, '"${UNDECLARED}"'), '/steps/2/args/0', 'unknown variable \\$\\{UNDECLARED\\}'),
    ],
  },
];

/** Exit code 2 and a problem report on stderr, with no stack trace and nothing on stdout. */
function expectProblemReport(r: { exitCode?: number; stdout: unknown; stderr: unknown }, c: BadInput, text: string): void {
  const stderr = String(r.stderr);
  expect({ exitCode: r.exitCode, stderr }).toMatchObject({ exitCode: 2 });
  expect(String(r.stdout)).toBe('');
  expect(stderr).toContain(`engine: invalid plan (${c.problems} problem${c.problems === 1 ? '' : 's'}):`);
  const lines = stderr.split('\n');
  for (const re of c.lines(text)) {
    expect(lines.some((l) => re.test(l)), `stderr has a line matching ${re}\n--- stderr:\n${stderr}`).toBe(true);
  }
  // Exactly one line per problem after the header.
  expect(lines.filter((l) => /^ {2}\S/.test(l))).toHaveLength(c.problems);
  expectNoStackTrace(stderr);
}

function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/\b[A-Za-z]*Error:/);
  expect(stderr).not.toMatch(/internal error|node:internal|\.js:\d+/);
}

describe.each(['validate', 'run'] as const)('engine %s with bad input', (command) => {
  for (const c of CASES.filter((k) => command === 'run' || !k.runOnly)) {
    it.concurrent(`engine ${command} rejects ${c.title} with exit code 2, runs nothing and records nothing`, async () => {
      const w = ws();
      const text = c.text ?? '';
      if (c.text !== undefined) w.writePlan(c.text);
      const r = await w.engine([command, ...(c.args ?? ['plan.json'])]);
      expectProblemReport(r, c, text);
      expect(existsSync(join(w.dir, 'ran.txt'))).toBe(false);
      expect(recordedRuns(w.stateDir)).toEqual({ dirs: [], dbRuns: 0 });
      if (command === 'validate') expect(existsSync(w.stateDir)).toBe(false);
    });
  }
});

describe('engine validate with good input', () => {
  it.concurrent('engine validate of a valid plan exits 0, says it is valid and runs nothing', async () => {
    const w = ws();
    w.writePlan(
      json({
        plan_id: 'good',
        version: '3',
        vars: { WHO: { default: 'world', pattern: '^[a-z]+$' } },
        steps: [
          { ...MARKER, args: ['ran.txt', '${WHO}'] },
          { id: 'b', command: 'true', depends_on: ['marker'], trigger_rule: 'all_done' },
        ],
      }),
    );
    const r = await w.engine(['validate', 'plan.json', '--var', 'WHO=you']);
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(r.stdout).toContain('valid plan good 3 (2 steps)');
    expect(existsSync(join(w.dir, 'ran.txt'))).toBe(false);
    expect(existsSync(w.stateDir)).toBe(false);
  });

  it.concurrent.each(['demo.json', 'git_report.json'])('the shipped plan plans/%s validates', async (name) => {
    const w = ws();
    const r = await w.engine(['validate', join(ROOT, 'plans', name)]);
    expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(r.stdout).toMatch(/: valid plan \S+ \S+ \(\d+ steps\)/);
  });
});

describe('command line usage', () => {
  it.concurrent.each(['validate', 'run'])('engine %s with an unknown option exits 2 and names the option', async (command) => {
    const w = ws();
    w.writePlan(json({ plan_id: 'p', version: '1', steps: [MARKER] }));
    const r = await w.engine([command, 'plan.json', '--bogus-option']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--bogus-option');
    expectNoStackTrace(String(r.stderr));
    expect(existsSync(join(w.dir, 'ran.txt'))).toBe(false);
    expect(recordedRuns(w.stateDir)).toEqual({ dirs: [], dbRuns: 0 });
  });

  it.concurrent('engine with an unknown command exits 2 and names the command', async () => {
    const r = await ws().engine(['frobnicate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('frobnicate');
    expectNoStackTrace(String(r.stderr));
  });

  it.concurrent('engine run with an invalid --max-concurrency exits 2 and says what is wrong with it', async () => {
    const w = ws();
    w.writePlan(json({ plan_id: 'p', version: '1', steps: [MARKER] }));
    const r = await w.engine(['run', 'plan.json', '--max-concurrency', '0']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--max-concurrency');
    expectNoStackTrace(String(r.stderr));
    expect(existsSync(join(w.dir, 'ran.txt'))).toBe(false);
    expect(recordedRuns(w.stateDir)).toEqual({ dirs: [], dbRuns: 0 });
  });

  it.concurrent('engine --version prints the version from package.json and exits 0', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await ws().engine(['--version']);
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout).trim()).toBe(pkg.version);
  });
});
