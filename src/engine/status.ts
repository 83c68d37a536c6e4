/**
 * The one vocabulary of statuses and reasons, and the predicates every reader needs. Events,
 * runs.db rows, the console, `engine show` and resume all use these unions, so adding a status
 * is a compile error everywhere it must be handled (the way Dagu keeps `Status` and
 * `IsDone/IsActive` in one file). docs/runs-db.md documents the same values.
 */

/** Status of a run (`runs.status`). `interrupted`: crash recovery found its engine gone. */
export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** How a run ends in its own engine (`run_finished.status`). */
export type FinalRunStatus = Extract<RunStatus, 'succeeded' | 'failed' | 'cancelled'>;

/** Run statuses `engine resume` continues. */
export type ResumableRunStatus = Extract<RunStatus, 'failed' | 'cancelled' | 'interrupted'>;

/**
 * Status of a step (`steps.status`). `pending` covers "waiting for dependencies", "waiting
 * for a concurrency slot" and "waiting for a retry"; `waiting`: ready, but its `mutex` is held
 * by another step or run (issue 14); `interrupted`: it was running when the engine process
 * vanished (crash recovery).
 */
export const STEP_STATUSES = ['pending', 'waiting', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'interrupted'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/** The statuses a step ends with in its own engine: counted in `run_finished`. */
export type EndedStepStatus = Extract<StepStatus, 'succeeded' | 'failed' | 'skipped' | 'cancelled'>;

/** Status of one attempt (`attempts.status`). */
export const ATTEMPT_STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/**
 * Why an attempt (or a step) failed: a failing exit code; its `timeout_sec`; no output for
 * `idle_timeout_sec`; the step's `deadline_sec` (never retried); killed by a signal; a command
 * that could not start (never retried); a malformed or oversized outputs file
 * (`output_error`). Without an attempt (issue 13): a reference to an output that does not
 * exist (`missing_output`, never retried); a `for_each` list that is not a usable JSON array
 * (`for_each_error`); more instances of a matrix or for_each step failed than it tolerates
 * (`instances_failed`).
 */
export type FailureReason =
  | 'exit_code'
  | 'timeout'
  | 'idle_timeout'
  | 'deadline'
  | 'signal'
  | 'spawn_error'
  | 'output_error'
  | 'missing_output'
  | 'for_each_error'
  | 'instances_failed';

/** Why a step was skipped: its trigger rule can no longer hold, a precondition, or it is up
 * to date (`sources` unchanged: dependents see it as succeeded). */
export type SkipReason = 'trigger_rule' | 'precondition' | 'up_to_date';

/** Why a step was cancelled: an upstream failure aborted the run, the run was cancelled, or
 * (an instance) its matrix / for_each step exceeded its tolerated failures with `fail_fast`. */
export type CancelReason = 'abort' | 'run_cancelled' | 'fail_fast';

/** Reason of a step that was running when its engine vanished. */
export type InterruptReason = 'interrupted';

/** Every value of `steps.reason` / `attempts.reason`. */
export type StepReason = FailureReason | SkipReason | CancelReason | InterruptReason;

const ENDED_STEP = new Set<StepStatus>(['succeeded', 'failed', 'skipped', 'cancelled']);
const RESUMABLE_RUN = new Set<RunStatus>(['failed', 'cancelled', 'interrupted']);

/** True once nothing more happens to the step in this engine (interrupted is not: its engine is gone, resume decides). */
export function isEndedStepStatus(s: StepStatus): s is EndedStepStatus {
  return ENDED_STEP.has(s);
}

/** True for a run `engine resume` may continue. */
export function isResumableRunStatus(s: RunStatus): s is ResumableRunStatus {
  return RESUMABLE_RUN.has(s);
}

/** True while a run's engine is (recorded as) carrying it out. */
export function isActiveRunStatus(s: RunStatus): s is 'running' {
  return s === 'running';
}

/** True for a name of {@link RUN_STATUSES} (for `--status` and query parameters). */
export function isRunStatus(s: string): s is RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(s);
}

/** Exit code of the engine for a finished run (issue 2): 0, 1, or 130 as shells report SIGINT. */
export function runExitCode(status: FinalRunStatus): 0 | 1 | 130 {
  switch (status) {
    case 'succeeded':
      return 0;
    case 'failed':
      return 1;
    case 'cancelled':
      return 130;
  }
}

/** Steps of a run by how they ended, as `run_finished` and `runs.steps_*` count them. */
export interface StepCounts {
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

/** All zero. */
export function noSteps(): StepCounts {
  return { succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
}

/** Counts the ended statuses among `statuses` (pending, running and interrupted are not counted). */
export function countSteps(statuses: Iterable<StepStatus>): StepCounts {
  const counts = noSteps();
  for (const s of statuses) if (isEndedStepStatus(s)) counts[s]++;
  return counts;
}

/** Steps that have ended, of every kind. */
export function stepsEnded(c: StepCounts): number {
  return c.succeeded + c.failed + c.skipped + c.cancelled;
}
