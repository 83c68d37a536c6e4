import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/schema/load-plan.js';
import { PlanError, formatProblem } from '../../src/schema/problems.js';
import { options, plan, positionOf, problemsOf, problemsOfLoad, writeJson } from '../helpers/plan-files.js';
import { tempDir } from '../helpers/temp-dirs.js';

describe('plan file problems', () => {
  it('reports a missing plan file with pointer "" and the path as given', () => {
    const dir = tempDir();
    const problems = problemsOfLoad(options(dir, { path: 'nope/plan.json' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'nope/plan.json', pointer: '' });
    expect(problems[0]!.message).toMatch(/^plan file not found: .*nope\/plan\.json$/);
    expect(problems[0]!.line).toBeUndefined();
  });

  it('throws a PlanError whose message lists the formatted problems', () => {
    const dir = tempDir();
    let caught: unknown;
    try {
      loadPlan(options(dir, { path: 'missing.json' }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PlanError);
    const err = caught as PlanError;
    expect(err.message).toBe(err.problems.map(formatProblem).join('\n'));
  });

  it('reports invalid JSON syntax with the line and column of the error and no stack', () => {
    const dir = tempDir();
    const text = '{\n  "plan_id": "p"\n  "version": "1"\n}\n';
    const problems = problemsOf(dir, text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'plan.json', pointer: '', line: 3, column: 3 });
    expect(problems[0]!.message).toMatch(/^invalid JSON: expected ',' or '}'/);
    expect(problems[0]!.message).not.toMatch(/\n|at position|    at /);
  });

  it('reports an unterminated document at its end', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, '{\n  "plan_id": "p",\n  "steps": [1, 2\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^invalid JSON: /);
    expect(problems[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('reports an empty plan file as invalid JSON at 1:1', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, '');
    expect(problems).toEqual([expect.objectContaining({ pointer: '', line: 1, column: 1 })]);
    expect(problems[0]!.message).toMatch(/^invalid JSON: /);
  });

  it('does not echo a large file in the syntax error message', () => {
    const dir = tempDir();
    const text = `{"plan_id": "p", "steps": [${'{"id": "x", "command": "y"},'.repeat(2000)} tru]}`;
    const problems = problemsOf(dir, text);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message.length).toBeLessThan(200);
  });

  it('accepts a plan file starting with a UTF-8 byte order mark', () => {
    const dir = tempDir();
    writeJson(dir, 'plan.json', `\uFEFF${JSON.stringify(plan([{ id: 'a', command: 'true' }]))}`);
    expect(loadPlan(options(dir)).steps).toHaveLength(1);
  });
});

describe('schema violations', () => {
  it('reports an unknown property by name, at the property name, listing the allowed ones', () => {
    const dir = tempDir();
    const text = `{
  "plan_id": "p",
  "version": "1",
  "steps": [
    { "id": "a", "command": "true", "timout_sec": 5 }
  ]
}
`;
    const problems = problemsOf(dir, text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'plan.json', pointer: '/steps/0/timout_sec', line: 5, column: 37 });
    expect(problems[0]!.message).toMatch(/^unknown property "timout_sec"; did you mean "timeout_sec"\? \(allowed: id, name, .*timeout_sec/);
  });

  it('reports a value of the wrong type with the expected and actual type', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'a', command: 'true', retries: 'three' }]));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({ pointer: '/steps/0/retries', ...positionOf(text, '"three"'), message: 'expected an integer, got "three"' }),
    ]);
  });

  it('reports a bad enum value listing the allowed values', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'a', command: 'true', on_failure: 'explode' }]));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({
        pointer: '/steps/0/on_failure',
        ...positionOf(text, '"explode"'),
        message: 'must be one of "abort", "skip_dependents", "continue", got "explode"',
      }),
    ]);
  });

  it('reports a missing required property at the object that lacks it', () => {
    const dir = tempDir();
    const text = '{\n  "plan_id": "p",\n  "version": "1",\n  "steps": [\n    { "command": "true" }\n  ]\n}\n';
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([expect.objectContaining({ pointer: '/steps/0', line: 5, column: 5, message: 'missing required property "id"' })]);
  });

  it('reports a step with neither command nor plan at the step', () => {
    const dir = tempDir();
    const text = '{\n  "plan_id": "p",\n  "version": "1",\n  "steps": [\n    { "id": "a" }\n  ]\n}\n';
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({ pointer: '/steps/0', line: 5, column: 5, message: 'a step needs "command" (a program to run) or "plan" (another plan to run)' }),
    ]);
  });

  it('reports a missing top-level property at 1:1', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, { plan_id: 'p', steps: [{ id: 'a', command: 'true' }] });
    expect(problems).toEqual([expect.objectContaining({ pointer: '', line: 1, column: 1, message: 'missing required property "version"' })]);
  });

  it('reports an empty steps array', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan([]));
    expect(problems).toEqual([expect.objectContaining({ pointer: '/steps', message: 'must not be empty' })]);
  });

  it('reports a step id with characters outside [A-Za-z0-9_.-]', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan([{ id: 'a b', command: 'true' }]));
    expect(problems).toEqual([expect.objectContaining({ pointer: '/steps/0/id', message: 'invalid step id "a b" (must match ^[A-Za-z0-9_.-]+$)' })]);
  });

  it('reports a number below its minimum with the bound', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan([{ id: 'a', command: 'true' }], { globals: { max_concurrency: 0, default_timeout_sec: 0 } }));
    expect(problems.map((p) => [p.pointer, p.message])).toEqual([
      ['/globals/max_concurrency', 'must be >= 1, got 0'],
      ['/globals/default_timeout_sec', 'must be > 0, got 0'],
    ]);
  });

  it('reports an invalid variable name at the name', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'a', command: 'true' }], { vars: { 'bad-name': {} } }));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({
        pointer: '/vars/bad-name',
        ...positionOf(text, '"bad-name"'),
        message: 'invalid variable name "bad-name" (must match ^[A-Za-z_][A-Za-z0-9_]*$)',
      }),
    ]);
  });

  it('reports a plan that is not an object without crashing', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, '[1, 2]');
    expect(problems).toEqual([expect.objectContaining({ pointer: '', message: 'expected an object, got an array' })]);
  });

  it('reports steps that are not an array without crashing', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, { plan_id: 'p', version: '1', steps: { id: 'a' } });
    expect(problems).toEqual([expect.objectContaining({ pointer: '/steps', message: 'expected an array, got an object' })]);
  });

  it('survives steps that are not objects and fields of the wrong types', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, {
      plan_id: 'p',
      version: '1',
      vars: { A: 5 },
      globals: { env: 'x', working_dir: 3 },
      steps: [null, 5, { id: 'a', command: 'true', depends_on: 'b', args: 'x', env: [] }, { id: 7, command: ['x'] }],
    });
    expect(problems.length).toBeGreaterThanOrEqual(8);
    expect(problems.every((p) => p.file === 'plan.json' && typeof p.line === 'number')).toBe(true);
  });
});
