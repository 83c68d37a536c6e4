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
import type { ResolvedStep, RetryMatch, TriggerRule } from '../schema/resolved-plan.js';
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
  /** Skipped because it is up to date (`sources`): its dependents see it as succeeded. */
  UpToDate,
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
  [S.UpToDate]: 'skipped',
};

/** Not started and not ended: waiting for dependencies, a slot or a retry delay. */
function isWaiting(s: S): boolean {
  return s === S.Pending || s === S.Queued || s === S.RetryWait;
}

/** Nothing more happens to the step. */
function isEnded(s: S): boolean {
  return s === S.Succeeded || s === S.Failed || s === S.Skipped || s === S.Cancelled || s === S.UpToDate;
}

export type Decision =
  /** The step is ready: queue it for a slot, then start its next attempt. */
  | { kind: 'start'; step: number }
  /** Start attempt `attempt` after `delayMs`, then call {@link Scheduler.retryDue}. */
  | { kind: 'retry'; step: number; attempt: number; delayMs: number; reason: FailureReason }
  /** The failed attempt is not retried although attempts are left: `why` says so in its event. */
  | { kind: 'no_retry'; step: number; why: string }
  | { kind: 'skip'; step: number; reason: SkipReason; detail: string; upstream: number | null }
  /** A step that was not running is cancelled (a pending retry timer must be cleared). */
  | { kind: 'cancel'; step: number; reason: CancelReason; detail: string; upstream: number | null }
  /** A running step must be stopped; its attempt will end as cancelled, for `reason` (with
   * `upstream`, the failed step of an abort under `fail_fast`). */
  | { kind: 'kill'; step: number; forced: boolean; reason: CancelReason; upstream: number | null };

/** How an attempt ended, as the executor saw it. */
export type AttemptOutcome =
  | { kind: 'succeeded' }
  | { kind: 'failed'; reason: FailureReason; exitCode: number | null }
  | { kind: 'cancelled' };

/** What stopped a run besides its steps: a signal or `engine cancel`, or its `globals.timeout_sec`. */
export type CancelCause = 'request' | 'run_timeout';

