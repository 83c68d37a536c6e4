/**
 * Smoke test of the benchmark suite: `node bench/run.mjs --quick` (tiny sizes, one run each)
 * must finish, exit 0 and write a Markdown report with a row for every case. dist/ is built by
 * `npm test` before vitest starts. The numbers themselves are not checked: they mean nothing at
 * these sizes. Also checks the DAG generator's shapes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { generate, makefileText, ninjaText, planText, sinks, SHAPES } from '../../bench/gen.mjs';
import { tempDirForFile } from '../helpers/temp-dirs.js';

interface Graph {
  shape: string;
  n: number;
  steps: { id: string; deps: number[] }[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = tempDirForFile('engine-bench-smoke-');

describe('bench/run.mjs --quick', () => {
  it('exits 0 and writes a report with every case', { timeout: 120_000 }, async () => {
    const out = join(dir, 'BENCHMARKS.md');
    const r = await execa('node', ['bench/run.mjs', '--quick', '--out', out], { cwd: ROOT, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    const md = readFileSync(out, 'utf8');
    const rows = md.split('\n').filter((l) => l.startsWith('| `'));
    /** The cells of the rows whose first cell is `id`. */
    const cells = (id: string) =>
      rows.filter((l) => l.startsWith(`| \`${id}\` |`)).map((l) => l.slice(1, -1).split(' | ').map((c) => c.trim()));

    for (const h of ['# Benchmarks', '## Machine', '## Targets', '## engine vs make vs ninja', '### Generator check', '## Scheduling latency', '## Start-up', '## Scale', '## Large step output', '## Launcher: posix_spawn vs child_process', '## Spawning: child_process vs posix_spawn vs execa']) {
      expect(md, h).toContain(`${h}\n`);
    }
    expect(md).toContain('npm run bench');
    expect(md).not.toContain('## Problems');

    for (const shape of SHAPES as string[]) {
      const [check] = cells(`check-${shape}`);
      expect(check, `check-${shape}`).toBeDefined();
      // engine, make, ninja: every step ran once, in order (n/a when the tool is not installed).
      expect(check![3]).toMatch(/ran, order ok$/);
      for (const c of check!.slice(4)) expect(c).toMatch(/ran, order ok$|^n\/a$/);
      for (const cmd of ['true', 'sleep']) {
        const found = cells(`${shape}-${cmd}`);
        expect(found, `${shape}-${cmd}`).toHaveLength(1);
        expect(found[0]).toHaveLength(12);
        expect(found[0]![2]).toMatch(/\d ms|\d s/);
      }
    }
    for (const id of ['latency-chain', 'latency-unqueued']) {
      expect(cells(id), id).toHaveLength(1);
      expect(cells(id)[0]![3]).toMatch(/ms$/);
    }
    for (const id of ['startup-node', 'startup-version', 'startup-validate-demo', 'startup-validate-safe_merge']) {
      expect(cells(id), id).toHaveLength(1);
    }
    expect(cells('scale-validate')).toHaveLength(2);
    expect(cells('scale-dry-run')).toHaveLength(2);
    for (const id of ['scale-chain', 'scale-layered', 'big-output']) expect(cells(id), id).toHaveLength(1);

    // Machine table: the launcher the engine picks here.
    expect(md).toMatch(/^\| launcher \| (posix_spawn|child_process) \(`ENGINE_SPAWN[^|]*\) \|$|^\| launcher \| unknown \|$/m);

    // Launcher section: the timed row, or the one-line note saying why it was skipped.
    const launcherRows = cells('launcher-true');
    if (launcherRows.length === 0) {
      expect(md).toMatch(/^> `launcher-true` skipped: .+$/m);
    } else {
      expect(launcherRows).toHaveLength(1);
      expect(launcherRows[0]).toHaveLength(9);
      expect(launcherRows[0]![1]).toBe(cells('layered-true')[0]![1]); // the same N as layered-true
      for (const i of [2, 5]) expect(launcherRows[0]![i]).toMatch(/\d ms$|\d s$/);
      expect(launcherRows[0]![8]).toMatch(/×$/);
    }

    // Spawning: child_process.spawn, execa and posix_spawn, then the ballast rows; posix_spawn
    // is one row saying why when the addon is not built or not available.
    const spawnRows = cells('spawn-cost');
    const method = (re: RegExp) => spawnRows.filter((c) => re.test(c[1]!));
    expect(method(/^`child_process.spawn`$/)).toHaveLength(1);
    expect(method(/^`execa` 9$/)).toHaveLength(1);
    expect(method(/^`child_process.spawn`, from a process holding \d+ MB more$/)).toHaveLength(1);
    const posix = method(/^`posix_spawn`/);
    if (posix.some((c) => /^not (built|available): /.test(c[2]!))) {
      expect(posix).toHaveLength(1);
      expect(spawnRows).toHaveLength(4);
    } else {
      expect(posix).toHaveLength(2); // without and with ballast
      for (const c of posix) expect(c[2]).toMatch(/^\d+\.\d\d$/);
      expect(spawnRows).toHaveLength(5);
    }
  });
});

describe('bench/gen.mjs', () => {
  const n = 100;
  const graphs: Graph[] = (SHAPES as string[]).map((s) => generate(s, n));

  it('makes N steps whose dependencies come earlier', () => {
    for (const g of graphs) {
      expect(g.steps).toHaveLength(n);
      g.steps.forEach((s, i) => {
        expect(s.id).toBe(`s${i}`);
        for (const d of s.deps) expect(d).toBeLessThan(i);
        expect(new Set(s.deps).size).toBe(s.deps.length);
      });
    }
  });

  it('builds each shape as described', () => {
    const [chain, wide, layered, diamond] = graphs as [Graph, Graph, Graph, Graph];
    expect(chain.steps.slice(1).every((s, i) => s.deps.length === 1 && s.deps[0] === i)).toBe(true);
    expect(wide.steps[n - 1]!.deps).toHaveLength(n - 2);
    expect(wide.steps.slice(1, -1).every((s) => s.deps.length === 1 && s.deps[0] === 0)).toBe(true);
    // Layers of 10: the first has no dependencies, the others 1-3 in the previous layer.
    layered.steps.forEach((s, i) => {
      const layer = Math.floor(i / 10);
      if (layer === 0) expect(s.deps).toEqual([]);
      else {
        expect(s.deps.length).toBeGreaterThanOrEqual(1);
        expect(s.deps.length).toBeLessThanOrEqual(3);
        for (const d of s.deps) expect(Math.floor(d / 10)).toBe(layer - 1);
      }
    });
    expect(generate('layered', n)).toEqual(layered); // seeded: the same every time
    // Diamond: s0, then 8 steps on the last join and a join on those 8, repeated.
    expect(diamond.steps[9]!.deps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(diamond.steps[10]!.deps).toEqual([9]);
    expect(Math.max(...diamond.steps.map((s) => s.deps.length))).toBe(8);
    expect(sinks(diamond)).toEqual([n - 1]);
  });

  it('writes the same DAG as a plan, a Makefile and a build.ninja', () => {
    const g = graphs[2]!;
    const cmd = { argv: ['sleep', '0.02'] };
    const plan = JSON.parse(planText(g, cmd, { jobs: 2 }));
    expect(plan.globals.max_concurrency).toBe(2);
    expect(plan.steps[50]).toEqual({ id: 's50', command: 'sleep', args: ['0.02'], depends_on: g.steps[50]!.deps.map((d) => `s${d}`) });
    const deps50 = g.steps[50]!.deps.map((d) => `s${d}`).join(' ');
    expect(makefileText(g, cmd)).toContain(`.PHONY: s50\ns50: ${deps50}\n\t@sleep 0.02\n`);
    const ninja = ninjaText(g, cmd);
    expect(ninja).toContain('rule cmd\n  command = sleep 0.02\n');
    expect(ninja).toContain(`build s50: cmd | ${deps50}\n`);
    expect(ninja).toContain('default all\n');
  });
});
