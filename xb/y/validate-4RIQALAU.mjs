import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  loadPlanToInspect
} from "./chunk-UAN2LSTN.mjs";
import {
  ExitCode,
  reportError
} from "./chunk-4DO664QM.mjs";
import "./chunk-R5JLVHAA.mjs";

// ../../work/main/src/commands/validate.ts
async function validateCommand(planPath, opts) {
  try {
    const plan = loadPlanToInspect(planPath, opts);
    process.stdout.write(`${planPath}: valid plan ${plan.planId} ${plan.version} (${plan.steps.length} steps)
`);
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
export {
  validateCommand
};
