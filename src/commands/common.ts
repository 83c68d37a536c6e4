/** Option handling shared by the commands. */
import { resolve } from 'node:path';
import { newRunId } from '../engine/run-id.js';
import { loadPlan } from '../schema/load-plan.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';

/** `--var` and `--vars-file`, as commander hands them over. */
export interface VarOptions {
  var: string[];
  varsFile?: string;
}

/** The absolute state directory: `--state-dir`, else $ENGINE_STATE_DIR, else ./state. */
export function resolveStateDir(flag: string | undefined): string {
  return resolve(flag ?? process.env.ENGINE_STATE_DIR ?? 'state');
}

/**
 * Loads a plan for a command that inspects it without running it (`validate`, `graph`): the
 * same checks as `engine run`, with a throwaway run id and the default state directory.
 * @throws PlanError
 */
export function loadPlanToInspect(planPath: string, opts: VarOptions): ResolvedPlan {
  return loadPlan({
    path: planPath,
    varArgs: opts.var,
    varsFile: opts.varsFile,
    runId: newRunId(),
    stateDir: resolveStateDir(undefined),
    cwd: process.cwd(),
  });
}
