import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile } from '../helpers/cli.js';

/** Workspaces of this file's tests, removed after them. */
const workspace = workspacesForThisFile();

const diamond = plan([
  { id: 'a', command: 'sh', args: ['-c', 'echo a >> ran.txt'] },
  { id: 'b', command: 'sh', args: ['-c', 'echo b >> ran.txt'], depends_on: ['a'] },
  { id: 'c', command: 'sh', args: ['-c', 'echo c >> ran.txt'], depends_on: ['a'] },
  { id: 'd', command: 'sh', args: ['-c', 'echo d >> ran.txt'], depends_on: ['b', 'c'] },
  { id: 'x', command: 'sh', args: ['-c', 'echo x >> ran.txt'] },
]);

describe('engine run --dry-run', () => {
  it('prints the steps as levels that can run together, with their commands', async () => {
    const ws = workspace();
    const r = await ws.engine(['run', ws.writePlan(diamond), '--dry-run']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('5 steps in 3 levels');
    expect(r.stdout).toMatch(/^level 1: a, x$/m);
    expect(r.stdout).toMatch(/^level 2: b, c$/m);
    expect(r.stdout).toMatch(/^level 3: d$/m);
    expect(r.stdout).toContain("  d: sh -c 'echo d >> ran.txt'");
  });

  it('runs nothing and writes no state', async () => {
    const ws = workspace();
    await ws.engine(['run', ws.writePlan(diamond), '--dry-run']);
    expect(existsSync(join(ws.dir, 'ran.txt'))).toBe(false);
    expect(existsSync(ws.stateDir)).toBe(false);
  });

  it('masks secret values in the commands it prints', async () => {
    const ws = workspace();
    const p = ws.writePlan(plan([{ id: 'a', command: 'echo', args: ['${TOKEN}'] }], { vars: { TOKEN: { secret: true } } }));
    const r = await ws.engine(['run', p, '--dry-run', '--var', 'TOKEN=hunter2']);
    expect(r.stdout).toContain('a: echo ***');
    expect(r.all).not.toContain('hunter2');
  });
});

describe('engine run --target', () => {
  it('runs exactly the targets and what they depend on', async () => {
    const ws = workspace();
    const r = await ws.engine(['run', ws.writePlan(diamond), '--target', 'b']);
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['a', 'b']);
  });

  it('accepts several targets, comma-separated or repeated', async () => {
    const ws = workspace();
    await ws.engine(['run', ws.writePlan(diamond), '--target', 'b,x', '--target', 'c']);
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['a', 'b', 'c', 'x']);
  });

  it('rejects an unknown target with exit 2, naming it, and runs nothing', async () => {
    const ws = workspace();
    const r = await ws.engine(['run', ws.writePlan(diamond), '--target', 'nope']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--target: no step "nope"');
    expect(existsSync(join(ws.dir, 'ran.txt'))).toBe(false);
  });
});
