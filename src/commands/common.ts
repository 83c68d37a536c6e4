/** Option handling shared by the commands. */
import { resolve } from 'node:path';
import { newRunId } from '../engine/run-id.js';
import { inspectPlan, type InspectedPlan } from '../schema/load-plan.js';
import { formatProblem, PlanError, type Problem } from '../schema/problems.js';
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
 * same checks as `engine run`, with a throwaway run id and the default state directory,
 * except that required variables may lack a value (they are returned, to be noted).
 * @throws PlanError
 */
export function loadPlanToInspect(planPath: string, opts: VarOptions): InspectedPlan {
  return inspectPlan({
    path: planPath,
    varArgs: opts.var,
    varsFile: opts.varsFile,
    runId: newRunId(),
    stateDir: resolveStateDir(undefined),
    cwd: process.cwd(),
    env: process.env,
  });
}

/** The note of `validate` and `graph` for required variables without a value ('' for none). */
export function unsetVarsNote(unset: readonly string[]): string {
  if (unset.length === 0) return '';
  const names = unset.join(', ');
  return `note: required variable${unset.length === 1 ? '' : 's'} without a value (engine run will refuse to start without ${unset.length === 1 ? 'it' : 'them'}): ${names}\n`;
}

/** A problem as JSON: every field present, null when unknown. */
export interface ProblemJson {
  file: string;
  line: number | null;
  column: number | null;
  pointer: string;
  message: string;
  /** The human form, `file:line:column: /pointer: message`. */
  text: string;
}

export function problemJson(p: Problem): ProblemJson {
  return { file: p.file, line: p.line ?? null, column: p.column ?? null, pointer: p.pointer, message: p.message, text: formatProblem(p) };
}

/** `{"valid": false, "problems": [...]}` for `--json` when a plan is invalid; null for other errors. */
export function invalidPlanJson(err: unknown): string | null {
  if (!(err instanceof PlanError)) return null;
  return `${JSON.stringify({ valid: false, problems: err.problems.map(problemJson) })}\n`;
}
