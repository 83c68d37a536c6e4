/**
 * The conventions CLI users expect (issue 15): shell completion, `version`/`-v`, `--json` on
 * every command that prints data, variables from `ENGINE_VAR_NAME` and `.env` files,
 * `validate`/`graph` of a plan whose required variables are unset, "did you mean", and
 * `1 step`, `1 level`.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, engineIn, engineQ, plan, runPlanFile, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { readLog } from '../helpers/record.js';

const workspaces = workspacesForThisFile('engine-conventions-');

describe('engine completion', () => {
  let w: Workspace;
  let bin: string;

  beforeAll(async () => {
    w = workspaces();
    // `engine` on PATH, as `npm link` puts it there.
    bin = join(w.dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'engine'), `#!/bin/sh\nexec node ${JSON.stringify(CLI)} "$@"\n`);
    chmodSync(join(bin, 'engine'), 0o755);
    w.writePlan(plan([{ id: 'a', command: 'true' }]), 'build.json');
    await runPlanFile(w, 'build.json');
  });

  /** COMPREPLY after completing `words` (the last one is being typed) in bash with the script loaded. */
  async function complete(words: string[]): Promise<string[]> {
    const script = [
      'source <(engine completion bash)',
      `COMP_WORDS=(${words.map((x) => `'${x}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      '_engine',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = await execa('bash', ['-c', script], { cwd: w.dir, env: { PATH: `${bin}:${process.env.PATH}` }, reject: false });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }

  it('loads in bash and completes commands, flags and their values', async () => {
    expect(await complete(['engine', 'pr'])).toEqual(['prune']);
    expect(await complete(['engine', 'run', '--out'])).toEqual(['--output']);
    expect(await complete(['engine', 'run', '--output', ''])).toEqual(['none', 'prefixed', 'grouped', 'failed']);
    expect(await complete(['engine', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('completes plan files and run ids from runs.db', async () => {
    expect(await complete(['engine', 'validate', 'bu'])).toEqual(['build.json']);
    const ids = await complete(['engine', 'show', '--state-dir', w.stateDir, '']);
    expect(ids.slice(0, 2)).toEqual(['last', 'last-failed']);
    expect(ids).toHaveLength(3);
    expect(ids[2]).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
  });

  it('prints zsh and fish scripts', async () => {
    const zsh = await engineIn(w.dir, ['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef engine\n/);
    const fish = await engineIn(w.dir, ['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c engine -n __fish_use_subcommand -a prune");
    expect(fish.stdout).toContain('-l output -x -a');
  });
});

describe('version', () => {
  it('engine version, -v, -V and --version print the version', async () => {
    const w = workspaces();
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };
    for (const args of [['version'], ['-v'], ['-V'], ['--version']]) {
      const r = await engineIn(w.dir, args);
      expect([r.exitCode, r.stdout], args.join(' ')).toEqual([0, version]);
    }
  });
});

describe('--json on every command that prints data', () => {
  it('validate --json: the plan, or its problems with file, line, column, pointer and message', async () => {
    const w = workspaces();
    w.writePlan(plan([{ id: 'a', command: 'true' }]), 'good.json');
    const good = await engineQ(w, ['validate', 'good.json', '--json']);
    expect(good.exitCode).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({ valid: true, plan_id: 'test', version: '1', steps: 1, unset_variables: [], problems: [] });
    w.writePlan('{\n  "plan_id": "p",\n  "version": "1",\n  "steps": [{ "id": "a", "command": "true", "depend_on": [] }]\n}\n', 'bad.json');
    const bad = await engineQ(w, ['validate', 'bad.json', '--json']);
    expect(bad.exitCode).toBe(2);
    const report = JSON.parse(bad.stdout) as { valid: boolean; problems: Record<string, unknown>[] };
    expect(report.valid).toBe(false);
    expect(report.problems).toEqual([
      expect.objectContaining({ file: 'bad.json', line: 4, column: 45, pointer: '/steps/0/depend_on', message: expect.stringMatching(/^unknown property "depend_on"; did you mean "depends_on"\?/) }),
    ]);
    expect(bad.stderr).toContain('did you mean "depends_on"?');
  });

  it('run --dry-run --json: the levels with each step\'s resolved command and policy', async () => {
    const w = workspaces();
    const p = w.writePlan(
      plan(
        [
          { id: 'a', command: 'echo', args: ['${WHO}'], retries: 2, timeout_sec: 5 },
          { id: 'b', shell: true, command: 'echo b', depends_on: ['a'], critical: false },
        ],
        { vars: { WHO: { default: 'world' } } },
      ),
    );
    const r = await engineQ(w, ['run', p, '--dry-run', '--json']);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as { levels: { level: number; steps: { id: string; command: string; args: string[]; policy: Record<string, unknown> }[] }[] };
    expect(out.levels.map((l) => l.steps.map((s) => s.id))).toEqual([['a'], ['b']]);
    expect(out.levels[0]!.steps[0]).toMatchObject({ command: 'echo', args: ['world'], policy: { retries: 2, timeout_sec: 5, critical: true, on_failure: 'abort' } });
    expect(out.levels[1]!.steps[0]).toMatchObject({ command: '/bin/sh', args: ['-c', 'echo b'], script: 'echo b', policy: { critical: false } });
  });

  it('graph --format json includes each step\'s args; runs, show and prune --json parse', async () => {
    const w = workspaces();
    const p = w.writePlan(plan([{ id: 'a', command: 'echo', args: ['x', 'y z'] }]));
    const graph = JSON.parse((await engineQ(w, ['graph', p, '--format', 'json'])).stdout) as { steps: { args: string[] }[] };
    expect(graph.steps[0]!.args).toEqual(['x', 'y z']);
    await runPlanFile(w, p);
    for (const args of [['runs', '--json'], ['show', 'last', '--json'], ['prune', '--keep', '5', '--dry-run', '--json']]) {
      const r = await engineQ(w, args);
      expect(r.exitCode, args.join(' ')).toBe(0);
      expect(() => JSON.parse(r.stdout), args.join(' ')).not.toThrow();
    }
  });
});

describe('variables from the environment and .env files', () => {
  // The values reach the shell through the environment, never parsed by it.
  const VARS_PLAN = plan([{ id: 'show', shell: true, command: 'printf "%s|%s|%s\\n" "$VA" "$VB" "$VC"', env: { VA: '${A}', VB: '${B}', VC: '${C}' } }], {
    vars: { A: { required: true }, B: { default: 'b-default' }, C: { default: 'c-default' } },
  });

  it('takes ENGINE_VAR_NAME below --var and --vars-file, above the default', async () => {
    const w = workspaces();
    const p = w.writePlan(VARS_PLAN);
    writeFileSync(join(w.dir, 'vars.json'), JSON.stringify({ B: 'b-file' }));
    const r = await w.engine(['run', p, '--vars-file', 'vars.json', '--var', 'C=c-cli'], {
      env: { ENGINE_VAR_A: 'a-env', ENGINE_VAR_B: 'b-env', ENGINE_VAR_C: 'c-env', ENGINE_VAR_UNDECLARED: 'ignored' },
    });
    expect(r.exitCode, r.all).toBe(0);
    expect(readLog(w.stateDir, 'show')).toBe('a-env|b-file|c-cli\n');
  });

  it('reads a vars file in .env syntax: comments, export, quotes and escapes', async () => {
    const w = workspaces();
    const p = w.writePlan(VARS_PLAN);
    writeFileSync(
      join(w.dir, '.env'),
      ['# settings', 'export A=plain value  # a comment', "B='single # kept ${X}'", 'C="double\\tquoted \\"x\\""', ''].join('\n'),
    );
    const r = await w.engine(['run', p, '--vars-file', '.env']);
    expect(r.exitCode, r.all).toBe(0);
    expect(readLog(w.stateDir, 'show')).toBe('plain value|single # kept ${X}|double\tquoted "x"\n');
  });

  it('reads .env from a pipe, and reports its syntax errors with line and column', async () => {
    const w = workspaces();
    const p = w.writePlan(VARS_PLAN);
    const piped = await execa('node', [CLI, 'run', p, '--vars-file', '/dev/stdin', '--state-dir', w.stateDir], {
      cwd: w.dir,
      input: 'A=from-pipe\n',
      reject: false,
    });
    expect(piped.exitCode, piped.all).toBe(0);
    expect(readLog(w.stateDir, 'show')).toBe('from-pipe|b-default|c-default\n');
    writeFileSync(join(w.dir, 'bad.env'), 'A=1\nthis is not an assignment\nB="open\n');
    const bad = await engineQ(w, ['validate', p, '--vars-file', 'bad.env']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/bad\.env:2:\d+: invalid \.env line/);
    expect(bad.stderr).toMatch(/bad\.env:3:3: unterminated double-quoted value of B/);
  });
});

describe('a plan whose required variables have no value', () => {
  const NEEDS = plan([{ id: 'deploy', command: 'echo', args: ['${TARGET}', '${TOKEN}'] }], {
    vars: { TARGET: { required: true }, TOKEN: { required: true, secret: true } },
  });

  it('validate and graph report everything else and note the unset variables, exit 0; run refuses', async () => {
    const w = workspaces();
    const p = w.writePlan(NEEDS);
    const v = await engineQ(w, ['validate', p]);
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toContain('valid plan test 1 (1 step)');
    expect(v.stdout).toContain('note: required variables without a value');
    expect(v.stdout).toContain('TARGET, TOKEN');
    const json = JSON.parse((await engineQ(w, ['validate', p, '--json'])).stdout) as { unset_variables: string[] };
    expect(json.unset_variables).toEqual(['TARGET', 'TOKEN']);
    const g = await engineQ(w, ['graph', p, '--format', 'json']);
    expect(g.exitCode).toBe(0);
    expect(g.stderr).toContain('TARGET, TOKEN');
    expect((JSON.parse(g.stdout) as { steps: { args: string[] }[] }).steps[0]!.args).toEqual(['${TARGET}', '${TOKEN}']);
    const run = await w.engine(['run', p]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('required variable "TARGET" has no value');
  });

  it('validate still reports the other problems', async () => {
    const w = workspaces();
    const p = w.writePlan({ ...NEEDS, steps: [{ id: 'deploy', command: 'echo', depends_on: ['deplyo'] }] });
    const v = await engineQ(w, ['validate', p]);
    expect(v.exitCode).toBe(2);
    expect(v.stderr).toContain('depends on unknown step "deplyo" (did you mean "deploy"?)');
    expect(v.stderr).not.toContain('required variable');
  });
});

describe('wording', () => {
  it('says 1 step and 1 level', async () => {
    const w = workspaces();
    const p = w.writePlan(plan([{ id: 'only', command: 'true' }]));
    expect((await engineQ(w, ['validate', p])).stdout).toContain('(1 step)');
    expect((await engineQ(w, ['run', p, '--dry-run'])).stdout).toContain('1 step in 1 level,');
    expect((await w.engine(['run', p])).stdout).toContain('plan test 1: 1 step, max concurrency');
  });
});
