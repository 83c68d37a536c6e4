/**
 * The scheduler is the run's state machine: it owns every step's status and decides what
 * happens next when something ends. It never spawns, waits or emits; the run loop
 * (run-plan.ts) carries out its {@link Decision}s. That keeps every policy rule (trigger rules,
 * retries, `on_failure`, `critical`, cancellation) in one place, testable without processes.
 *
 * Ancestor rule (issue 11): a step never starts while any of its ancestors (transitive
 * dependencies) is running or may still run. In a normal run this changes nothing: a
 * dependency that ran had every ancestor ended before it started. It matters when steps end
 * without running (cancelled by an abort or a cancel, skipped): a cleanup step after them
 * (`all_done`, releasing a lock) waits until the work upstream has really stopped.
 *
 * Cost: O(steps + edges) over a whole run. Each step keeps counters over its dependencies,
 * updated once per edge when a dependency ends (and once more when it becomes *quiet*: ended,
 * with every ancestor ended too), so a verdict is O(1). Propagation uses explicit work lists
 * (no recursion), so a 10,000-step chain of skips cannot overflow the stack.
 */
import type { ResolvedStep, TriggerRule } from '../schema/resolved-plan.js';
import type { CancelReason, FailureReason, FinalRunStatus, SkipReason, StepStatus } from './status.js';
import { retryDelayMs } from './retry.js';
import { evaluateTriggerRule, skipDetail } from './trigger-rules.js';

/** A step's phase: finer than its public {@link StepStatus}, which {@link PHASE_STATUS} gives. */
const enum S {
  Pending,
  /** Ready, waiting for a concurrency slot. */
  Queued,
  Running,
  /** Failed, waiting for the backoff delay before the next attempt. */
  RetryWait,
  Succeeded,
  Failed,
  Skipped,
  Cancelled,
}

/** Public status of each phase, indexed by phase. */
const PHASE_STATUS: Record<S, StepStatus> = {
  [S.Pending]: 'pending',
  [S.Queued]: 'pending',
  [S.Running]: 'running',
  [S.RetryWait]: 'pending',
  [S.Succeeded]: 'succeeded',
  [S.Failed]: 'failed',
  [S.Skipped]: 'skipped',
  [S.Cancelled]: 'cancelled',
};

/** Not started and not ended: waiting for dependencies, a slot or a retry delay. */
function isWaiting(s: S): boolean {
  return s === S.Pending || s === S.Queued || s === S.RetryWait;
}

/** Nothing more happens to the step. */
function isEnded(s: S): boolean {
  return s === S.Succeeded || s === S.Failed || s === S.Skipped || s === S.Cancelled;
}

export type Decision =
  /** The step is ready: queue it for a slot, then start its next attempt. */
  | { kind: 'start'; step: number }
  /** Start attempt `attempt` after `delayMs`, then call {@link Scheduler.retryDue}. */
  | { kind: 'retry'; step: number; attempt: number; delayMs: number; reason: FailureReason }
  | { kind: 'skip'; step: number; reason: SkipReason; detail: string; upstream: number | null }
  /** A step that was not running is cancelled (a pending retry timer must be cleared). */
  | { kind: 'cancel'; step: number; reason: CancelReason; detail: string; upstream: number | null }
  /** A running step must be stopped; its attempt will end as cancelled. */
  | { kind: 'kill'; step: number; forced: boolean };

/** How an attempt ended, as the executor saw it. */
export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'failed'; reason: FailureReason }
  | { kind: 'cancelled' };


export class Scheduler {
  private readonly status: Uint8Array;
  private readonly attempts: Uint32Array;
  private readonly done: Uint32Array;
  private readonly satisfied: Uint32Array;
  private readonly failed: Uint32Array;
  /** First dependency that ended unsatisfied / failed, -1 when none: names a skip's cause. */
  private readonly firstUnsatisfied: Int32Array;
  private readonly firstFailed: Int32Array;
  /** Dependencies that are quiet: ended, and so is every one of their ancestors. */
  private readonly quietDeps: Uint32Array;
  private readonly quiet: Uint8Array;
  /** Its trigger rule holds, but an ancestor may still run (the ancestor rule). */
  private readonly blocked: Uint8Array;
  /** Steps that became quiet, whose dependents are still to be told (see {@link markQuiet}). */
  private quietWork: number[] = [];
  private drainingQuiet = false;
  private readonly dependents: number[][];
  private terminal = 0;
  private abortedBy = -1;
  private cancelled = false;
  private forced = false;
  private criticalFailed = false;

