/**
 * Turns a plan file plus variables into a {@link ResolvedPlan}, or throws a {@link PlanError}
 * listing every problem found at once.
 */
import type { ResolvedPlan } from './resolved-plan.js';

export interface LoadPlanOptions {
  /** Plan file path as the user gave it; relative paths resolve against `cwd`. */
  path: string;
  /** Raw `--var` arguments, each `KEY=VALUE` (the value may contain `=`). */
  varArgs: string[];
  /** Path of a `--vars-file` (a JSON object of string values), if given. */
  varsFile?: string;
  /** Run id, the value of `${RUN_ID}`. */
  runId: string;
  /** Absolute state directory, the value of `${STATE_DIR}`. */
  stateDir: string;
  /** Directory the engine was invoked in; relative `working_dir`/`cwd` resolve against it. */
  cwd: string;
  /** `--max-concurrency` from the command line; overrides `globals.max_concurrency`. */
  maxConcurrency?: number;
}

/** @throws PlanError */
export function loadPlan(_opts: LoadPlanOptions): ResolvedPlan {
  throw new Error('not implemented yet');
}
