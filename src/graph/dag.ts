/**
 * Pure functions on a DAG given as index-based adjacency: node i (0 ≤ i < n) depends on the
 * nodes `dependsOn[i]`. Everything here is iterative and O(V + E) (O((V + E) log V) for the
 * ordered topological sort), so a 10,000-step chain or a 100,000-step plan is no problem.
 *
 * Why not graphlib (@dagrejs/graphlib): its `alg.topsort` is a recursive DFS that overflows the
 * stack on a chain of ~4,000 steps, and building a 100,000-step graph with its string-keyed
 * node/edge objects takes ~5 s, against ~0.15 s for this iterative Kahn's algorithm on typed
 * arrays. We need neither its generality nor its API: steps are already numbered by position.
 */

/** Result of {@link topologicalOrder}: an order, or one cycle proving there is none. */
export type TopologicalResult = { order: number[] } | { cycle: number[] };

/**
 * Kahn's algorithm with a min-heap of ready nodes: dependencies come before dependents, and
 * among nodes that are ready at the same time the lowest index (file order) goes first. So
 * the result is the lexicographically smallest topological order; a plan already written in
 * dependency order comes back unchanged. O((V + E) log V) time, O(V + E) memory.
 *
 * @param n number of nodes
 * @param dependsOn for each node, the indices of the nodes it depends on (each in [0, n);
 *   duplicates are tolerated, a self-reference is a cycle of one node)
 * @returns `{ order }` with every index exactly once, or `{ cycle }` (see {@link findCycle})
 *   when the graph has a cycle
 * @throws RangeError if an index in `dependsOn` is outside [0, n)
 */
export function topologicalOrder(n: number, dependsOn: readonly (readonly number[])[]): TopologicalResult {
  // Dependents in compressed sparse row form: dependents of d are edges[start[d] .. start[d+1]).
  const indegree = new Int32Array(n);
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const deps = dependsOn[i] ?? [];
    indegree[i] = deps.length;
    for (const d of deps) {
      if (!(d >= 0 && d < n) || !Number.isInteger(d)) throw new RangeError(`node ${i} depends on ${d}, outside [0, ${n})`);
      start[d + 1]!++;
    }
  }
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const edges = new Int32Array(start[n]!);
  const fill = start.slice(0, n);
  for (let i = 0; i < n; i++) for (const d of dependsOn[i] ?? []) edges[fill[d]!++] = i;

  const heap = new MinHeap(n);
  for (let i = 0; i < n; i++) if (indegree[i] === 0) heap.push(i);
  const order: number[] = [];
  while (heap.size > 0) {
    const v = heap.pop();
    order.push(v);
    for (let e = start[v]!; e < start[v + 1]!; e++) {
      const w = edges[e]!;
      if (--indegree[w]! === 0) heap.push(w);
    }
  }
  if (order.length === n) return { order };
  const done = new Uint8Array(n);
  for (const v of order) done[v] = 1;
  return { cycle: findCycle(n, dependsOn, (i) => done[i] === 0) };
}

/**
 * Finds one cycle among `leftover` nodes, where every leftover node has at least one leftover
 * dependency (true of the nodes Kahn's algorithm could not order). Starts at the lowest
 * leftover index and walks dependencies (always the first leftover one) until a node repeats.
 * Iterative; O(V + E).
 *
 * @returns the cycle `[a, b, c]` meaning a depends on b, b on c and c on a, rotated so that
 *   its lowest index comes first; [] when `leftover` holds no node
 * @throws Error if a leftover node has no leftover dependency (the precondition is broken)
 */
export function findCycle(n: number, dependsOn: readonly (readonly number[])[], leftover: (i: number) => boolean): number[] {
  let v = -1;
  for (let i = 0; i < n; i++) {
    if (leftover(i)) {
      v = i;
      break;
    }
  }
  if (v === -1) return [];
  const posInPath = new Int32Array(n).fill(-1);
  const path: number[] = [];
  while (posInPath[v] === -1) {
    posInPath[v] = path.length;
    path.push(v);
    const next = (dependsOn[v] ?? []).find((d) => leftover(d));
    if (next === undefined) throw new Error(`findCycle: node ${v} has no leftover dependency`);
    v = next;
  }
  const cycle = path.slice(posInPath[v]);
  let min = 0;
  for (let i = 1; i < cycle.length; i++) if (cycle[i]! < cycle[min]!) min = i;
  return [...cycle.slice(min), ...cycle.slice(0, min)];
}

/** Binary min-heap of node indices on a preallocated Int32Array. */
class MinHeap {
  private readonly a: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.a = new Int32Array(Math.max(1, capacity));
  }

  push(x: number): void {
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const x = a[--this.size]!;
    const n = this.size;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && a[c + 1]! < a[c]!) c++;
      if (a[c]! >= x) break;
      a[i] = a[c]!;
      i = c;
    }
    if (n > 0) a[i] = x;
    return top;
  }
}

/**
 * Levels of a DAG: level(i) = 0 for nodes without dependencies, else 1 + the largest level of
 * its dependencies. Nodes of one level can run together once the earlier levels are done.
 * @param order a topological order of all n nodes
 * @returns levels[k] = the nodes of level k, each in `order`'s order
 */
export function levels(order: readonly number[], dependsOn: readonly (readonly number[])[]): number[][] {
  const level = new Int32Array(dependsOn.length);
  const out: number[][] = [];
  for (const i of order) {
    let l = 0;
    for (const d of dependsOn[i]!) if (level[d]! + 1 > l) l = level[d]! + 1;
    level[i] = l;
    (out[l] ??= []).push(i);
  }
  return out;
}

/**
 * The nodes `targets` depend on, directly or transitively, plus the targets themselves (what
 * `make target` would build). Iterative, O(V + E).
 * @returns a membership mask of length n
 */
export function ancestorClosure(targets: readonly number[], dependsOn: readonly (readonly number[])[]): Uint8Array {
  const keep = new Uint8Array(dependsOn.length);
  const work = [...targets];
  for (const t of targets) keep[t] = 1;
  while (work.length > 0) {
    for (const d of dependsOn[work.pop()!]!) {
      if (!keep[d]) {
        keep[d] = 1;
        work.push(d);
      }
    }
  }
  return keep;
}