  /** @param steps the plan's steps; `dependsOn` holds indices into this array. */
  constructor(private readonly steps: readonly ResolvedStep[]) {
    const n = steps.length;
    this.status = new Uint8Array(n);
    this.attempts = new Uint32Array(n);
    this.done = new Uint32Array(n);
    this.satisfied = new Uint32Array(n);
    this.failed = new Uint32Array(n);
    this.firstUnsatisfied = new Int32Array(n).fill(-1);
    this.firstFailed = new Int32Array(n).fill(-1);
    this.quietDeps = new Uint32Array(n);
    this.quiet = new Uint8Array(n);
    this.blocked = new Uint8Array(n);
    this.dependents = Array.from({ length: n }, () => []);
    for (const step of steps) {
      for (const dep of step.dependsOn) this.dependents[dep]!.push(step.index);
    }
  }

  /**
   * For `engine resume`, before {@link begin}: `kept` steps already succeeded in an earlier
   * part of the run; `attempts[i]` attempts of step i were made, so numbering continues.
   */
  restore(kept: readonly number[], attempts: ArrayLike<number>): void {
    for (let i = 0; i < this.steps.length; i++) this.attempts[i] = attempts[i] ?? 0;
    for (const i of kept) {
      this.status[i] = S.Succeeded;
      this.terminal++;
    }
    for (const i of kept) {
      for (const d of this.dependents[i]!) {
        this.done[d]!++;
        this.satisfied[d]!++;
      }
    }
    // Kept steps depend only on kept steps (resume.ts), so all of them are quiet.
    for (const i of kept) this.markQuiet(i, []);
  }

  /** Decisions for the run's start: pending steps whose dependencies have all ended (at the
   * start of a run, those without dependencies) are decided, in `order`. */
  begin(order: readonly number[]): Decision[] {
    const out: Decision[] = [];
    for (const i of order) {
      if (this.status[i] === S.Pending && this.done[i] === this.steps[i]!.dependsOn.length) this.decide(i, out);
    }
    return out;
  }

  /** Marks a queued step as running and returns its new attempt number (1-based).
   * Returns 0 when the step is no longer queued (cancelled while it waited for a slot). */
  startAttempt(i: number): number {
    if (this.status[i] !== S.Queued) return 0;
    this.status[i] = S.Running;
    return ++this.attempts[i]!;
  }

  /** Marks a queued step as running while its preconditions are checked, without starting
   * an attempt. Returns false when the step is no longer queued. */
  claim(i: number): boolean {
    if (this.status[i] !== S.Queued) return false;
    this.status[i] = S.Running;
    return true;
  }

  /**
   * A claimed step's preconditions were checked. `failure` (why one does not hold) skips the
   * step with reason `precondition`, and its dependents see a skipped dependency. When all
   * hold, the step is queued again for {@link startAttempt}, unless the run stopped meanwhile.
   */
  preconditionsChecked(i: number, failure: string | null): Decision[] {
    const out: Decision[] = [];
    if (!this.mayStart(this.steps[i]!.triggerRule)) {
      this.cancelStep(i, this.cancelled ? 'run_cancelled' : 'abort', this.abortedBy, out);
      this.propagateAll([i], out);
    } else if (failure !== null) {
      out.push({ kind: 'skip', step: i, reason: 'precondition', detail: failure, upstream: null });
      this.settle(i, S.Skipped, out);
    } else {
      this.status[i] = S.Queued;
    }
    return out;
  }

  /** The step's backoff delay has passed: queue it again (no-op if cancelled meanwhile). */
  retryDue(i: number): Decision[] {
    if (this.status[i] !== S.RetryWait) return [];
    this.status[i] = S.Queued;
    return [{ kind: 'start', step: i }];
  }

