/**
 * Up-to-date skipping (issue 14) through the built CLI: a step with `sources` is skipped as
 * `up_to_date` (its dependents run as after a success) until a source byte changes, its
 * command changes, a generated file is deleted, or `--force` says otherwise.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { finalStatuses, oneEvent, readEvents } from '../helpers/record.js';

const workspace = workspacesForThisFile('engine-uptodate-');

function buildPlan(command = 'mkdir -p build && cat src/*.c > build/app && echo built >> builds.log'): unknown {
  return plan([
    { id: 'build', command, shell: true, sources: ['src/**/*.c', 'Makefile'], generates: ['build/app'] },
    { id: 'test', command: 'sh', args: ['-c', 'echo tested >> tests.log'], depends_on: ['build'] },
  ]);
}

describe('up-to-date skipping', () => {
  let ws: Workspace;
  let path: string;
  const run = async (...extra: string[]) => {
    const r = await ws.engine(['run', path, ...extra]);
    expect(r.exitCode, r.all).toBe(0);
    return readEvents(ws);
  };
  const builds = () => readFileSync(join(ws.dir, 'builds.log'), 'utf8').trim().split('\n').length;

  beforeAll(async () => {
    ws = workspace();
    mkdirSync(join(ws.dir, 'src', 'lib'), { recursive: true });
    writeFileSync(join(ws.dir, 'src', 'main.c'), 'int main() {}\n');
    writeFileSync(join(ws.dir, 'src', 'lib', 'util.c'), 'int util;\n');
    writeFileSync(join(ws.dir, 'Makefile'), 'all:\n');
    path = ws.writePlan(buildPlan());
    await run();
  });

  it('runs the step the first time, then skips it as up_to_date while its dependents still run', async () => {
    expect(builds()).toBe(1);
    const events = await run();
    expect(oneEvent(events, 'step_skipped', 'build')).toMatchObject({ reason: 'up_to_date' });
    expect(oneEvent(events, 'step_skipped', 'build').detail).toMatch(/^up to date: 3 source files unchanged since run /);
    expect(finalStatuses(events)).toEqual({ build: 'skipped', test: 'succeeded' });
    expect(builds()).toBe(1);
  });

  it('runs it again when a byte of a source changes', async () => {
    appendFileSync(join(ws.dir, 'src', 'lib', 'util.c'), ' ');
    expect(finalStatuses(await run()).build).toBe('succeeded');
    expect(builds()).toBe(2);
    expect(finalStatuses(await run()).build).toBe('skipped');
  });

  it('runs it again when a generated file is deleted', async () => {
    rmSync(join(ws.dir, 'build', 'app'));
    expect(finalStatuses(await run()).build).toBe('succeeded');
    expect(finalStatuses(await run()).build).toBe('skipped');
  });

  it('runs it again with --force, and with --force naming it', async () => {
    expect(finalStatuses(await run('--force')).build).toBe('succeeded');
    expect(finalStatuses(await run('--force', 'build')).build).toBe('succeeded');
    expect(finalStatuses(await run('--force', 'test')).build).toBe('skipped');
  });

  it('runs it again when its command changes', async () => {
    ws.writePlan(buildPlan('mkdir -p build && cat src/*.c > build/app && echo built again >> builds.log'));
    expect(finalStatuses(await run()).build).toBe('succeeded');
    expect(finalStatuses(await run()).build).toBe('skipped');
  });
});

describe('up-to-date steps and outputs (issue 13)', () => {
  it('an up-to-date step hands on the outputs of its last success; one with secret outputs runs again', async () => {
    const ws = workspace();
    writeFileSync(join(ws.dir, 'VERSION'), '7.1.0\n');
    const path = ws.writePlan(
      plan([
        { id: 'version', command: 'echo "v=$(cat VERSION)" >> "$ENGINE_OUTPUT"; echo ran >> version.log', shell: true, sources: ['VERSION'] },
        { id: 'token', command: 'echo "t=tok-$$" >> "$ENGINE_OUTPUT"; echo ran >> token.log', shell: true, sources: ['VERSION'], secret_outputs: ['t'] },
        { id: 'use', depends_on: ['version', 'token'], command: 'sh', args: ['-c', 'echo "${steps.version.outputs.v} ${steps.token.outputs.t}" > used.txt'] },
      ]),
    );
    const runs = (name: string) => readFileSync(join(ws.dir, name), 'utf8').trim().split('\n').length;
    for (let i = 0; i < 2; i++) {
      const r = await ws.engine(['run', path]);
      expect(r.exitCode, r.all).toBe(0);
    }
    const events = readEvents(ws);
    expect(oneEvent(events, 'step_skipped', 'version')).toMatchObject({ reason: 'up_to_date' });
    expect(finalStatuses(events)).toEqual({ version: 'skipped', token: 'succeeded', use: 'succeeded' });
    expect(runs('version.log')).toBe(1);
    expect(runs('token.log')).toBe(2);
    expect(readFileSync(join(ws.dir, 'used.txt'), 'utf8')).toMatch(/^7\.1\.0 tok-\d+\n$/);
  });
});
