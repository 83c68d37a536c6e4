import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { load, plan, positionOf, problemsOf, writeJson } from '../helpers/plan-files.js';
import { tempDir } from '../helpers/temp-dirs.js';

const echo = (...args: string[]) => [{ id: 'a', command: 'echo', args }];

describe('variable values', () => {
  it('takes --var over the vars file over the default', () => {
    const dir = tempDir();
    writeJson(dir, 'vars.json', { A: 'from-file', B: 'from-file' });
    const p = load(dir, plan(echo('${A}', '${B}', '${C}'), { vars: { A: { default: 'd' }, B: { default: 'd' }, C: { default: 'd' } } }), {
      varArgs: ['A=from-cli'],
      varsFile: 'vars.json',
    });
    expect(p.steps[0]!.args).toEqual(['from-cli', 'from-file', 'd']);
    expect(p.vars).toMatchObject({ A: 'from-cli', B: 'from-file', C: 'd' });
  });

  it('splits --var at the first "=" and allows an empty value', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('${A}', '[${B}]'), { vars: { A: {}, B: {} } }), { varArgs: ['A=x=y', 'B='] });
    expect(p.steps[0]!.args).toEqual(['x=y', '[]']);
  });

  it('substitutes an optional variable without value or default as the empty string', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('<${OPT}>'), { vars: { OPT: { description: 'optional' } } }));
    expect(p.steps[0]!.args).toEqual(['<>']);
    expect(p.vars.OPT).toBe('');
  });

  it('provides the built-ins RUN_ID, PLAN_DIR and STATE_DIR', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('${RUN_ID}', '${PLAN_DIR}', '${STATE_DIR}')), { runId: 'r-42', stateDir: '/var/state' });
    expect(p.steps[0]!.args).toEqual(['r-42', dir, '/var/state']);
    expect(p.vars).toEqual({ RUN_ID: 'r-42', PLAN_DIR: dir, STATE_DIR: '/var/state' });
  });

  it('writes $${ as a literal ${', () => {
    const dir = tempDir();
    const p = load(dir, plan([{ id: 'a', command: 'echo $${HOME} ${X}', shell: true }], { vars: { X: { default: 'x' } } }));
    expect(p.steps[0]!.command).toBe('echo ${HOME} x');
  });

  it('keeps values with spaces and semicolons inside one argument', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('--msg=${M}', '${M}'), { vars: { M: {} } }), { varArgs: ['M=a b; rm -rf / && echo $(x)'] });
    expect(p.steps[0]!.args).toEqual(['--msg=a b; rm -rf / && echo $(x)', 'a b; rm -rf / && echo $(x)']);
  });

  it('does not substitute again inside substituted values', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('${A}'), { vars: { A: {}, B: { default: 'b' } } }), { varArgs: ['A=${B}'] });
    expect(p.steps[0]!.args).toEqual(['${B}']);
  });

  it('substitutes in command, cwd, env values, globals.env and globals.working_dir', () => {
    const dir = tempDir();
    const p = load(
      dir,
      plan([{ id: 'a', command: '${T}/bin', cwd: 'sub-${T}', env: { S: '${T}-step' } }], {
        vars: { T: { default: 'tool' } },
        globals: { working_dir: 'w-${T}', env: { G: '${T}-global' } },
      }),
    );
    const s = p.steps[0]!;
    expect(s.command).toBe('tool/bin');
    expect(s.cwd).toBe(path.join(dir, 'w-tool', 'sub-tool'));
    expect(s.env).toEqual({ G: 'tool-global', S: 'tool-step' });
  });

  it('lists secret variables in secretNames', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('${TOKEN}'), { vars: { TOKEN: { secret: true }, USER: { secret: false }, KEY: { secret: true } } }), {
      varArgs: ['TOKEN=t', 'KEY=k'],
    });
    expect(p.secretNames).toEqual(['TOKEN', 'KEY']);
    expect(p.vars.TOKEN).toBe('t');
  });

  it('accepts a value matching its pattern (unanchored unless the pattern says so)', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('${V}'), { vars: { V: { pattern: '[0-9]' } } }), { varArgs: ['V=abc1'] });
    expect(p.steps[0]!.args).toEqual(['abc1']);
  });
});

