/** `engine validate PLAN`: load and check a plan with its variables; run nothing, write nothing. */
import { ExitCode } from '../exit-codes.js';
import { count } from '../format.js';
import { invalidPlanJson, loadPlanToInspect, unsetVarsNote, type VarOptions } from './common.js';
import { reportError } from './report-error.js';

export interface ValidateOptions extends VarOptions {
  /** Print `{valid, plan_id, version, steps, unset_variables, problems}` on stdout. */
  json?: boolean;
}

export async function validateCommand(planPath: string, opts: ValidateOptions): Promise<number> {
  try {
    const { plan, unsetVars } = loadPlanToInspect(planPath, opts);
    if (opts.json) {
      const out = { valid: true, plan_id: plan.planId, version: plan.version, steps: plan.steps.length, unset_variables: unsetVars, problems: [] };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return ExitCode.ok;
    }
    process.stdout.write(`${planPath}: valid plan ${plan.planId} ${plan.version} (${count(plan.steps.length, 'step')})\n`);
    process.stdout.write(unsetVarsNote(unsetVars));
    return ExitCode.ok;
  } catch (err) {
    const json = opts.json ? invalidPlanJson(err) : null;
    if (json) process.stdout.write(json);
    return reportError(err);
  }
}
