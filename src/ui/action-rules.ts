/**
 * When a run can be cancelled or resumed, and which of its variables must be given again: the
 * one home of these rules, used by the server's actions and by the page (which shows the
 * buttons and asks for the secret values). No Node imports: the page bundles this file.
 */
import type { RunStatus } from './api-types.js';

/** Statuses `engine resume` continues. */
const RESUMABLE: ReadonlySet<RunStatus> = new Set<RunStatus>(['failed', 'cancelled', 'interrupted']);
/** Variables the engine sets itself, never asked for. */
const BUILTINS: ReadonlySet<string> = new Set(['RUN_ID', 'PLAN_DIR', 'STATE_DIR']);

interface RunState {
  status: RunStatus;
  engine_gone: boolean;
  parent_run_id: string | null;
}

/**
 * A child run of a plan step is cancelled and resumed through its parent run (its engine is
 * the parent's: a signal to it stops the parent; resuming the parent resumes the child).
 * Returns the sentence saying so, or null for a top-level run.
 */
export function childRunActionNote(run: RunState & { run_id: string; parent_step_id: string | null }): string | null {
  if (run.parent_run_id === null) return null;
  return `run ${run.run_id} is a child run of step ${run.parent_step_id ?? '?'} of run ${run.parent_run_id}: cancel or resume that run (resuming it resumes this one)`;
}

/** A live top-level run: its engine can be asked to cancel. */
export function canCancel(run: RunState): boolean {
  return run.parent_run_id === null && run.status === 'running' && !run.engine_gone;
}

/** A failed, cancelled or interrupted top-level run, or a `running` one whose engine died. */
export function canResume(run: RunState): boolean {
  return run.parent_run_id === null && (RESUMABLE.has(run.status) || (run.status === 'running' && run.engine_gone));
}

/** The run's secret variables (recorded as `***` in `vars_json`): their values must be given again. */
export function secretVariables(varsJson: string): string[] {
  let vars: Record<string, unknown>;
  try {
    vars = JSON.parse(varsJson) as Record<string, unknown>;
  } catch {
    return [];
  }
  return Object.keys(vars).filter((name) => vars[name] === '***' && !BUILTINS.has(name));
}
