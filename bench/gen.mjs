/**
 * Benchmark DAG generator: builds a graph of a given shape and size, and writes the very same
 * graph as an engine plan, a Makefile and a build.ninja, so the three tools run identical work.
 *
 * Shapes (steps are named s0 … s<N-1>, and every dependency points to a lower index):
 *   chain    s<i> depends on s<i-1>
 *   wide     s0, then s1 … s<N-2> each depending on s0 only, then s<N-1> depending on all of them
 *   layered  layers of round(sqrt(N)) steps; each step depends on 1–3 (seeded PRNG) distinct
 *            steps of the previous layer
 *   diamond  s0, then repeated fan-out/fan-in: 8 steps depending on the last join, then a join
 *            depending on those 8 (the last group is smaller when N-1 is not a multiple of 9)
 *
 * Commands: `{ argv: ['sleep', '0.02'] }` runs the same command for every step; the check mode
 * uses `{ perStep: (id) => ({ argv, line }) }` (argv for the engine, line for make/ninja).
 *
 * Makefile: one phony target per step whose recipe is the command (`@` so make does not echo
 * it; a recipe without shell metacharacters is exec'd by make directly, without /bin/sh), and a
 * phony `all` depending on the sinks. build.ninja: one rule, `build sX: cmd | deps…` with
 * implicit dependencies for the order; the outputs are never created, so ninja runs every edge
 * on every invocation (ninja always runs commands through `/bin/sh -c`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHAPES = ['chain', 'wide', 'layered', 'diamond'];
export const DIAMOND_WIDTH = 8;

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @returns {{ shape: string, n: number, steps: { id: string, deps: number[] }[] }}
 * `deps` are indexes of earlier steps.
 */
export function generate(shape, n, seed = 42) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad step count ${n}`);
  const deps = Array.from({ length: n }, () => []);
  switch (shape) {
    case 'chain':
      for (let i = 1; i < n; i++) deps[i].push(i - 1);
      break;
    case 'wide':
      if (n < 3) throw new Error('wide needs at least 3 steps');
      for (let i = 1; i < n - 1; i++) deps[i].push(0);
      for (let i = 1; i < n - 1; i++) deps[n - 1].push(i);
      break;
    case 'layered': {
      const width = Math.max(1, Math.round(Math.sqrt(n)));
      const rand = prng(seed);
      for (let i = width; i < n; i++) {
        const prevStart = (Math.floor(i / width) - 1) * width;
        const k = 1 + Math.floor(rand() * 3);
        const picked = new Set();
        while (picked.size < Math.min(k, width)) picked.add(prevStart + Math.floor(rand() * width));
        deps[i].push(...[...picked].sort((a, b) => a - b));
      }
      break;
    }
    case 'diamond': {
      let join = 0;
      let i = 1;
      while (i < n) {
        const remaining = n - i;
        const fan = remaining > DIAMOND_WIDTH ? DIAMOND_WIDTH : Math.max(remaining - 1, 1);
        const group = [];
        for (let k = 0; k < fan && i < n; k++, i++) {
          deps[i].push(join);
          group.push(i);
        }
        if (i < n) {
          deps[i].push(...group);
          join = i++;
        }
      }
      break;
    }
    default:
      throw new Error(`unknown shape ${shape} (expected one of ${SHAPES.join(', ')})`);
  }
  return { shape, n, steps: deps.map((d, i) => ({ id: `s${i}`, deps: d })) };
}

/** Indexes of steps nothing depends on. */
export function sinks(graph) {
  const hasDependent = new Uint8Array(graph.n);
  for (const s of graph.steps) for (const d of s.deps) hasDependent[d] = 1;
  const out = [];
  for (let i = 0; i < graph.n; i++) if (!hasDependent[i]) out.push(i);
  return out;
}

/** Number of dependency edges. */
export function edgeCount(graph) {
  return graph.steps.reduce((sum, s) => sum + s.deps.length, 0);
}

/** The command of step `id`: `{ argv, line }` (line = shell text for make and ninja). */
function commandOf(cmd, id) {
  if (cmd.perStep) return cmd.perStep(id);
  return { argv: cmd.argv, line: cmd.argv.join(' ') };
}

/** The plan as JSON text, one step per line. */
export function planText(graph, cmd, { jobs } = {}) {
  const head = { plan_id: `bench-${graph.shape}`, version: '1' };
  if (jobs) head.globals = { max_concurrency: jobs };
  const lines = graph.steps.map((s) => {
    const { argv } = commandOf(cmd, s.id);
    const step = { id: s.id, command: argv[0], args: argv.slice(1) };
    if (s.deps.length > 0) step.depends_on = s.deps.map((d) => graph.steps[d].id);
    return `  ${JSON.stringify(step)}`;
  });
  const headText = JSON.stringify(head).slice(0, -1);
  return `${headText}, "steps": [\n${lines.join(',\n')}\n]}\n`;
}

export function makefileText(graph, cmd) {
  const out = ['# generated by bench/gen.mjs', '.PHONY: all', `all: ${sinks(graph).map((i) => graph.steps[i].id).join(' ')}`];
  for (const s of graph.steps) {
    out.push(`.PHONY: ${s.id}`);
    out.push(`${s.id}:${s.deps.map((d) => ` ${graph.steps[d].id}`).join('')}`);
    out.push(`\t@${commandOf(cmd, s.id).line}`);
  }
  return `${out.join('\n')}\n`;
}

export function ninjaText(graph, cmd) {
  const ninjaEscape = (t) => t.replace(/\$/g, '$$$$');
  const out = ['# generated by bench/gen.mjs', 'rule cmd'];
  out.push(cmd.perStep ? '  command = $line' : `  command = ${ninjaEscape(commandOf(cmd, '').line)}`);
  for (const s of graph.steps) {
    const implicit = s.deps.length > 0 ? ` | ${s.deps.map((d) => graph.steps[d].id).join(' ')}` : '';
    out.push(`build ${s.id}: cmd${implicit}`);
    if (cmd.perStep) out.push(`  line = ${ninjaEscape(commandOf(cmd, s.id).line)}`);
  }
  out.push(`build all: phony ${sinks(graph).map((i) => graph.steps[i].id).join(' ')}`, 'default all');
  return `${out.join('\n')}\n`;
}

/**
 * Writes plan.json, Makefile and build.ninja into `dir`.
 * @returns {{ plan: string, makefile: string, ninja: string }} their paths
 */
export function writeCase(dir, graph, cmd, { jobs } = {}) {
  const paths = { plan: join(dir, 'plan.json'), makefile: join(dir, 'Makefile'), ninja: join(dir, 'build.ninja') };
  writeFileSync(paths.plan, planText(graph, cmd, { jobs }));
  writeFileSync(paths.makefile, makefileText(graph, cmd));
  writeFileSync(paths.ninja, ninjaText(graph, cmd));
  return paths;
}

/** Writes only the plan (for the large scale plans, where make and ninja are not run). */
export function writePlan(path, graph, cmd, opts) {
  writeFileSync(path, planText(graph, cmd, opts));
  return path;
}
