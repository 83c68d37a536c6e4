/**
 * Lays out a run's DAG with elkjs (the layered algorithm) in a Web Worker, so a big plan's
 * layout (about 2 s for 1,000 nodes) never blocks the page. A plan too big to read as one
 * drawing is collapsed first ({@link collapseToLevels}).
 */
import ELK, { type ElkNode } from 'elkjs/lib/elk-api.js';

/** Above this many steps, the graph shows levels instead of steps. */
export const MAX_DRAWN_STEPS = 300;

export const NODE_W_PX = 150;
export const NODE_H_PX = 34;

/** A node to draw: a step, or (collapsed) a level of steps. */
export interface GraphNodeInput {
  id: string;
  /** Ids of the nodes it depends on. */
  dependsOn: readonly string[];
}

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
}

export interface PlacedEdge {
  id: string;
  /** Polyline from the dependency to the dependent, in px. */
  points: [number, number][];
}

export interface GraphLayout {
  widthPx: number;
  heightPx: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

let elk: InstanceType<typeof ELK> | null = null;

/** Places `nodes` top-down (dependencies above their dependents). */
export async function layoutGraph(nodes: readonly GraphNodeInput[]): Promise<GraphLayout> {
  elk ??= new ELK({ workerUrl: '/assets/elk-worker.js' });
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.nodeNode': '18',
      'elk.edgeRouting': 'POLYLINE',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    },
    children: nodes.map((n) => ({ id: n.id, width: NODE_W_PX, height: NODE_H_PX })),
    edges: nodes.flatMap((n) => n.dependsOn.map((d) => ({ id: `${d}->${n.id}`, sources: [d], targets: [n.id] }))),
  };
  const out = await elk.layout(graph);
  return {
    widthPx: (out.width ?? 0) + 2,
    heightPx: (out.height ?? 0) + 2,
    nodes: (out.children ?? []).map((c) => ({ id: c.id, x: c.x ?? 0, y: c.y ?? 0 })),
    edges: (out.edges ?? []).map((e) => ({
      id: e.id,
      points: (e.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p): [number, number] => [p.x, p.y])),
    })),
  };
}

/** A collapsed graph: one node per level (the longest chain of dependencies above a step). */
export interface Levels {
  /** Step ids per level, level 0 first. */
  members: string[][];
  nodes: GraphNodeInput[];
}

/**
 * Groups steps (given in topological order) by level; level L depends on level L-1 whenever
 * some step of L has a dependency there.
 */
export function collapseToLevels(steps: readonly { id: string; dependsOn: readonly string[] }[]): Levels {
  const level = new Map<string, number>();
  const members: string[][] = [];
  const edges: Set<number>[] = [];
  for (const s of steps) {
    const l = s.dependsOn.reduce((m, d) => Math.max(m, (level.get(d) ?? -1) + 1), 0);
    level.set(s.id, l);
    (members[l] ??= []).push(s.id);
    edges[l] ??= new Set();
    for (const d of s.dependsOn) edges[l]!.add(level.get(d) ?? 0);
  }
  const nodes = members.map((_, l) => ({ id: `level-${l}`, dependsOn: [...(edges[l] ?? [])].map((d) => `level-${d}`) }));
  return { members, nodes };
}