describe('variable problems', () => {
  it('reports an undeclared --var key on the command line', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan(echo(), { vars: { A: {} } }), { varArgs: ['NOPE=1'] });
    expect(problems).toEqual([
      { file: '<command line>', pointer: '', message: '--var NOPE: variable "NOPE" is not declared in the plan\'s "vars" (declared: A)' },
    ]);
  });

  it('reports a --var that is not KEY=VALUE', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan(echo()), { varArgs: ['JUSTKEY', '=v'] });
    expect(problems).toEqual([
      { file: '<command line>', pointer: '', message: '--var "JUSTKEY": expected KEY=VALUE' },
      { file: '<command line>', pointer: '', message: '--var "=...": expected KEY=VALUE, the key is empty' },
    ]);
  });

  it('reports a --var setting a built-in', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan(echo()), { varArgs: ['RUN_ID=x'] });
    expect(problems.map((p) => p.message)).toEqual(['--var RUN_ID: RUN_ID is a built-in variable and cannot be set']);
  });

  it('reports a required variable without value at its declaration', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan(echo('${NEED}'), { vars: { NEED: { required: true } } }));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'plan.json',
        pointer: '/vars/NEED',
        ...positionOf(text, '"NEED"'),
        message: 'required variable "NEED" has no value: pass --var NEED=VALUE, set it in a vars file or as ENGINE_VAR_NEED',
      }),
    ]);
  });

  it('accepts a required variable given by its default', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('${NEED}'), { vars: { NEED: { required: true, default: 'd' } } }));
    expect(p.steps[0]!.args).toEqual(['d']);
  });

  it('reports a --var value not matching the pattern on the command line, showing the value', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan(echo(), { vars: { ENV: { pattern: '^(dev|prod)$' } } }), { varArgs: ['ENV=staging'] });
    expect(problems).toEqual([
      {
        file: '<command line>',
        pointer: '',
        message: 'value of variable "ENV" (from --var ENV) does not match its pattern /^(dev|prod)$/: got "staging"',
      },
    ]);
  });

  it('does not show a secret value that does not match its pattern', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan(echo(), { vars: { PW: { pattern: '^.{8,}$', secret: true } } }), { varArgs: ['PW=hunter2'] });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).not.toContain('hunter2');
  });

  it('reports a default not matching the pattern at the default', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan(echo(), { vars: { N: { pattern: '^[0-9]+$', default: 'ten' } } }));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([expect.objectContaining({ file: 'plan.json', pointer: '/vars/N/default', ...positionOf(text, '"ten"') })]);
  });

  it('reports a vars-file value not matching the pattern in the vars file', () => {
    const dir = tempDir();
    const varsText = writeJson(dir, 'vars.json', { N: 'ten' });
    const problems = problemsOf(dir, plan(echo(), { vars: { N: { pattern: '^[0-9]+$' } } }), { varsFile: 'vars.json' });
    expect(problems).toEqual([expect.objectContaining({ file: 'vars.json', pointer: '/N', ...positionOf(varsText, '"ten"') })]);
  });

  it('reports an invalid regular expression in a pattern', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan(echo(), { vars: { V: { pattern: '([a-z]' } } }));
    const problems = problemsOf(dir, text, { varArgs: ['V=x'] });
    expect(problems).toEqual([expect.objectContaining({ pointer: '/vars/V/pattern', ...positionOf(text, '"([a-z]"') })]);
    expect(problems[0]!.message).toMatch(/^invalid regular expression: \/\(\[a-z\]\/: /);
  });

  it('reports a reference to an unknown variable at the string containing it', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan([{ id: 'a', command: 'echo', args: ['ok', 'x-${NOPE}'] }], { vars: { A: {} } }));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({
        pointer: '/steps/0/args/1',
        ...positionOf(text, '"x-${NOPE}"'),
        message: 'unknown variable ${NOPE} (declared: A; built-in: RUN_ID, PLAN_DIR, STATE_DIR)',
      }),
    ]);
  });

  it('reports unknown references in env values and globals', () => {
    const dir = tempDir();
    const problems = problemsOf(
      dir,
      plan([{ id: 'a', command: 'echo', env: { K: '${X}' }, cwd: '${Y}' }], { globals: { working_dir: '${Z}', env: { G: '${W}' } } }),
    );
    expect(problems.map((p) => p.pointer)).toEqual(['/globals/working_dir', '/globals/env/G', '/steps/0/env/K', '/steps/0/cwd']);
  });

  it('reports a malformed ${ reference and suggests $${', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan([{ id: 'a', command: 'echo ${HOME:-/root}', shell: true }]));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.pointer).toBe('/steps/0/command');
    expect(problems[0]!.message).toContain('invalid variable reference "${HOME:-/root}"');
    expect(problems[0]!.message).toContain('$${');
  });

  it('reports a declared variable that shadows a built-in', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan(echo(), { vars: { STATE_DIR: {} } }));
    const problems = problemsOf(dir, text);
    expect(problems).toEqual([
      expect.objectContaining({
        pointer: '/vars/STATE_DIR',
        ...positionOf(text, '"STATE_DIR"'),
        message: 'variable "STATE_DIR" shadows the built-in variable of the same name; rename it',
      }),
    ]);
  });
});

