/**
 * A plan's steps as the events announce them (`run_started.steps`, `run_resumed.steps`) and
 * `engine graph` prints them: in topological order, dependencies by id.
 */
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import type { PlannedStep } from './events.js';

export function plannedSteps(plan: Pick<ResolvedPlan, 'steps' | 'order'>): PlannedStep[] {
  return plan.order.map((i) => {
    const s = plan.steps[i]!;
    return {
      id: s.id,
      name: s.name,
      depends_on: s.dependsOn.map((d) => plan.steps[d]!.id),
      trigger_rule: s.triggerRule,
      on_failure: s.onFailure,
      critical: s.critical,
    };
  });
}
