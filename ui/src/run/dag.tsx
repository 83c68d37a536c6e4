/**
 * The run's DAG, laid out by elkjs (graph-layout.ts) once per run: events only recolour the
 * node of their step (each node reads its own step signal). Nodes carry `data-step-id` and
 * `data-status`. A matrix or for_each step is one node, drawn as a stack, with its number of
 * instances and their progress: its instances are not drawn (a 1,000-instance matrix is one
 * node), so a for_each expansion changes no layout. Plans of more than {@link MAX_DRAWN_STEPS}
 * nodes are drawn as levels with their progress; the step table and timeline still list every step.
 */
import { useEffect, useState } from 'preact/hooks';
import { navigate, runHref } from '../router.js';
import { statusClass } from '../status.js';
import { collapseToLevels, layoutGraph, MAX_DRAWN_STEPS, NODE_H_PX, NODE_W_PX, type GraphLayout, type GraphNodeInput, type Levels, type PlacedNode } from './graph-layout.js';
import { groupWord, shownStatus, tallyOf, tallyText, type Tally } from './groups.js';
import type { StepStatus } from '../types.js';
import type { RunStore } from './run-store.js';

/** Longest label drawn in a node, in characters. */
const LABEL_CHARS = 20;

function label(text: string, chars = LABEL_CHARS): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

/** The nodes to draw: every step but the instances of groups, an edge to an instance drawn to its group. */
export function graphNodes(store: RunStore): GraphNodeInput[] {
  const nodeOf = (id: string): string => store.groupOf(id) ?? id;
  const nodes: GraphNodeInput[] = [];
  for (const id of store.order) {
    if (store.groupOf(id) !== null) continue;
    const deps = new Set<string>();
    const add = (stepId: string): void => {
      for (const d of JSON.parse(store.steps.get(stepId)!.peek().depends_on) as string[]) {
        const n = nodeOf(d);
        if (n !== id) deps.add(n);
      }
    };
    add(id);
    // A matrix step depends on its instances, which depend on what the step depends on.
    if (store.isGroup(id)) for (const m of store.groups.get(id) ?? []) add(m);
    nodes.push({ id, dependsOn: [...deps] });
  }
  return nodes;
}

/** Segments of a progress bar, one per status, across `width` px from `x0`. */
function segments(t: Tally, x0: number, y: number, width: number) {
  let x = 0;
  return [...t.counts].map(([s, n]) => {
    const w = (width * n) / Math.max(t.total, 1);
    const seg = <rect key={s} class={`level-seg ${statusClass(s)}`} x={x0 + x} y={y} width={w} height={5} />;
    x += w;
    return seg;
  });
}

function GroupNode({ store, node }: { store: RunStore; node: PlacedNode }) {
  const group = store.steps.get(node.id)!.value;
  store.shape.value;
  const tally = tallyOf(store, node.id);
  const sel = store.selected.value;
  const selected = sel === node.id || (sel !== null && store.groupOf(sel) === node.id);
  const shown = shownStatus(group, tally);
  const text = tallyText(group, tally);
  return (
    <g
      class={`node group ${statusClass(shown)}${selected ? ' selected' : ''}`}
      data-step-id={node.id}
      data-status={group.status}
      data-kind={group.kind}
      data-instances={tally.total}
      aria-selected={selected}
      transform={`translate(${node.x},${node.y})`}
      onClick={() => (store.selected.value = node.id)}
      onDblClick={() => navigate(runHref(group.run_id, node.id))}
    >
      <title>{`${node.id} (${groupWord(group)}, ${tally.total} instances): ${text}${group.detail ? ` (${group.detail})` : ''}`}</title>
      <rect class="stack" x={4} y={-4} width={NODE_W_PX} height={NODE_H_PX} rx={6} />
      <rect width={NODE_W_PX} height={NODE_H_PX} rx={6} />
      <text x={NODE_W_PX / 2} y={14} text-anchor="middle">
        {`${label(node.id, LABEL_CHARS - 6)} ×${tally.total === 0 && group.kind === 'for_each' && group.status === 'pending' ? '?' : tally.total}`}
      </text>
      <text class="group-count" x={NODE_W_PX / 2} y={25} text-anchor="middle">
        {label(text, 26)}
      </text>
      {segments(tally, 6, NODE_H_PX - 7, NODE_W_PX - 12)}
    </g>
  );
}

