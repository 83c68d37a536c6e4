import { describe, expect, it } from 'vitest';
import { findCycle, topologicalOrder } from '../../src/graph/dag.js';

describe('topologicalOrder', () => {
  it('puts dependencies first and ready nodes in index order', () => {
    // 0 depends on 2; 1 and 2 are roots; 3 depends on 1.
    expect(topologicalOrder(4, [[2], [], [], [1]])).toEqual({ order: [1, 2, 0, 3] });
  });

  it('returns an empty order for an empty graph', () => {
    expect(topologicalOrder(0, [])).toEqual({ order: [] });
  });

  it('handles a 100,000-node chain without recursion', () => {
    const n = 100_000;
    const deps = Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1]));
    const result = topologicalOrder(n, deps);
    expect('order' in result && result.order[n - 1]).toBe(n - 1);
  });

  it('returns a cycle, rotated to start at its lowest index, each node depending on the next', () => {
    // 0 and 1 depend on 3, 3 on 2, 2 on 1 (the cycle 1, 3, 2); 4 depends on 0.
    const result = topologicalOrder(5, [[3], [3], [1], [2], [0]]);
    expect(result).toEqual({ cycle: [1, 3, 2] });
  });

  it('treats a self-reference as a cycle of one node', () => {
    expect(topologicalOrder(2, [[], [1]])).toEqual({ cycle: [1] });
  });

  it('throws a RangeError on an index outside the graph', () => {
    expect(() => topologicalOrder(2, [[5], []])).toThrow(RangeError);
  });
});

describe('findCycle', () => {
  it('returns [] when no node is left over', () => {
    expect(findCycle(2, [[], [0]], () => false)).toEqual([]);
  });

  it('walks a long cycle iteratively', () => {
    const n = 50_000;
    const deps = Array.from({ length: n }, (_, i) => [(i + 1) % n]);
    const cycle = findCycle(n, deps, () => true);
    expect(cycle).toHaveLength(n);
    expect(cycle[0]).toBe(0);
    expect(cycle[1]).toBe(1);
  });
});
