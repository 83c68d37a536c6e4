/** `engine validate PLAN`: load and check a plan with its variables; run nothing, write nothing. */
import { ExitCode } from '../exit-codes.js';
import { loadPlanToInspect, type VarOptions } from './common.js';
import { reportError } from './report-error.js';

export async function validateCommand(planPath: string, opts: VarOptions): Promise<number> {
  try {
    const plan = loadPlanToInspect(planPath, opts);
    process.stdout.write(`${planPath}: valid plan ${plan.planId} ${plan.version} (${plan.steps.length} steps)\n`);
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
