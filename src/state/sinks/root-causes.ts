/**
 * Root cause first (issue 15): which failed steps explain a run's outcome. A root cause is a
 * failed step none of whose upstream steps failed; everything skipped, cancelled or failed
 * downstream of it is what it caused. Shared by the run's summary (console-sink.ts) and
 * `engine show`, which see the same steps (from events, or from runs.db rows).
 */
import type { StepStatus } from '../../engine/status.js';

/** What the analysis needs of a step, in topological order. */
export interface StepOutcome {
  id: string;
  status: StepStatus;
  dependsOn: readonly string[];
  critical: boolean;
  /** The step whose outcome skipped or cancelled this one (events' `upstream`), else null. */
  upstream: string | null;
}

/** What one root cause led to, by how those steps ended. */
export interface Consequences {
  skipped: string[];
  cancelled: string[];
  failed: string[];
}

export interface FailureAnalysis {
  /** Root causes that explain the run's failure: critical ones, and non-critical ones a
   * critical failure comes after. In topological order. */
  rootCauses: string[];
  /** The other failed non-critical steps: the run went on without them. */
  notCritical: string[];
  /** For each root cause (and failed non-critical step), what came of it. */
  caused: Map<string, Consequences>;
}

/** Analyses `steps` (topological order, as `run_started.steps`). O(steps + edges). */
export function analyseFailures(steps: readonly StepOutcome[]): FailureAnalysis {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const failed = (id: string): boolean => byId.get(id)?.status === 'failed';
  // rootOf: for a step downstream of a failure, the root cause it traces back to.
  const rootOf = new Map<string, string>();
  for (const s of steps) {
    for (const d of s.dependsOn) {
      const root = rootOf.get(d) ?? (failed(d) ? d : undefined);
      if (root !== undefined) {
        rootOf.set(s.id, root);
        break;
      }
    }
  }
  const caused = new Map<string, Consequences>();
  const consequencesOf = (root: string): Consequences => {
    let c = caused.get(root);
    if (!c) caused.set(root, (c = { skipped: [], cancelled: [], failed: [] }));
    return c;
  };
  const causeOf = (s: StepOutcome): string | undefined => {
    if (s.status === 'failed') return rootOf.get(s.id);
    if (s.status !== 'skipped' && s.status !== 'cancelled') return undefined;
    // Skips and aborts name the step that decided them; that step's own cause is the root.
    if (s.upstream === null) return undefined;
    return rootOf.get(s.upstream) ?? (failed(s.upstream) ? s.upstream : rootOf.get(s.id));
  };
  const roots: string[] = [];
  const promoted = new Set<string>();
  for (const s of steps) {
    if (s.status === 'failed' && !rootOf.has(s.id)) roots.push(s.id);
    const root = causeOf(s);
    if (root === undefined) continue;
    const list = consequencesOf(root);
    if (s.status === 'failed') {
      list.failed.push(s.id);
      if (s.critical) promoted.add(root);
    } else (s.status === 'skipped' ? list.skipped : list.cancelled).push(s.id);
  }
  const rootCauses = roots.filter((id) => byId.get(id)!.critical || promoted.has(id));
  const shown = new Set(rootCauses);
  const notCritical = steps.filter((s) => s.status === 'failed' && !s.critical && !shown.has(s.id)).map((s) => s.id);
  return { rootCauses, notCritical, caused };
}
