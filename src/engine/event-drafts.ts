/**
 * Pure functions from the plan, a scheduler decision or an attempt's result to the event that
 * records it. Masking of secret values happens here, once, so no event leaves the engine with
 * a secret in it. The recorder (recorder.ts) stamps `seq`, `ts` and `run_id` on the drafts.
 */
import type { ResolvedPlan, ResolvedStep } from '../schema/resolved-plan.js';
import type { AttemptResult, ExecutorReport } from './attempt.js';
import type { EventDraft, ExecutorRecord, RunFinishedEvent, RunResumedEvent, RunStartedEvent, StepStartedEvent } from './events.js';
import { MASK, type Masker } from './mask.js';
import { plannedSteps } from './planned-steps.js';
import type { Decision } from './scheduler.js';
import type { ResumeState } from './resume.js';
import { runExitCode, type CancelReason, type FinalRunStatus, type StepCounts } from './status.js';

type Draft<E> = Omit<E, 'seq' | 'ts' | 'run_id'>;

/** The engine process carrying out (this part of) a run. */
export interface EngineHost {
  pid: number;
  hostname: string;
  /** The run's cgroup (process/containment.ts), or null. */
  cgroup: string | null;
  /** Where it sends the run's steps (workers), or null. */
  executor: ExecutorRecord | null;
}

/** `run_started`: the plan, its variables (secrets as `***`) and every planned step. */
export function runStartedDraft(plan: ResolvedPlan, cwd: string, host: EngineHost, mask: Masker, parent: { runId: string; stepId: string } | null = null): Draft<RunStartedEvent> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(plan.vars)) vars[k] = mask(v);
  for (const k of plan.secretNames) vars[k] = '***';
  return {
    type: 'run_started',
    plan_id: plan.planId,
    plan_version: plan.version,
    plan_path: plan.path,
    plan_sha256: plan.sha256,
    cwd,
    vars,
    max_concurrency: plan.maxConcurrency,
    pid: host.pid,
    hostname: host.hostname,
    cgroup: host.cgroup,
    executor: host.executor,
    steps: plannedSteps(plan),
    parent_run_id: parent?.runId ?? null,
    parent_step_id: parent?.stepId ?? null,
  };
}

/** `run_resumed`: which steps are kept and which run again and why, in plan order. */
export function runResumedDraft(plan: ResolvedPlan, resume: ResumeState, host: EngineHost): Draft<RunResumedEvent> {
  const ids = plan.order.map((i) => plan.steps[i]!.id);
  const rerun = ids.filter((id) => !resume.kept.has(id));
  return {
    type: 'run_resumed',
    previous_status: resume.previousStatus,
    plan_id: plan.planId,
    plan_version: plan.version,
    plan_sha256: plan.sha256,
    pid: host.pid,
    hostname: host.hostname,
    cgroup: host.cgroup,
    executor: host.executor,
    kept: ids.filter((id) => resume.kept.has(id)),
    rerun,
    rerun_causes: rerun.map((id) => {
      const c = resume.rerun.get(id) ?? { cause: 'not_succeeded' };
      return { step_id: id, cause: c.cause, by: 'by' in c ? c.by : null };
    }),
    steps: plannedSteps(plan),
  };
}

/** What a started attempt is: its process, command as it runs (masked) and its times. */
export interface StartedAttempt {
  attempt: number;
  pid: number | null;
  logPath: string;
  /** Epoch ms when the step became ready (trigger rule held or retry delay ended). */
  readyAtMs: number;
  /** Epoch ms when its process was spawned. */
  startedAtMs: number;
  /** A plan step's child run, else null. */
  childRunId: string | null;
}

export function stepStartedDraft(step: ResolvedStep, a: StartedAttempt, mask: Masker): Draft<StepStartedEvent> {
  return {
    type: 'step_started',
    step_id: step.id,
    attempt: a.attempt,
    pid: a.pid,
    command: mask(step.command),
    args: step.args.map(mask),
    cwd: mask(step.cwd),
    log_path: a.logPath,
    ready_at_ms: a.readyAtMs,
    started_at_ms: a.startedAtMs,
    child_run_id: a.childRunId,
  };
}

/**
 * The event that ends an attempt: `step_succeeded`, `step_failed` (with `will_retry`) or
 * `step_cancelled` (the run was cancelled while it ran).
 */
export function attemptEndedDraft(
  step: ResolvedStep,
  attempt: number,
  result: AttemptResult,
  endedAtMs: number,
  next: { willRetry: boolean; notRetried: string | null; killedFor: KillCause | null },
  mask: Masker,
): EventDraft {
  switch (result.outcome) {
    case 'succeeded':
      return {
        type: 'step_succeeded',
        step_id: step.id,
        attempt,
        exit_code: result.exitCode,
        duration_ms: result.durationMs,
        ended_at_ms: endedAtMs,
        ...recordedOutputs(step, result.outputs, mask),
        instances: null,
      };
    case 'failed':
      return {
        type: 'step_failed',
        step_id: step.id,
        attempt,
        exit_code: result.exitCode,
        signal: result.signal,
        duration_ms: result.durationMs,
        reason: result.reason,
        error: mask(result.error),
        ended_at_ms: endedAtMs,
        will_retry: next.willRetry,
        not_retried: next.notRetried,
        instances: null,
      };
    case 'cancelled': {
      const why = next.killedFor;
      const abort = why?.reason === 'abort' ? why : null;
      const fanOut = why?.reason === 'fail_fast' ? why : null;
      return {
        type: 'step_cancelled',
        step_id: step.id,
        reason: abort ? 'abort' : fanOut ? 'fail_fast' : 'run_cancelled',
        detail: abort
          ? `stopped by fail_fast after step "${abort.upstream}" failed`
          : fanOut
            ? `stopped by fail_fast: more instances of "${fanOut.upstream}" failed than it tolerates`
            : 'run cancelled while the step was running',
        upstream: abort?.upstream ?? fanOut?.upstream ?? null,
        attempt,
        exit_code: result.exitCode,
        signal: result.signal,
        duration_ms: result.durationMs,
      };
    }
  }
}

