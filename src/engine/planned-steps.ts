/**
 * A plan's steps as the events announce them (`run_started.steps`, `run_resumed.steps`) and
 * `engine graph` prints them: in topological order, dependencies by id.
 */
import type { ResolvedPlan, ResolvedStep } from '../schema/resolved-plan.js';
import type { PlannedStep } from './events.js';

export function plannedSteps(plan: Pick<ResolvedPlan, 'steps' | 'order'>): PlannedStep[] {
  return plan.order.map((i) => plannedStep(plan.steps, plan.steps[i]!));
}

/** One step as announced; `steps` resolves its dependencies' and group's ids. */
export function plannedStep(steps: readonly ResolvedStep[], s: ResolvedStep): PlannedStep {
  const p: PlannedStep = {
    id: s.id,
    name: s.name,
    depends_on: s.dependsOn.map((d) => steps[d]!.id),
    trigger_rule: s.triggerRule,
    on_failure: s.onFailure,
    critical: s.critical,
  };
  if (s.kind !== 'command') p.kind = s.kind;
  if (s.instanceOf !== null) p.instance_of = steps[s.instanceOf]!.id;
  return p;
}
