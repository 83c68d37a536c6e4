import { describe, expect, it } from 'vitest';
import { plan, positionOf, problemsOf, writeJson } from '../helpers/plan-files.js';
import { tempDir } from '../helpers/temp-dirs.js';

describe('step checks', () => {
  it('reports a duplicate step id at the second occurrence', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'a', command: 'true' }, { id: 'b', command: 'true' }, { id: 'a', command: 'false' }]));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'plan.json',
        pointer: '/steps/2/id',
        ...positionOf(text, '"a"', 1),
        message: 'duplicate step id "a" (first used by /steps/0)',
      }),
    ]);
  });

  it('reports depends_on naming an unknown step at that entry', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'a', command: 'true', depends_on: ['ghost'] }]));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({ pointer: '/steps/0/depends_on/0', ...positionOf(text, '"ghost"'), message: 'depends on unknown step "ghost"' }),
    ]);
  });

  it('reports undoes on a step that is not a cleanup, naming an unknown step, or a step that is not upstream', () => {
    const dir = tempDir();
    const text = writeJson(
      dir,
      'x.json',
      plan([
        { id: 'lock', command: 'true' },
        { id: 'side', command: 'true' },
        { id: 'work', command: 'true', depends_on: ['lock'], undoes: ['lock'] },
        { id: 'unlock', command: 'true', depends_on: ['work'], trigger_rule: 'all_done', undoes: ['lock', 'ghost', 'side'] },
      ]),
    );
    expect(problemsOf(dir, text)).toEqual([
      expect.objectContaining({ pointer: '/steps/2/undoes', message: 'undoes is for cleanup steps: give the step trigger_rule "all_done" too' }),
      expect.objectContaining({ pointer: '/steps/3/undoes/1', ...positionOf(text, '"ghost"'), message: 'undoes unknown step "ghost"' }),
      expect.objectContaining({
        pointer: '/steps/3/undoes/2',
        ...positionOf(text, '"side"', 1),
        message: 'step "side" is not upstream of "unlock" (undoes names steps it depends on, directly or not)',
      }),
    ]);
  });

  it('reports a step depending on itself', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'b', command: 'true' }, { id: 'a', command: 'true', depends_on: ['b', 'a'] }]));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({ pointer: '/steps/1/depends_on/1', ...positionOf(text, '"a"', 1), message: 'step "a" depends on itself' }),
    ]);
  });

  it('reports a dependency cycle with its path a -> b -> c -> a', () => {
    const dir = tempDir();
    const text = writeJson(
      dir,
      'x.json',
      plan([
        { id: 'start', command: 'true' },
        { id: 'a', command: 'true', depends_on: ['start', 'b'] },
        { id: 'b', command: 'true', depends_on: ['c'] },
        { id: 'c', command: 'true', depends_on: ['a'] },
        { id: 'after', command: 'true', depends_on: ['c'] },
      ]),
    );
    const problems = problemsOf(dir, text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ pointer: '/steps/1/depends_on/1', ...positionOf(text, '"b"') });
    expect(problems[0]!.message).toBe('dependency cycle: a -> b -> c -> a (each step depends on the next)');
  });

  it('reports a two-step cycle', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan([{ id: 'x', command: 'true', depends_on: ['y'] }, { id: 'y', command: 'true', depends_on: ['x'] }]));
    expect(problems.map((p) => p.message)).toEqual(['dependency cycle: x -> y -> x (each step depends on the next)']);
  });

  it('reports shell: true with non-empty args at args', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'a', command: 'echo hi', shell: true, args: ['x'] }]));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([expect.objectContaining({ pointer: '/steps/0/args', ...positionOf(text, '[\n        "x"') })]);
    expect(problems[0]!.message).toMatch(/args must be empty when shell is true/);
  });

  it('reports several problems at once, ordered by position', () => {
    const dir = tempDir();
    const text = writeJson(
      dir,
      'x.json',
      plan([
        { id: 'a', command: 'true', timout_sec: 1 },
        { id: 'a', command: 'true', depends_on: ['zzz'] },
        { id: 'c', command: 'true', on_failure: 'nope', shell: true, args: ['x'] },
      ]),
    );
    const problems = problemsOf(dir, text);
    expect(problems.map((p) => p.pointer)).toEqual([
      '/steps/0/timout_sec',
      '/steps/1/id',
      '/steps/1/depends_on/0',
      '/steps/2/on_failure',
      '/steps/2/args',
    ]);
    const lines = problems.map((p) => p.line!);
    expect([...lines].sort((x, y) => x - y)).toEqual(lines);
  });

  it('still runs step checks when schema validation fails', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, {
      plan_id: 5,
      version: '1',
      steps: [{ id: 'a', command: 'true', depends_on: ['b'] }, { id: 'b', command: 'true', depends_on: ['a'] }],
    });
    expect(problems.map((p) => p.message)).toEqual([
      'expected a string, got 5',
      'dependency cycle: a -> b -> a (each step depends on the next)',
    ]);
  });
});

describe('policy checks (issue 14)', () => {
  it('reports an empty exit code range in retry_on at that entry', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'a', command: 'true', retries: 1, retry_on: ['exit:1', 'exit:9-5'] }]));
    expect(problemsOf(dir, text)).toEqual([
      expect.objectContaining({ pointer: '/steps/0/retry_on/1', ...positionOf(text, '"exit:9-5"'), message: 'exit code range 9-5 is empty: write the lower code first (exit:5-9)' }),
    ]);
  });

  it('reports a step asking for the mutex its run holds', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', { ...(plan([{ id: 'a', command: 'true', mutex: 'deploy' }]) as object), globals: { mutex: 'deploy' } });
    expect(problemsOf(dir, text)).toEqual([expect.objectContaining({ pointer: '/steps/0/mutex', message: expect.stringContaining('it would wait for itself') })]);
  });

  it('reports policy values of the wrong kind at the value', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'a', command: 'true', retry_on: ['exit:x'], retry_jitter: 'some', kill_signal: 'SIGFOO', idle_timeout_sec: 0 }]));
    const pointers = problemsOf(dir, text).map((p) => p.pointer).sort();
    expect(pointers).toEqual(['/steps/0/idle_timeout_sec', '/steps/0/kill_signal', '/steps/0/retry_jitter', '/steps/0/retry_on/0']);
  });
});