  /**
   * The running attempt of step `i` ended. Returns what follows: a retry, or the step's final
   * status propagated to its dependents (and an abort when a critical step with
   * `on_failure: abort` failed). A spawn error is never retried: it would fail the same way.
   */
  attemptEnded(i: number, outcome: AttemptOutcome): Decision[] {
    const out: Decision[] = [];
    const step = this.steps[i]!;
    if (outcome.kind === 'succeeded') {
      this.settle(i, S.Succeeded, out);
      return out;
    }
    if (outcome.kind === 'cancelled') {
      this.settle(i, S.Cancelled, out);
      return out;
    }
    const attempt = this.attempts[i]!;
    if (
      outcome.reason !== 'spawn_error' &&
      attempt <= step.retry.retries &&
      this.mayStart(step.triggerRule)
    ) {
      this.status[i] = S.RetryWait;
      const delayMs = retryDelayMs(step.retry, attempt);
      out.push({ kind: 'retry', step: i, attempt: attempt + 1, delayMs, reason: outcome.reason });
      return out;
    }
    if (step.critical) this.criticalFailed = true;
    if (step.critical && step.onFailure === 'abort' && this.abortedBy < 0) {
      // Abort first, so the step's own dependents are cancelled (not skipped) like the rest.
      this.status[i] = S.Failed;
      this.terminal++;
      this.markQuiet(i, out);
      this.abort(i, out);
      this.propagateAll([i], out);
      return out;
    }
    this.settle(i, S.Failed, out);
    return out;
  }