/**
 * The `outputs` of a step_succeeded event: values masked (secret variables and the run's
 * secret outputs), the step's own `secret_outputs` as `***`; `masked_outputs` lists the keys
 * whose recorded value is not the real one.
 */
export function recordedOutputs(step: Pick<ResolvedStep, 'secretOutputs'>, outputs: Record<string, string>, mask: Masker): { outputs: Record<string, string>; masked_outputs: string[] } {
  const recorded: Record<string, string> = {};
  const masked: string[] = [];
  for (const [k, v] of Object.entries(outputs)) {
    const m = step.secretOutputs.includes(k) ? MASK : mask(v);
    recorded[k] = m;
    if (m !== v) masked.push(k);
  }
  return { outputs: recorded, masked_outputs: masked };
}

/** The `step_succeeded` / `step_failed` (attempt 0) of a matrix or for_each step that ended with its instances' verdict. */
export function groupEndedDraft(
  step: ResolvedStep,
  d: Extract<Decision, { kind: 'group_ended' }>,
  outputs: Record<string, string>,
  durationMs: number,
  endedAtMs: number,
  mask: Masker,
): EventDraft {
  if (d.status === 'succeeded') {
    return { type: 'step_succeeded', step_id: step.id, attempt: 0, exit_code: null, duration_ms: durationMs, ended_at_ms: endedAtMs, ...recordedOutputs(step, outputs, mask), instances: d.instances };
  }
  return {
    type: 'step_failed',
    step_id: step.id,
    attempt: 0,
    exit_code: null,
    signal: null,
    duration_ms: durationMs,
    reason: 'instances_failed',
    error: d.error ?? 'too many instances failed',
    ended_at_ms: endedAtMs,
    will_retry: false,
    not_retried: null,
    instances: d.instances,
  };
}

/** What an attempt port that sends attempts to workers reported, as its event. */
export function executorReportDraft(r: ExecutorReport): EventDraft {
  switch (r.kind) {
    case 'picked_up':
      return { type: 'step_picked_up', step_id: r.stepId, attempt: r.attempt, worker: r.worker, pid: r.pid, started_at_ms: r.startedAtMs };
    case 'result_discarded':
      return {
        type: 'step_result_discarded',
        step_id: r.stepId,
        attempt: r.attempt,
        worker: r.worker,
        outcome: r.result.outcome,
        exit_code: r.result.exitCode,
        detail: r.detail,
      };
    case 'unreachable':
      return { type: 'executor_unreachable', redis: r.redis, error: r.error, wait_limit_ms: r.waitLimitMs };
    case 'reconnected':
      return { type: 'executor_reconnected', redis: r.redis, down_ms: r.downMs };
  }
}

/** Why the run loop stopped a running step: the kill decision's reason, with the failed step's id for an abort. */
export interface KillCause {
  reason: CancelReason;
  upstream: string | null;
}

/** The event a retry, skip or cancel decision records; null for decisions that record nothing themselves (start, kill). */
export function decisionDraft(steps: readonly ResolvedStep[], d: Decision, mask: Masker): EventDraft | null {
  const stepId = steps[d.step]!.id;
  const upstreamId = (i: number | null): string | null => (i === null ? null : steps[i]!.id);
  switch (d.kind) {
    case 'group_ended':
      return null;
    case 'retry':
      return { type: 'step_retrying', step_id: stepId, attempt: d.attempt, delay_ms: d.delayMs, reason: d.reason };
    case 'skip':
      return { type: 'step_skipped', step_id: stepId, reason: d.reason, detail: mask(d.detail), upstream: upstreamId(d.upstream) };
    case 'cancel':
      return {
        type: 'step_cancelled',
        step_id: stepId,
        reason: d.reason,
        detail: d.detail,
        upstream: upstreamId(d.upstream),
        attempt: null,
        exit_code: null,
        signal: null,
        duration_ms: null,
      };
    case 'start':
    case 'kill':
    case 'no_retry':
      return null;
  }
}

export function runFinishedDraft(
  status: FinalRunStatus,
  durationMs: number,
  counts: StepCounts,
  why: { reason: RunFinishedEvent['reason']; detail: string | null } = { reason: null, detail: null },
): Draft<RunFinishedEvent> {
  return { type: 'run_finished', status, exit_code: runExitCode(status), duration_ms: durationMs, ...counts, reason: why.reason, detail: why.detail };
}
