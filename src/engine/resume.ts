/**
 * Resume rules (issue 4): from a run's recorded events and its reloaded plan to what
 * `engine resume` carries over. Pure: the command (src/commands/resume.ts) reads the events and
 * the plan file, this decides.
 */
import { ancestorClosure } from '../graph/dag.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import { unreachable, type EngineEvent, type RunStartedEvent } from './events.js';
import type { ResumableRunStatus, RunStatus } from './status.js';

/** Why a step runs again on resume. */
export type RerunCause =
  /** It did not succeed (failed, cancelled, skipped, interrupted, or never ran). */
  | { cause: 'not_succeeded' }
  /** A cleanup step (`all_done`) that already ran undid it: `by` names the cleanup. */
  | { cause: 'undone'; by: string }
  /** It comes after a step that runs again: `by` names that dependency. */
  | { cause: 'after_rerun'; by: string }
  /** Its recorded outputs are masked (a secret in them, or `secret_outputs`): they cannot be
   * handed on, so the step runs again to produce them (issue 13). */
  | { cause: 'masked_outputs' };

/** What `engine resume` carries over from the earlier part of a run. */
export interface ResumeState {
  previousStatus: ResumableRunStatus;
  /** seq of the run's last recorded event; numbering continues after it. */
  lastSeq: number;
  /** Ids of steps that succeeded and are kept. */
  kept: ReadonlySet<string>;
  /** Why each step that is not kept runs again, by step id. */
  rerun: ReadonlyMap<string, RerunCause>;
  /** Attempts already made per step id; attempt numbers continue after them. */
  attempts: ReadonlyMap<string, number>;
  /** Recorded outputs of the kept steps (instances of for_each steps included), by step id. */
  outputs: ReadonlyMap<string, Record<string, string>>;
  /** The last child run of each plan step (issue 13), which a rerun of the step resumes. */
  childRuns: ReadonlyMap<string, string>;
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
  /** Outputs of each step's last success, as recorded (masked values included). */
  outputs: ReadonlyMap<string, Record<string, string>>;
  /** Steps whose last success recorded masked outputs. */
  maskedOutputs: ReadonlySet<string>;
  /** Instance ids of each expanded for_each step (its last expansion). */
  expansions: ReadonlyMap<string, readonly string[]>;
  /** The last child run of each plan step. */
  childRuns: ReadonlyMap<string, string>;
}

/** Reads the record of a run from its events, in order; undefined when there is no `run_started`. */
export function recordedRun(events: readonly EngineEvent[]): RecordedRun | undefined {
  let started: RunStartedEvent | undefined;
  let status: RunStatus = 'running';
  const succeeded = new Set<string>();
  const attempts = new Map<string, number>();
  const outputs = new Map<string, Record<string, string>>();
  const maskedOutputs = new Set<string>();
  const expansions = new Map<string, readonly string[]>();
  const childRuns = new Map<string, string>();
  for (const e of events) {
    switch (e.type) {
      case 'run_started':
        started ??= e;
        break;
      case 'step_started':
        attempts.set(e.step_id, e.attempt);
        if (e.child_run_id) childRuns.set(e.step_id, e.child_run_id);
        break;
      case 'step_succeeded':
        succeeded.add(e.step_id);
        outputs.set(e.step_id, e.outputs ?? {});
        if (e.masked_outputs && e.masked_outputs.length > 0) maskedOutputs.add(e.step_id);
        else maskedOutputs.delete(e.step_id);
        break;
      case 'step_expanded':
        expansions.set(e.step_id, e.instances);
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
      case 'step_orphan_killed':
      case 'step_waiting':
      case 'run_waiting':
      case 'step_picked_up':
      case 'step_result_discarded':
      case 'executor_unreachable':
      case 'executor_reconnected':
        break;
      default:
        unreachable(e);
    }
  }
  if (!started) return undefined;
  return { started, status, lastSeq: events.at(-1)?.seq ?? 0, succeeded, attempts, outputs, maskedOutputs, expansions, childRuns };
}

/**
 * The resume state of `run` under `plan` (the plan file loaded again with the run's
 * variables). A succeeded step is kept unless one of two rules makes it run again (issue 11):
 * - a cleanup step (`all_done`) that already ran undid what came before it (released a lock,
 *   removed a worktree): every ancestor of it runs again, or, when the cleanup says precisely
 *   what it undoes (`undoes`), those steps;
 * - a step after one that runs again runs again too (its dependencies must all be kept), so a
 *   resumed safe merge takes its lock again before it works.
 */
export function resumeState(plan: ResolvedPlan, run: RecordedRun, previousStatus: ResumableRunStatus): ResumeState {
  const undoneBy = new Map<number, string>();
  for (const s of plan.steps) {
    if (s.triggerRule !== 'all_done' || (run.attempts.get(s.id) ?? 0) === 0) continue;
    const undone = s.undoes ?? ancestorsOf(s.index, plan);
    for (const d of undone) if (!undoneBy.has(d)) undoneBy.set(d, s.id);
  }
  const keptFlags = new Uint8Array(plan.steps.length);
  const kept = new Set<string>();
  const rerun = new Map<string, RerunCause>();
  for (const i of plan.order) {
    const s = plan.steps[i]!;
    const by = undoneBy.get(i);
    const rerunDep = s.dependsOn.find((d) => !keptFlags[d]);
    if (!run.succeeded.has(s.id)) rerun.set(s.id, { cause: 'not_succeeded' });
    else if (by !== undefined) rerun.set(s.id, { cause: 'undone', by });
    else if (rerunDep !== undefined) rerun.set(s.id, { cause: 'after_rerun', by: plan.steps[rerunDep]!.id });
    else if (run.maskedOutputs.has(s.id)) rerun.set(s.id, { cause: 'masked_outputs' });
    else {
      keptFlags[i] = 1;
      kept.add(s.id);
    }
    // A for_each step that runs again only because it did not succeed (what it depends on is
    // kept, so its item list is the same) keeps the instances that succeeded.
    if (s.kind === 'for_each' && rerun.get(s.id)?.cause === 'not_succeeded') {
      for (const id of run.expansions.get(s.id) ?? []) if (run.succeeded.has(id) && !run.maskedOutputs.has(id)) kept.add(id);
    }
  }
  const outputs = new Map<string, Record<string, string>>();
  for (const id of kept) outputs.set(id, run.outputs.get(id) ?? {});
  return { previousStatus, lastSeq: run.lastSeq, kept, rerun, attempts: run.attempts, outputs, childRuns: run.childRuns };
}

/** Every ancestor (transitive dependency) of step `i`. */
function ancestorsOf(i: number, plan: ResolvedPlan): number[] {
  const deps = plan.steps.map((s) => s.dependsOn);
  const closure = ancestorClosure(deps[i]!, deps);
  const out: number[] = [];
  for (let k = 0; k < closure.length; k++) if (closure[k]) out.push(k);
  return out;
}
