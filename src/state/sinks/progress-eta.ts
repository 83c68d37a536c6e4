/**
 * The status area's ETA: from the median duration of each step in earlier runs of the same
 * plan (src/query/step-history.ts), the time the rest of the DAG needs: the longer of its
 * remaining critical path and its remaining work spread over the concurrency limit. Without
 * a history for every step still to run there is no ETA, rather than a wrong one.
 */

/** A step of the DAG as the ETA sees it, in topological order. */
export interface EtaStep {
  id: string;
  /** Indices (into the same list) of its dependencies. */
  deps: readonly number[];
}

/** Where a step is now. */
export type EtaState = { kind: 'ended' } | { kind: 'waiting' } | { kind: 'running'; elapsedMs: number };

/**
 * Milliseconds until the run should end, or null when a step still to run has no median.
 * `medianMs[i]` is step i's median duration in earlier runs (undefined: never ran).
 */
export function estimateRemainingMs(
  steps: readonly EtaStep[],
  states: readonly EtaState[],
  medianMs: readonly (number | undefined)[],
  maxConcurrency: number,
): number | null {
  const finish = new Float64Array(steps.length);
  let critical = 0;
  let work = 0;
  for (let i = 0; i < steps.length; i++) {
    const state = states[i]!;
    if (state.kind === 'ended') continue;
    const median = medianMs[i];
    if (median === undefined) return null;
    const rest = state.kind === 'running' ? Math.max(0, median - state.elapsedMs) : median;
    let start = 0;
    for (const d of steps[i]!.deps) start = Math.max(start, finish[d]!);
    finish[i] = start + rest;
    critical = Math.max(critical, finish[i]!);
    work += rest;
  }
  return Math.max(critical, work / Math.max(1, maxConcurrency));
}
