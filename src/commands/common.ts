/** Option handling shared by the commands. */
import { resolve } from 'node:path';
import { newRunId } from '../engine/run-id.js';
import { loadPlan } from '../schema/load-plan.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import { recoverInterruptedRuns } from '../state/store/recovery.js';

/** `--var` and `--vars-file`, as commander hands them over. */
export interface VarOptions {
  var: string[];
  varsFile?: string;
}

/** The absolute state directory: `--state-dir`, else $ENGINE_STATE_DIR (when not empty), else ./state. */
export function resolveStateDir(flag: string | undefined): string {
  const fromEnv = process.env.ENGINE_STATE_DIR?.trim() ? process.env.ENGINE_STATE_DIR : undefined;
  return resolve(flag ?? fromEnv ?? 'state');
}

/**
 * Crash recovery (src/state/store/recovery.ts) for a command that only reads: runs whose
 * engine died are marked `interrupted` first, so what the command shows is current. When the
 * recovery cannot write (a full disk, a read-only state directory), the command goes on with
 * what is recorded and says so: reading must not fail because writing does.
 */
export async function recoverBeforeReading(stateDir: string): Promise<void> {
  try {
    await recoverInterruptedRuns(stateDir);
  } catch (err) {
    process.stderr.write(`engine: warning: crash recovery postponed (${(err as Error).message}); showing what is recorded\n`);
  }
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
