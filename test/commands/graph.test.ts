/**
 * `engine graph PLAN`: the DAG as Mermaid, DOT or JSON with each step's policy and trigger
 * rule, checked structurally (and by Graphviz's `dot` when it is installed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { engineQ, plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';

const newWorkspace = workspacesForThisFile();

const HAS_DOT = spawnSync('dot', ['-V'], { stdio: 'ignore' }).status === 0;

/** Ids with `.` and `-`, Mermaid/DOT keywords as ids, a name that needs escaping. */
const STEPS = [
  { id: 'publish-docs', command: 'true', depends_on: ['build.docs', 'end'], trigger_rule: 'all_done' },
  { id: 'build.docs', name: 'Build "docs" <html> & #1', command: 'make', args: ['docs'], critical: false, on_failure: 'continue' },
  { id: 'end', command: 'echo', args: ['${TOKEN}'], depends_on: ['graph'] },
  { id: 'graph', shell: true, command: 'echo ${WHO} ${TOKEN}', on_failure: 'skip_dependents' },
  { id: 'a_b', command: 'true', depends_on: ['graph', 'build.docs'], trigger_rule: 'one_failed' },
];
const VARS = { WHO: { default: 'world' }, TOKEN: { default: 's3cret-value', secret: true } };

/** In topological order (ties in file order). */
const EXPECTED_STEPS = [
  {
    id: 'build.docs',
    name: 'Build "docs" <html> & #1',
    depends_on: [],
    trigger_rule: 'all_success',
    on_failure: 'continue',
    critical: false,
    command: 'make',
    args: ['docs'],
  },
  { id: 'graph', name: 'graph', depends_on: [], trigger_rule: 'all_success', on_failure: 'skip_dependents', critical: true, command: 'echo world ***', args: [] },
  { id: 'end', name: 'end', depends_on: ['graph'], trigger_rule: 'all_success', on_failure: 'abort', critical: true, command: 'echo', args: ['***'] },
  {
    id: 'publish-docs',
    name: 'publish-docs',
    depends_on: ['build.docs', 'end'],
    trigger_rule: 'all_done',
    on_failure: 'abort',
    critical: true,
    command: 'true',
    args: [],
  },
  { id: 'a_b', name: 'a_b', depends_on: ['graph', 'build.docs'], trigger_rule: 'one_failed', on_failure: 'abort', critical: true, command: 'true', args: [] },
];
const EDGES = EXPECTED_STEPS.flatMap((s) => s.depends_on.map((d) => `${d} -> ${s.id}`)).sort();

/** The label lines a step's node must carry. */
function policyLines(s: (typeof EXPECTED_STEPS)[number]): string[] {
  return [`on_failure: ${s.on_failure}, ${s.critical ? 'critical' : 'not critical'}`, `trigger: ${s.trigger_rule}`];
}

