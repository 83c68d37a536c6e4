/**
 * `engine run --target a,b`: narrows a plan to the target steps and everything they depend
 * on, like `make a b`. Dependents of the targets (cleanup steps included) are left out.
 * A target may be a matrix instance (`test[os=linux]`): its matrix step is kept too, with the
 * kept instances as its only ones, so the instance's outcome decides the run as the matrix
 * step's verdict does in a whole run.
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
  // A kept instance keeps its matrix step (which then stands for the kept instances only).
  for (const s of plan.steps) if (keep[s.index] && s.instanceOf !== null) keep[s.instanceOf] = 1;
  const newIndex = new Int32Array(plan.steps.length).fill(-1);
  const steps = plan.steps.filter((s) => keep[s.index]);
  steps.forEach((s, i) => (newIndex[s.index] = i));
  return {
    ...plan,
    steps: steps.map((s, i) => ({
      ...s,
      index: i,
      // Only a matrix step can lose dependencies here (instances not kept).
      dependsOn: s.dependsOn.map((d) => newIndex[d]!).filter((d) => d >= 0),
      instanceOf: s.instanceOf === null ? null : newIndex[s.instanceOf]!,
      undoes: s.undoes === null ? null : s.undoes.map((d) => newIndex[d]!).filter((d) => d >= 0),
    })),
    order: plan.order.filter((i) => keep[i]).map((i) => newIndex[i]!),
  };
}