function StepNode({ store, node }: { store: RunStore; node: PlacedNode }) {
  const step = store.steps.get(node.id)!.value;
  const selected = store.selected.value === node.id;
  return (
    <g
      class={`node ${statusClass(step.status)}${selected ? ' selected' : ''}`}
      data-step-id={node.id}
      data-status={step.status}
      aria-selected={selected}
      transform={`translate(${node.x},${node.y})`}
      onClick={() => (store.selected.value = node.id)}
      onDblClick={() => navigate(runHref(step.run_id, node.id))}
    >
      <title>{`${node.id}: ${step.status}${step.detail ? ` (${step.detail})` : ''}`}</title>
      <rect width={NODE_W_PX} height={NODE_H_PX} rx={6} />
      <text x={NODE_W_PX / 2} y={NODE_H_PX / 2 + 4} text-anchor="middle">
        {label(node.id)}
      </text>
    </g>
  );
}

function LevelNode({ store, node, members }: { store: RunStore; node: PlacedNode; members: string[] }) {
  store.revision.value;
  const counts = new Map<StepStatus, number>();
  for (const id of members) {
    const s = store.steps.get(id)!.value.status;
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  let x = 0;
  return (
    <g class="node level" transform={`translate(${node.x},${node.y})`}>
      <title>{[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}</title>
      <rect width={NODE_W_PX} height={NODE_H_PX} rx={6} />
      <text x={NODE_W_PX / 2} y={14} text-anchor="middle">
        {`${members.length} step${members.length === 1 ? '' : 's'}`}
      </text>
      {[...counts].map(([s, n]) => {
        const w = ((NODE_W_PX - 12) * n) / members.length;
        const seg = <rect key={s} class={`level-seg ${statusClass(s)}`} x={6 + x} y={NODE_H_PX - 12} width={w} height={6} />;
        x += w;
        return seg;
      })}
    </g>
  );
}

export function Dag({ store }: { store: RunStore }) {
  const [layout, setLayout] = useState<{ graph: GraphLayout; levels: Levels | null } | { error: string } | null>(null);
  const runId = store.run.value.run_id;
  useEffect(() => {
    let live = true;
    const steps = graphNodes(store);
    const levels = steps.length > MAX_DRAWN_STEPS ? collapseToLevels(steps) : null;
    layoutGraph(levels ? levels.nodes : steps)
      .then((graph) => live && setLayout({ graph, levels }))
      .catch((e: unknown) => live && setLayout({ error: String(e) }));
    return () => {
      live = false;
    };
  }, [runId]);
  if (layout === null) return <div class="dag muted">laying out the graph…</div>;
  if ('error' in layout) return <div class="dag error">graph layout failed: {layout.error}</div>;
  const { graph, levels } = layout;
  return (
    <div class="dag">
      {levels ? (
        <p class="muted">
          {store.order.length} steps are too many to draw one by one: each box is a level of steps that can run once the level above has, with its progress.
        </p>
      ) : null}
      <svg width={graph.widthPx} height={graph.heightPx} viewBox={`0 0 ${graph.widthPx} ${graph.heightPx}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow" />
          </marker>
        </defs>
        {graph.edges.map((e) => (
          <polyline key={e.id} class="edge" points={e.points.map((p) => p.join(',')).join(' ')} marker-end="url(#arrow)" />
        ))}
        {graph.nodes.map((n) =>
          levels ? (
            <LevelNode key={n.id} store={store} node={n} members={levels.members[Number(n.id.slice('level-'.length))]!} />
          ) : store.isGroup(n.id) ? (
            <GroupNode key={n.id} store={store} node={n} />
          ) : (
            <StepNode key={n.id} store={store} node={n} />
          ),
        )}
      </svg>
    </div>
  );
}