describe('engine graph', () => {
  let ws: Workspace;

  beforeAll(() => {
    ws = newWorkspace('engine-graph-');
    ws.writePlan(plan(STEPS, { plan_id: 'docs', version: '7', vars: VARS }));
  });

  it('prints JSON with the steps in topological order and their policies', async () => {
    const r = await engineQ(ws, ['graph', 'plan.json', '--format', 'json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ plan_id: 'docs', version: '7', steps: EXPECTED_STEPS });
  });

  it('substitutes --var values in commands and masks secret ones', async () => {
    const r = await engineQ(ws, ['graph', 'plan.json', '--format', 'json', '--var', 'WHO=you', '--var', 'TOKEN=other-secret']);
    const steps = (JSON.parse(r.stdout) as { steps: { id: string; command: string }[] }).steps;
    expect(steps.find((s) => s.id === 'graph')!.command).toBe('echo you ***');
    expect(r.stdout).not.toContain('other-secret');
  });

  it('prints a Mermaid flowchart by default with every step as a node and every edge', async () => {
    const r = await engineQ(ws, ['graph', 'plan.json']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('flowchart TD');
    const nodes = new Map<string, string[]>(); // mermaid id -> label lines
    const edges: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const node = /^ {2}([A-Za-z0-9_]+)\["([^"]*)"\]$/.exec(line);
      const edge = /^ {2}([A-Za-z0-9_]+) --> ([A-Za-z0-9_]+)$/.exec(line);
      if (node) nodes.set(node[1]!, node[2]!.split('<br/>'));
      else if (edge) edges.push([edge[1]!, edge[2]!]);
      else expect(line, 'a comment, a class definition or a class assignment').toMatch(/^ {2}(%%|classDef |class )/);
    }
    // Mermaid ids are distinct, safe words; the label's first line starts with the step id.
    const stepOf = new Map([...nodes].map(([mid, label]) => [mid, label[0]!.split(':')[0]!]));
    expect([...stepOf.values()].sort()).toEqual(EXPECTED_STEPS.map((s) => s.id).sort());
    for (const mid of nodes.keys()) expect(mid).not.toMatch(/^(end|graph|subgraph)$/);
    expect(edges.map(([a, b]) => `${stepOf.get(a)} -> ${stepOf.get(b)}`).sort()).toEqual(EDGES);
    for (const s of EXPECTED_STEPS) {
      const label = nodes.get([...stepOf].find(([, id]) => id === s.id)![0])!;
      expect(label.slice(1)).toEqual(policyLines(s));
    }
  });

  it('escapes quotes and markup in Mermaid labels', async () => {
    const r = await engineQ(ws, ['graph', 'plan.json', '--format', 'mermaid']);
    expect(r.stdout).toContain('build.docs: Build #34;docs#34; #60;html#62; #38; #35;1<br/>');
  });

  it('prints a DOT digraph with balanced braces, every step as a node and every edge', async () => {
    const r = await engineQ(ws, ['graph', 'plan.json', '--format', 'dot']);
    expect(r.exitCode).toBe(0);
    const text = r.stdout;
    expect(text).toMatch(/^digraph "docs" \{\n/);
    expect(text.trimEnd().endsWith('}')).toBe(true);
    // Braces balance outside quoted strings.
    const unquoted = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    expect(unquoted.split('{').length).toBe(unquoted.split('}').length);
    const edges = [...text.matchAll(/^ {2}"([^"]+)" -> "([^"]+)";$/gm)].map((m) => `${m[1]} -> ${m[2]}`);
    expect(edges.sort()).toEqual(EDGES);
    for (const s of EXPECTED_STEPS) {
      const node = new RegExp(`^ {2}"${s.id.replace(/\./g, '\\.')}" \\[label="(.*)"(, style=dashed)?\\];$`, 'm').exec(text);
      expect(node, `node ${s.id}`).not.toBeNull();
      expect(node![1]!.split('\\n').slice(-2)).toEqual(policyLines(s));
      expect(node![2] !== undefined).toBe(!s.critical);
    }
    expect(text).toContain('"build.docs" [label="build.docs: Build \\"docs\\" <html> & #1\\n');
  });

  it.skipIf(!HAS_DOT)('prints DOT that Graphviz parses into the same nodes and edges', async () => {
    const r = await engineQ(ws, ['graph', 'plan.json', '--format', 'dot']);
    const out = JSON.parse(execFileSync('dot', ['-Tjson'], { input: r.stdout, encoding: 'utf8' })) as {
      name: string;
      objects: { name: string }[];
      edges: { tail: number; head: number }[];
    };
    expect(out.name).toBe('docs');
    const names = out.objects.map((o) => o.name);
    expect([...names].sort()).toEqual(EXPECTED_STEPS.map((s) => s.id).sort());
    expect(out.edges.map((e) => `${names[e.tail]} -> ${names[e.head]}`).sort()).toEqual(EDGES);
  });

  it('reports an invalid plan exactly as validate does, with exit 2', async () => {
    const bad = newWorkspace('engine-graph-bad-');
    bad.writePlan(plan([{ id: 'a', command: 'true', depends_on: ['b'] }, { id: 'b', command: 'true', depends_on: ['a'], retries: -1 }]));
    const graph = await engineQ(bad, ['graph', 'plan.json', '--format', 'dot']);
    const validate = await engineQ(bad, ['validate', 'plan.json']);
    expect(graph.exitCode).toBe(2);
    expect(validate.exitCode).toBe(2);
    expect(graph.stdout).toBe('');
    expect(graph.stderr).toBe(validate.stderr);
    expect(graph.stderr).toMatch(/^engine: invalid plan \(2 problems\):\n/);
  });

  it('rejects an unknown --format with exit 2', async () => {
    const r = await engineQ(ws, ['graph', 'plan.json', '--format', 'svg']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("argument 'svg' is invalid");
  });
});
