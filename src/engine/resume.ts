/**
 * Resume rules (issue 4): from a run's recorded events and its reloaded plan to what
 * `engine resume` carries over. Pure: the command (src/commands/resume.ts) reads the events and
 * the plan file, this decides.
 */
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import { unreachable, type EngineEvent, type RunStartedEvent } from './events.js';
import type { ResumableRunStatus, RunStatus } from './status.js';

/** What `engine resume` carries over from the earlier part of a run. */
export interface ResumeState {
  previousStatus: ResumableRunStatus;
  /** seq of the run's last recorded event; numbering continues after it. */
  lastSeq: number;
  /** Ids of steps that succeeded and are kept. */
  kept: ReadonlySet<string>;
  /** Attempts already made per step id; attempt numbers continue after them. */
  attempts: ReadonlyMap<string, number>;
}

/** A run as its events tell it, for resume. */
export interface RecordedRun {
  started: RunStartedEvent;
  /** The run's status after its last event (`running` when its engine left no end). */
  status: RunStatus;
  lastSeq: number;
  /** Steps whose last outcome was success (a rerun step is forgotten until it succeeds again). */
  succeeded: ReadonlySet<string>;
  attempts: ReadonlyMap<string, number>;
}

/** Reads the record of a run from its events, in order; undefined when there is no `run_started`. */
export function recordedRun(events: readonly EngineEvent[]): RecordedRun | undefined {
  let started: RunStartedEvent | undefined;
  let status: RunStatus = 'running';
  const succeeded = new Set<string>();
  const attempts = new Map<string, number>();
  for (const e of events) {
    switch (e.type) {
      case 'run_started':
        started ??= e;
        break;
      case 'step_started':
        attempts.set(e.step_id, e.attempt);
        break;
      case 'step_succeeded':
        succeeded.add(e.step_id);
        break;
      case 'run_resumed':
        status = 'running';
        for (const id of e.rerun) succeeded.delete(id);
        break;
      case 'run_finished':
        status = e.status;
        break;
      case 'run_interrupted':
        status = 'interrupted';
        break;
      case 'step_failed':
      case 'step_retrying':
      case 'step_skipped':
      case 'step_cancelled':
      case 'run_cancel_requested':
        break;
      default:
        unreachable(e);
    }
  }
  if (!started) return undefined;
  return { started, status, lastSeq: events.at(-1)?.seq ?? 0, succeeded, attempts };
}

/**
 * The resume state of `run` under `plan` (the plan file loaded again with the run's
 * variables). A succeeded step is kept unless one of two rules makes it run again:
 * - an `all_done` step that already ran is cleanup that undid what its dependencies did
 *   (released a lock, removed a worktree), so those dependencies run again;
 * - a step after one that runs again runs again too (its dependencies must all be kept).
 */
export function resumeState(plan: ResolvedPlan, run: RecordedRun, previousStatus: ResumableRunStatus): ResumeState {
  const undone = new Uint8Array(plan.steps.length);
  for (const s of plan.steps) {
    if (s.triggerRule === 'all_done' && (run.attempts.get(s.id) ?? 0) > 0) for (const d of s.dependsOn) undone[d] = 1;
  }
  const keptFlags = new Uint8Array(plan.steps.length);
  const kept = new Set<string>();
  for (const i of plan.order) {
    const s = plan.steps[i]!;
    if (run.succeeded.has(s.id) && !undone[i] && s.dependsOn.every((d) => keptFlags[d])) {
      keptFlags[i] = 1;
      kept.add(s.id);
    }
  }
  return { previousStatus, lastSeq: run.lastSeq, kept, attempts: run.attempts };
}
