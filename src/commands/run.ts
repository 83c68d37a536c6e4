/**
 * `engine run PLAN`: validate, then run the plan, recording every event to
 * `<state>/runs/<run_id>/events.jsonl` and `<state>/runs.db` and printing progress.
 * SIGINT/SIGTERM/SIGHUP cancel the run (a second one forces it); see RunLoop.cancel.
 */
import { newRunId } from '../engine/run-id.js';
import { ExitCode } from '../exit-codes.js';
import { loadPlan } from '../schema/load-plan.js';
import { selectTargets } from '../schema/select-targets.js';
import { invalidPlanJson, resolveStateDir, type VarOptions } from './common.js';
import { dryRunJson, printDryRun } from './dry-run.js';
import { executeRun, type ExecuteOptions } from './execute-run.js';
import { chooseExecutor, type ExecutorOptions } from './executor-options.js';
import { reportError } from './report-error.js';

export interface RunCommandOptions extends VarOptions, ExecuteOptions, ExecutorOptions {
  stateDir?: string;
  maxConcurrency?: number;
  /** Print the execution order as levels; run nothing, write nothing. */
  dryRun?: boolean;
  /** `--target a,b` (repeatable): run only these steps and what they depend on. */
  target?: string[];
  /** `--force` (true) or `--force a,b` (repeatable): ignore the up-to-date fingerprints of every step, or of these. */
  force?: boolean | string[];
}

/** `--target a,b --target c` → [a, b, c] */
function parseTargets(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

export async function runCommand(planPath: string, opts: RunCommandOptions): Promise<number> {
  const cwd = process.cwd();
  const stateDir = resolveStateDir(opts.stateDir);
  const runId = newRunId();
  try {
    const loaded = loadPlan({
      path: planPath,
      varArgs: opts.var,
      varsFile: opts.varsFile,
      runId,
      stateDir,
      cwd,
      maxConcurrency: opts.maxConcurrency,
      env: process.env,
    });
    const plan = opts.target ? selectTargets(loaded, parseTargets(opts.target)) : loaded;
    if (opts.dryRun) {
      if (opts.json) process.stdout.write(`${JSON.stringify(dryRunJson(plan), null, 2)}\n`);
      else printDryRun(plan, (text) => process.stdout.write(text));
      return ExitCode.ok;
    }
    const force = opts.force === undefined || opts.force === false ? false : opts.force === true ? true : new Set(parseTargets(opts.force));
    const executor = chooseExecutor(plan, opts);
    return await executeRun(plan, { ...opts, runId, stateDir, cwd, force, executor });
  } catch (err) {
    // --json: stdout is for programs; an invalid plan is one JSON object there too.
    const json = opts.json ? invalidPlanJson(err) : null;
    if (json) process.stdout.write(json);
    return reportError(err);
  }
}
