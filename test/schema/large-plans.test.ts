import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/schema/load-plan.js';
import { options, writeJson } from '../helpers/plan-files.js';
import { tempDir } from '../helpers/temp-dirs.js';

/** Writes a plan one step per line (as a generator would) and returns its size in bytes. */
function writeSteps(dir: string, steps: object[]): number {
  const text = `{"plan_id": "big", "version": "1", "vars": {"LABEL": {"default": "x"}}, "steps": [\n${steps.map((s) => `  ${JSON.stringify(s)}`).join(',\n')}\n]}\n`;
  writeJson(dir, 'plan.json', text);
  return Buffer.byteLength(text);
}

describe('large plans', () => {
  it('loads a 10,000-step chain', () => {
    const dir = tempDir();
    const n = 10_000;
    writeSteps(
      dir,
      Array.from({ length: n }, (_, i) => ({ id: `s${i}`, command: 'true', depends_on: i === 0 ? [] : [`s${i - 1}`] })),
    );
    const p = loadPlan(options(dir));
    expect(p.order).toHaveLength(n);
    expect(p.order[n - 1]).toBe(n - 1);
    expect(p.steps[n - 1]!.dependsOn).toEqual([n - 2]);
  });

  it('reports the cycle of a 10,000-step ring', () => {
    const dir = tempDir();
    const n = 10_000;
    writeSteps(
      dir,
      Array.from({ length: n }, (_, i) => ({ id: `s${i}`, command: 'true', depends_on: [`s${(i + n - 1) % n}`] })),
    );
    let message = '';
    try {
      loadPlan(options(dir));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('dependency cycle: s0 -> s9999 -> s9998 -> ');
    expect(message).toContain(' -> ... (9981 more) -> s4 -> s3 -> s2 -> s1 -> s0 (each step depends on the next)');
    expect(message.length).toBeLessThan(500);
  });

  it('loads a 100,000-step layered plan', () => {
    const dir = tempDir();
    const n = 100_000;
    const width = 316;
    const steps = Array.from({ length: n }, (_, i) => {
      const layer = Math.floor(i / width);
      const deps = new Set<string>();
      if (layer > 0) for (let k = 0; k < 3; k++) deps.add(`step_${(layer - 1) * width + (((i % width) * 7 + k * 13) % width)}`);
      return { id: `step_${i}`, command: 'echo', args: ['${LABEL}', `${i}`], depends_on: [...deps], timeout_sec: 30 };
    });
    const bytes = writeSteps(dir, steps);
    const t0 = performance.now();
    const p = loadPlan(options(dir));
    const ms = performance.now() - t0;
    console.log(`100,000-step layered plan (${(bytes / 1e6).toFixed(1)} MB) loaded in ${ms.toFixed(0)} ms`);
    expect(p.steps).toHaveLength(n);
    expect(p.order).toHaveLength(n);
    expect(p.steps[n - 1]!.args).toEqual(['x', `${n - 1}`]);
    const position = new Int32Array(n);
    p.order.forEach((s, k) => (position[s] = k));
    expect(p.steps.every((s) => s.dependsOn.every((d) => position[d]! < position[s.index]!))).toBe(true);
    expect(ms).toBeLessThan(10_000);
  });
});