  /**
   * The run is asked to stop (SIGINT, SIGTERM, `engine cancel`). Pending steps are cancelled,
   * except `all_done` steps, which still run once their dependencies end, so cleanup such as
   * releasing a lock happens (issue 2). Running steps are killed. When `forced` (a second
   * request), cleanup steps are cancelled too.
   */
  cancelRun(forced: boolean): Decision[] {
    const out: Decision[] = [];
    if (forced) this.forced = true;
    this.cancelled = true;
    const victims: number[] = [];
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.status[i]!;
      if (s === S.Running) {
        if (forced || !this.mayStart(this.steps[i]!.triggerRule)) {
          out.push({ kind: 'kill', step: i, forced });
        }
      } else if (isWaiting(s) && !this.mayStart(this.steps[i]!.triggerRule)) {
        this.cancelStep(i, 'run_cancelled', -1, out);
        victims.push(i);
      }
    }
    this.propagateAll(victims, out);
    return out;
  }

  /** Public status of step `i`. */
  statusOf(i: number): StepStatus {
    return PHASE_STATUS[this.status[i] as S];
  }

  attemptsOf(i: number): number {
    return this.attempts[i]!;
  }

  /** True when every step has reached a terminal status. */
  isFinished(): boolean {
    return this.terminal === this.steps.length;
  }

  /** Run result (issue 2): cancelled when the run was cancelled; failed when a critical step
   * failed or an abort cancelled steps; otherwise succeeded. */
  runStatus(): FinalRunStatus {
    if (this.cancelled) return 'cancelled';
    if (this.criticalFailed || this.abortedBy >= 0) return 'failed';
    return 'succeeded';
  }

  /** Whether new attempts of a step with this rule may start now. During an abort only
   * `all_done` and `one_failed` steps start; after a cancel only `all_done`; after a forced
   * cancel none. */
  private mayStart(rule: TriggerRule): boolean {
    if (this.forced) return false;
    if (this.cancelled) return rule === 'all_done';
    if (this.abortedBy >= 0) return rule === 'all_done' || rule === 'one_failed';
    return true;
  }

  private abort(by: number, out: Decision[]): void {
    this.abortedBy = by;
    const victims: number[] = [];
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.status[i]!;
      if (isWaiting(s) && !this.mayStart(this.steps[i]!.triggerRule)) {
        this.cancelStep(i, 'abort', by, out);
        victims.push(i);
      }
    }
    this.propagateAll(victims, out);
  }

  private cancelStep(i: number, reason: CancelReason, upstream: number, out: Decision[]): void {
    this.status[i] = S.Cancelled;
    this.terminal++;
    this.blocked[i] = 0;
    const detail =
      reason === 'abort'
        ? `run aborted after step "${this.steps[upstream]!.id}" failed`
        : 'run cancelled';
    out.push({ kind: 'cancel', step: i, reason, detail, upstream: upstream < 0 ? null : upstream });
    this.markQuiet(i, out);
  }

  /** Sets a terminal status and propagates it through the dependents (iteratively). */
  private settle(i: number, status: S, out: Decision[]): void {
    this.status[i] = status;
    this.terminal++;
    // Quiet first, so that dependents whose rule now holds start at once instead of blocking.
    this.markQuiet(i, out);
    this.propagateAll([i], out);
  }

  /**
   * Step `i` has ended: once its dependencies are all quiet it is quiet too, and its dependents
   * learn it. A dependent whose trigger rule already holds starts when its last dependency
   * becomes quiet. Iterative over a shared work list: nested calls only add to it.
   */
  private markQuiet(i: number, out: Decision[]): void {
    if (this.quietDeps[i] === this.steps[i]!.dependsOn.length) this.quietWork.push(i);
    if (this.drainingQuiet) return;
    this.drainingQuiet = true;
    try {
      while (this.quietWork.length > 0) {
        const q = this.quietWork.pop()!;
        if (this.quiet[q]) continue;
        this.quiet[q] = 1;
        for (const d of this.dependents[q]!) {
          if (++this.quietDeps[d]! !== this.steps[d]!.dependsOn.length) continue;
          if (isEnded(this.status[d] as S)) this.quietWork.push(d);
          else if (this.blocked[d]) this.release(d, out);
        }
      }
    } finally {
      this.drainingQuiet = false;
    }
  }

  /** A blocked step's last ancestor ended: it starts now, unless the run stopped meanwhile. */
  private release(d: number, out: Decision[]): void {
    this.blocked[d] = 0;
    if (this.status[d] !== S.Pending) return;
    if (!this.mayStart(this.steps[d]!.triggerRule)) {
      this.cancelStep(d, this.cancelled ? 'run_cancelled' : 'abort', this.abortedBy, out);
      this.propagateAll([d], out);
      return;
    }
    this.status[d] = S.Queued;
    out.push({ kind: 'start', step: d });
  }

  private propagateAll(work: number[], out: Decision[]): void {
    while (work.length > 0) {
      const i = work.pop()!;
      const s = this.status[i]!;
      const isFailed = s === S.Failed && this.steps[i]!.onFailure !== 'continue';
      const isSatisfied = s === S.Succeeded || (s === S.Failed && !isFailed);
      for (const d of this.dependents[i]!) {
        if (this.status[d] !== S.Pending) continue;
        this.done[d]!++;
        if (isSatisfied) this.satisfied[d]!++;
        else if (this.firstUnsatisfied[d] === -1) this.firstUnsatisfied[d] = i;
        if (isFailed) {
          this.failed[d]!++;
          if (this.firstFailed[d] === -1) this.firstFailed[d] = i;
        }
        if (this.decide(d, out)) work.push(d);
      }
    }
  }

  /** Evaluates a pending step's trigger rule; returns true when it became terminal. */
  private decide(d: number, out: Decision[]): boolean {
    const step = this.steps[d]!;
    const verdict = evaluateTriggerRule(step.triggerRule, {
      total: step.dependsOn.length,
      done: this.done[d]!,
      satisfied: this.satisfied[d]!,
      failed: this.failed[d]!,
    });
    if (verdict === 'wait') return false;
    if (!this.mayStart(step.triggerRule)) {
      this.cancelStep(d, this.cancelled ? 'run_cancelled' : 'abort', this.abortedBy, out);
      return true;
    }
    if (verdict === 'run') {
      if (this.quietDeps[d] !== step.dependsOn.length) {
        this.blocked[d] = 1;
        return false;
      }
      this.status[d] = S.Queued;
      out.push({ kind: 'start', step: d });
      return false;
    }
    const cause = step.triggerRule === 'none_failed' ? this.firstFailed[d]! : this.firstUnsatisfied[d]!;
    this.status[d] = S.Skipped;
    this.terminal++;
    const upstream = cause >= 0 ? this.steps[cause]!.id : null;
    const upstreamStatus = cause >= 0 ? this.statusOf(cause) : '';
    out.push({
      kind: 'skip',
      step: d,
      reason: 'trigger_rule',
      detail: skipDetail(step.triggerRule, upstream, upstreamStatus),
      upstream: cause >= 0 ? cause : null,
    });
    this.markQuiet(d, out);
    return true;
  }
}