describe('references inside defaults', () => {
  it('substitutes built-ins and other variables in a default, through chains of defaults', () => {
    const dir = tempDir();
    const p = load(
      dir,
      plan(echo('${OUT}', '${LOG}', '${NAME}'), {
        vars: { OUT: { default: '${PLAN_DIR}/out' }, LOG: { default: '${OUT}/${NAME}.log' }, NAME: { default: 'build' } },
      }),
    );
    expect(p.steps[0]!.args).toEqual([`${dir}/out`, `${dir}/out/build.log`, 'build']);
    expect(p.vars).toMatchObject({ OUT: `${dir}/out`, LOG: `${dir}/out/build.log` });
  });

  it('uses a value given with --var in the defaults that reference it, and takes that value as typed', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('${OUT}', '${BASE}'), { vars: { BASE: { default: '/tmp' }, OUT: { default: '${BASE}/out' } } }), {
      varArgs: ['BASE=/srv/${RUN_ID}'],
    });
    expect(p.steps[0]!.args).toEqual(['/srv/${RUN_ID}/out', '/srv/${RUN_ID}']);
  });

  it('keeps $${ in a default as a literal ${', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('${A}'), { vars: { A: { default: '$${HOME}/x' } } }));
    expect(p.steps[0]!.args).toEqual(['${HOME}/x']);
  });

  it('checks a default against its pattern after substitution', () => {
    const dir = tempDir();
    const p = load(dir, plan(echo('${OUT}'), { vars: { OUT: { default: '${PLAN_DIR}/out', pattern: '^/' } } }));
    expect(p.steps[0]!.args).toEqual([`${dir}/out`]);
  });

  it('reports defaults that refer to each other in a cycle, at a default of the cycle', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan(echo('${A}'), { vars: { A: { default: 'a-${B}' }, B: { default: 'b-${A}' } } }));
    expect(problemsOf(dir, text)).toEqual([
      expect.objectContaining({
        file: 'plan.json',
        pointer: '/vars/B/default',
        ...positionOf(text, '"b-${A}"'),
        message: 'the defaults of variables A -> B -> A refer to each other in a cycle',
      }),
    ]);
  });

  it('reports an unknown variable in a default at that default', () => {
    const dir = tempDir();
    const text = writeJson(dir, 'x.json', plan(echo('${A}'), { vars: { A: { default: '${NOPE}/x' } } }));
    expect(problemsOf(dir, text)).toEqual([
      expect.objectContaining({ pointer: '/vars/A/default', ...positionOf(text, '"${NOPE}/x"'), message: 'unknown variable ${NOPE} in the default of "A"' }),
    ]);
  });
});

describe('vars file problems', () => {
  it('reports a missing vars file', () => {
    const dir = tempDir();
    const problems = problemsOf(dir, plan(echo(), { vars: { A: { required: true } } }), { varsFile: 'missing.json' });
    expect(problems).toEqual([{ file: 'missing.json', pointer: '', message: `vars file not found: ${path.join(dir, 'missing.json')}` }]);
  });

  it('reports a vars file that is not JSON with line and column', () => {
    const dir = tempDir();
    writeJson(dir, 'vars.json', '{\n  "A": "x",\n}\n');
    const problems = problemsOf(dir, plan(echo(), { vars: { A: {} } }), { varsFile: 'vars.json' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'vars.json', pointer: '', line: 3, column: 1 });
    expect(problems[0]!.message).toMatch(/^invalid JSON: /);
  });

  it('reports a vars file that is not an object', () => {
    const dir = tempDir();
    writeJson(dir, 'vars.json', ['A']);
    const problems = problemsOf(dir, plan(echo(), { vars: { A: {} } }), { varsFile: 'vars.json' });
    expect(problems).toEqual([
      expect.objectContaining({ file: 'vars.json', pointer: '', message: 'a vars file must be a JSON object mapping variable names to string values, got an array' }),
    ]);
  });

  it('reports a vars file value that is not a string', () => {
    const dir = tempDir();
    const varsText = writeJson(dir, 'vars.json', { A: 5 });
    const problems = problemsOf(dir, plan(echo(), { vars: { A: {} } }), { varsFile: 'vars.json' });
    expect(problems).toEqual([
      expect.objectContaining({ file: 'vars.json', pointer: '/A', ...positionOf(varsText, '5'), message: 'value of "A" must be a string, got 5' }),
    ]);
  });

  it('reports undeclared keys in the vars file at the key', () => {
    const dir = tempDir();
    const varsText = writeJson(dir, 'vars.json', { A: 'a', EXTRA: 'e' });
    const problems = problemsOf(dir, plan(echo(), { vars: { A: {} } }), { varsFile: 'vars.json' });
    expect(problems).toEqual([
      expect.objectContaining({
        file: 'vars.json',
        pointer: '/EXTRA',
        ...positionOf(varsText, '"EXTRA"'),
        message: 'variable "EXTRA" is not declared in the plan\'s "vars" (declared: A)',
      }),
    ]);
  });

  it('reports command-line, plan and vars-file problems together, in that order', () => {
    const dir = tempDir();
    writeJson(dir, 'vars.json', { EXTRA: 'e' });
    const problems = problemsOf(dir, plan(echo('${NOPE}'), { vars: { A: { required: true } } }), { varArgs: ['bad'], varsFile: 'vars.json' });
    expect(problems.map((p) => p.file)).toEqual(['<command line>', 'plan.json', 'plan.json', 'vars.json']);
  });
});