export interface SchedulerOptions {
  /** `globals.fail_fast`: an aborting failure also stops the running steps. */
  failFast?: boolean;
  /** Uniform in [0, 1): draws jittered retry delays. Default Math.random. */
  random?: () => number;
}


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
  /** When the step's first attempt started (epoch ms), for its deadline; NaN before. */
  private readonly firstStartMs: Float64Array;
  private terminal = 0;
  private abortedBy = -1;
  private cancelled = false;
  private cancelCause: CancelCause = 'request';
  private forced = false;
  private criticalFailed = false;
  private readonly failFast: boolean;
  private readonly random: () => number;

  /** @param steps the plan's steps; `dependsOn` holds indices into this array. */
  constructor(
    private readonly steps: readonly ResolvedStep[],
    options: SchedulerOptions = {},
  ) {
    const n = steps.length;
    this.failFast = options.failFast ?? false;
    this.random = options.random ?? Math.random;
    this.firstStartMs = new Float64Array(n).fill(NaN);
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

  /** Marks a queued step as running and returns its new attempt number (1-based); `nowMs`
   * (epoch ms) of a first attempt starts the step's deadline. Returns 0 when the step is no
   * longer queued (cancelled while it waited for a slot). */
  startAttempt(i: number, nowMs = 0): number {
    if (this.status[i] !== S.Queued) return 0;
    this.status[i] = S.Running;
    if (Number.isNaN(this.firstStartMs[i]!)) this.firstStartMs[i] = nowMs;
    return ++this.attempts[i]!;
  }

  /** Epoch ms at which step `i`'s `deadline_sec` runs out; Infinity without one or before it started. */
  deadlineAt(i: number): number {
    const d = this.steps[i]!.retry.deadlineMs;
    const start = this.firstStartMs[i]!;
    return d === null || Number.isNaN(start) ? Infinity : start + d;
  }

  /**
   * A claimed step turned out up to date (`sources` unchanged since its last success): it is
   * skipped with reason `up_to_date`, and its dependents see it as succeeded.
   */
  upToDate(i: number, detail: string): Decision[] {
    const out: Decision[] = [{ kind: 'skip', step: i, reason: 'up_to_date', detail, upstream: null }];
    this.settle(i, S.UpToDate, out);
    return out;
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
   * The running attempt of step `i` ended at `nowMs` (epoch ms). Returns what follows: a retry,
   * or the step's final status propagated to its dependents (and an abort when a critical step
   * with `on_failure: abort` failed). Retry rules (issue 14): a spawn error or a reached
   * deadline is never retried (it would end the same way); `retry_on` filters the rest; a
   * retry whose delay would end past the step's deadline is not scheduled; `retry_jitter:
   * full` draws the delay from [0, computed delay].
   */
  attemptEnded(i: number, outcome: AttemptOutcome, nowMs = 0): Decision[] {
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
    if (attempt <= step.retry.retries && this.mayStart(step.triggerRule)) {
      let delayMs = retryDelayMs(step.retry, attempt);
      if (step.retry.jitter === 'full') delayMs = Math.floor(this.random() * delayMs);
      const why = notRetried(step, outcome, nowMs + delayMs >= this.deadlineAt(i));
      if (why === null) {
        this.status[i] = S.RetryWait;
        out.push({ kind: 'retry', step: i, attempt: attempt + 1, delayMs, reason: outcome.reason });
        return out;
      }
      out.push({ kind: 'no_retry', step: i, why });
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
  cancelRun(forced: boolean, cause: CancelCause = 'request'): Decision[] {
    const out: Decision[] = [];
    if (forced) this.forced = true;
    if (!this.cancelled) this.cancelCause = cause;
    this.cancelled = true;
    const victims: number[] = [];
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.status[i]!;
      if (s === S.Running) {
        if (forced || !this.mayStart(this.steps[i]!.triggerRule)) {
          out.push({ kind: 'kill', step: i, forced, reason: 'run_cancelled', upstream: null });
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

  /** Run result (issue 2): cancelled when the run was cancelled (failed when by its own
   * `timeout_sec`); failed when a critical step failed or an abort cancelled steps; otherwise
   * succeeded. */
  runStatus(): FinalRunStatus {
    if (this.cancelled) return this.cancelCause === 'run_timeout' ? 'failed' : 'cancelled';
    if (this.criticalFailed || this.abortedBy >= 0) return 'failed';
    return 'succeeded';
  }

  /** Why the run ended besides its steps: `run_timeout`, or null. */
  finishReason(): 'run_timeout' | null {
    return this.cancelled && this.cancelCause === 'run_timeout' ? 'run_timeout' : null;
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
      } else if (this.failFast && s === S.Running && !this.mayStart(this.steps[i]!.triggerRule)) {
        // fail_fast (issue 14, Airflow's fail_stop): running work is stopped, not left to finish.
        out.push({ kind: 'kill', step: i, forced: false, reason: 'abort', upstream: by });
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
      const isSatisfied = s === S.Succeeded || s === S.UpToDate || (s === S.Failed && !isFailed);
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

/**
 * Why a failed attempt is not retried although attempts are left, or null when it is: a
 * command that could not start and a reached deadline would fail again; `retry_on` may not
 * list the failure; the next attempt may start too late for the deadline.
 */
function notRetried(step: ResolvedStep, outcome: Extract<AttemptOutcome, { kind: 'failed' }>, pastDeadline: boolean): string | null {
  if (outcome.reason === 'spawn_error') return 'a command that cannot start is not retried';
  if (outcome.reason === 'deadline') return "the step's deadline was reached";
  const on = step.retry.on;
  if (on !== null && !on.some((m) => retryMatches(m, outcome))) {
    const what = outcome.reason === 'exit_code' ? `exit code ${outcome.exitCode}` : outcome.reason;
    return `${what} is not in retry_on`;
  }
  if (pastDeadline) return "the next attempt would start after the step's deadline";
  return null;
}

function retryMatches(m: RetryMatch, outcome: Extract<AttemptOutcome, { kind: 'failed' }>): boolean {
  if (m.kind === 'exit') return outcome.reason === 'exit_code' && outcome.exitCode !== null && outcome.exitCode >= m.from && outcome.exitCode <= m.to;
  return m.reason === outcome.reason;
}
