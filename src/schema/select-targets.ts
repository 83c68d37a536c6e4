/**
 * `engine run --target a,b`: narrows a plan to the target steps and everything they depend
 * on, like `make a b`. Dependents of the targets (cleanup steps included) are left out.
 */
import { ancestorClosure } from '../graph/dag.js';
import { COMMAND_LINE } from './problem-list.js';
import { PlanError } from './problems.js';
import type { ResolvedPlan } from './resolved-plan.js';

/** @throws PlanError naming every target id the plan does not have */
export function selectTargets(plan: ResolvedPlan, targetIds: readonly string[]): ResolvedPlan {
  const byId = new Map(plan.steps.map((s) => [s.id, s.index]));
  const unknown = targetIds.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new PlanError(
      unknown.map((id) => ({
        file: COMMAND_LINE,
        pointer: '',
        message: `--target: no step "${id}" in plan ${plan.planId} (steps: ${plan.steps.slice(0, 30).map((s) => s.id).join(', ')}${plan.steps.length > 30 ? ', ...' : ''})`,
      })),
    );
  }
  const keep = ancestorClosure(
    targetIds.map((id) => byId.get(id)!),
    plan.steps.map((s) => s.dependsOn),
  );
  const newIndex = new Int32Array(plan.steps.length).fill(-1);
  const steps = plan.steps.filter((s) => keep[s.index]);
  steps.forEach((s, i) => (newIndex[s.index] = i));
  return {
    ...plan,
    steps: steps.map((s, i) => ({
      ...s,
      index: i,
      dependsOn: s.dependsOn.map((d) => newIndex[d]!),
      undoes: s.undoes === null ? null : s.undoes.map((d) => newIndex[d]!).filter((d) => d >= 0),
    })),
    order: plan.order.filter((i) => keep[i]).map((i) => newIndex[i]!),
  };
}
