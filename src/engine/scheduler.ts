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
 * Fan-out (issue 13): a matrix step depends on its instances and runs nothing; once they have
 * all ended it ends with their verdict ({@link Decision} `group_ended`): failed when more
 * failed than `tolerated_failures`, else cancelled when one was cancelled, skipped when all
 * were, else succeeded. A for_each step is decided like any step; when it may start, the run
 * loop expands it ({@link Scheduler.expand}) and from then on it is such a group. An
 * instance's failure never aborts the run by itself (instances are `critical: false`); with
 * `fail_fast` the group's remaining instances are cancelled once the tolerance is exceeded.
 *
 * Cost: O(steps + edges) over a whole run. Each step keeps counters over its dependencies,
 * updated once per edge when a dependency ends (and once more when it becomes *quiet*: ended,
 * with every ancestor ended too), so a verdict is O(1). Propagation uses explicit work lists
 * (no recursion), so a 10,000-step chain of skips cannot overflow the stack.
 */
import type { ResolvedStep, RetryMatch, TriggerRule } from '../schema/resolved-plan.js';
import { toleratedCount } from '../schema/resolve.js';
import type { CancelReason, FailureReason, FinalRunStatus, SkipReason, StepCounts, StepStatus } from './status.js';
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
  | { kind: 'kill'; step: number; forced: boolean; reason: CancelReason; upstream: number | null }
  /** A matrix or for_each step ended with its instances' verdict (`error` says why it failed). */
  | { kind: 'group_ended'; step: number; status: 'succeeded' | 'failed'; instances: StepCounts & { total: number }; error: string | null };

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
  private readonly steps: ResolvedStep[];
  private status: Uint8Array;
  private attempts: Uint32Array;
  private done: Uint32Array;
  private satisfied: Uint32Array;
  private failed: Uint32Array;
  /** First dependency that ended unsatisfied / failed, -1 when none: names a skip's cause. */
  private firstUnsatisfied: Int32Array;
  private firstFailed: Int32Array;
  /** Dependencies that are quiet: ended, and so is every one of their ancestors. */
  private quietDeps: Uint32Array;
  private quiet: Uint8Array;
  /** Its trigger rule holds, but an ancestor may still run (the ancestor rule). */
  private blocked: Uint8Array;
  /** 1 for a step that ends with its instances' verdict (a matrix step, an expanded for_each step). */
  private aggregate: Uint8Array;
  /** Failed instances of each group so far, for `fail_fast`. */
  private groupFailures: Uint32Array;
  /** Why a skipped step was skipped (1 trigger rule, 2 precondition, 3 up to date), for its group's verdict. */
  private skippedBy: Uint8Array;
  /** Steps that became quiet, whose dependents are still to be told (see {@link markQuiet}). */
  private quietWork: number[] = [];
  private drainingQuiet = false;
  private readonly dependents: number[][];
  /** When the step's first attempt started (epoch ms), for its deadline; NaN before. */
  private firstStartMs: Float64Array;
  private terminal = 0;
  private abortedBy = -1;
  private cancelled = false;
  private cancelCause: CancelCause = 'request';
  private forced = false;
  private criticalFailed = false;
  private readonly failFast: boolean;
  private readonly random: () => number;

  /** @param steps the plan's steps; `dependsOn` holds indices into this array (copied). */
  constructor(steps: readonly ResolvedStep[], options: SchedulerOptions = {}) {
    this.steps = [...steps];
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
    this.aggregate = new Uint8Array(n);
    this.groupFailures = new Uint32Array(n);
    this.skippedBy = new Uint8Array(n);
    this.dependents = Array.from({ length: n }, () => []);
    for (const step of steps) {
      if (step.kind === 'matrix') this.aggregate[step.index] = 1;
      for (const dep of step.dependsOn) this.dependents[dep]!.push(step.index);
    }
  }

  /** Number of steps, instances of expanded for_each steps included. */
  get size(): number {
    return this.steps.length;
  }

  /**
   * A for_each step `g` that was told to start is expanded into `instances` (indices from
   * {@link size} on, each depending on what `g` depends on, all ended): they are queued
   * (except those in `kept`, which resume carries over as succeeded), and `g` now ends with
   * their verdict. With no instances `g` succeeds at once. `attempts[k]` attempts of
   * instance k were made in an earlier part of the run (resume), so numbering continues.
   * @throws Error when `g` is not a queued for_each step or an index is out of place
   */
  expand(g: number, instances: readonly ResolvedStep[], kept: ReadonlySet<number> = NO_KEPT, attempts: ArrayLike<number> = []): Decision[] {
    if (this.steps[g]!.kind !== 'for_each' || this.status[g] !== S.Queued) throw new Error(`expand: step ${g} is not a for_each step ready to start`);
    const out: Decision[] = [];
    const first = this.steps.length;
    this.grow(first + instances.length);
    const members: number[] = [];
    for (let k = 0; k < instances.length; k++) {
      const inst = instances[k]!;
      if (inst.index !== first + k) throw new Error(`expand: instance ${inst.id} has index ${inst.index}, expected ${first + k}`);
      this.steps.push(inst);
      this.dependents.push([g]);
      members.push(inst.index);
      this.attempts[inst.index] = attempts[k] ?? 0;
      // Its dependencies are g's: all ended and quiet (g started), and g's trigger rule held.
      this.done[inst.index] = inst.dependsOn.length;
      this.satisfied[inst.index] = inst.dependsOn.length;
      this.quietDeps[inst.index] = inst.dependsOn.length;
    }
    // all_done: like a matrix step, it waits for its instances even while the run stops.
    this.steps[g] = { ...this.steps[g]!, dependsOn: members, triggerRule: 'all_done' };
    this.aggregate[g] = 1;
    this.status[g] = S.Pending;
    this.done[g] = 0;
    this.satisfied[g] = 0;
    this.failed[g] = 0;
    this.quietDeps[g] = 0;
    if (members.length === 0) {
      out.push({ kind: 'group_ended', step: g, status: 'succeeded', instances: { total: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 }, error: null });
      this.settle(g, S.Succeeded, out);
      return out;
    }
    const keptNow: number[] = [];
    for (const i of members) {
      if (kept.has(i)) {
        this.status[i] = S.Succeeded;
        this.terminal++;
        keptNow.push(i);
      } else if (!this.mayStart(this.steps[i]!.triggerRule)) {
        this.cancelStep(i, this.cancelled ? 'run_cancelled' : 'abort', this.abortedBy, out);
        keptNow.push(i);
      } else {
        this.status[i] = S.Queued;
        out.push({ kind: 'start', step: i });
      }
    }
    for (const i of keptNow) this.markQuiet(i, out);
    this.propagateAll(keptNow, out);
    return out;
  }

  /**
   * A queued step fails before any attempt (issue 13): a reference to an output that does not
   * exist (`missing_output`), an unusable for_each list (`for_each_error`). Never retried; its
   * failure counts like any other (critical, on_failure). Returns null when the step is no
   * longer queued.
   */
  failBeforeStart(i: number): Decision[] | null {
    if (this.status[i] !== S.Queued) return null;
    const out: Decision[] = [];
    this.fail(i, out);
    return out;
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
    this.skippedBy[i] = 3;
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
      this.skippedBy[i] = 2;
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
    this.fail(i, out);
    return out;
  }

  /** Step `i` failed for good: the run fails when it is critical, and aborts under `on_failure: abort`. */
  private fail(i: number, out: Decision[]): void {
    const step = this.steps[i]!;
    if (step.critical) this.criticalFailed = true;
    if (step.critical && step.onFailure === 'abort' && this.abortedBy < 0) {
      // Abort first, so the step's own dependents are cancelled (not skipped) like the rest.
      this.status[i] = S.Failed;
      this.terminal++;
      this.markQuiet(i, out);
      this.abort(i, out);
      this.propagateAll([i], out);
      return;
    }
    this.settle(i, S.Failed, out);
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
        : reason === 'fail_fast'
          ? `fail_fast: more instances of "${this.steps[upstream]!.id}" failed than it tolerates`
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
    const g = this.steps[i]!.instanceOf;
    if (status === S.Failed && g !== null) this.instanceFailed(g, out);
    this.propagateAll([i], out);
  }

  /** An instance of group `g` failed: with `fail_fast`, once more failed than tolerated, the
   * group's waiting instances are cancelled and its running ones stopped. */
  private instanceFailed(g: number, out: Decision[]): void {
    const group = this.steps[g]!;
    const members = group.dependsOn;
    const failures = ++this.groupFailures[g]!;
    const fanOut = group.fanOut;
    if (!fanOut?.failFast || failures !== toleratedCount(fanOut.tolerated, members.length) + 1) return;
    const victims: number[] = [];
    for (const m of members) {
      const s = this.status[m]!;
      if (isWaiting(s)) {
        this.cancelStep(m, 'fail_fast', g, out);
        victims.push(m);
      } else if (s === S.Running) {
        out.push({ kind: 'kill', step: m, forced: false, reason: 'fail_fast', upstream: g });
      }
    }
    this.propagateAll(victims, out);
  }

  /**
   * The verdict of group `g` once every instance ended (issue 13; see the file comment).
   * Returns true when `g` became terminal and its dependents are still to be told (like
   * {@link decide}); a failure has told them already (an abort propagates itself).
   */
  private groupVerdict(g: number, out: Decision[]): boolean {
    const members = this.steps[g]!.dependsOn;
    const counts = { total: members.length, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
    let preconditionSkips = 0;
    for (const m of members) {
      const s = this.status[m]!;
      if (s === S.Failed) counts.failed++;
      else if (s === S.Cancelled) counts.cancelled++;
      else if (s === S.Skipped) {
        counts.skipped++;
        if (this.skippedBy[m] === 2) preconditionSkips++;
      } else counts.succeeded++;
    }
    const group = this.steps[g]!;
    const allowed = toleratedCount(group.fanOut!.tolerated, members.length);
    const of = `${counts.total} instance${counts.total === 1 ? '' : 's'}`;
    if (counts.failed > allowed) {
      const error = `${counts.failed} of ${of} failed (tolerated: ${allowed})`;
      out.push({ kind: 'group_ended', step: g, status: 'failed', instances: counts, error });
      this.fail(g, out);
      return false;
    }
    if (counts.cancelled > 0) {
      const reason: CancelReason = this.cancelled ? 'run_cancelled' : this.abortedBy >= 0 ? 'abort' : 'fail_fast';
      this.status[g] = S.Cancelled;
      out.push({ kind: 'cancel', step: g, reason, detail: `${counts.cancelled} of ${of} were cancelled`, upstream: reason === 'abort' ? this.abortedBy : null });
    } else if (counts.skipped === counts.total && counts.total > 0) {
      const reason: SkipReason = preconditionSkips === counts.total ? 'precondition' : 'trigger_rule';
      this.status[g] = S.Skipped;
      this.skippedBy[g] = reason === 'precondition' ? 2 : 1;
      out.push({ kind: 'skip', step: g, reason, detail: `all ${of} were skipped`, upstream: null });
    } else {
      this.status[g] = S.Succeeded;
      out.push({ kind: 'group_ended', step: g, status: 'succeeded', instances: counts, error: counts.failed > 0 ? `${counts.failed} of ${of} failed (tolerated: ${allowed})` : null });
    }
    this.terminal++;
    this.markQuiet(g, out);
    return true;
  }

  /** Makes room for `n` steps in every per-step array (for_each expansion). */
  private grow(n: number): void {
    if (n <= this.status.length) return;
    const cap = Math.max(n, this.status.length * 2);
    const widen = <T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(a: T, make: (len: number) => T, fill?: number): T => {
      const b = make(cap);
      if (fill !== undefined) b.fill(fill as never);
      b.set(a as never);
      return b;
    };
    this.status = widen(this.status, (l) => new Uint8Array(l));
    this.attempts = widen(this.attempts, (l) => new Uint32Array(l));
    this.done = widen(this.done, (l) => new Uint32Array(l));
    this.satisfied = widen(this.satisfied, (l) => new Uint32Array(l));
    this.failed = widen(this.failed, (l) => new Uint32Array(l));
    this.firstUnsatisfied = widen(this.firstUnsatisfied, (l) => new Int32Array(l), -1);
    this.firstFailed = widen(this.firstFailed, (l) => new Int32Array(l), -1);
    this.quietDeps = widen(this.quietDeps, (l) => new Uint32Array(l));
    this.quiet = widen(this.quiet, (l) => new Uint8Array(l));
    this.blocked = widen(this.blocked, (l) => new Uint8Array(l));
    this.aggregate = widen(this.aggregate, (l) => new Uint8Array(l));
    this.groupFailures = widen(this.groupFailures, (l) => new Uint32Array(l));
    this.skippedBy = widen(this.skippedBy, (l) => new Uint8Array(l));
    this.firstStartMs = widen(this.firstStartMs, (l) => new Float64Array(l), NaN);
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
    if (this.aggregate[d]) {
      if (this.done[d] !== step.dependsOn.length) return false;
      if (this.forced) {
        this.cancelStep(d, 'run_cancelled', -1, out);
        return true;
      }
      return this.groupVerdict(d, out);
    }
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
    this.skippedBy[d] = 1;
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
const NO_KEPT: ReadonlySet<number> = new Set();

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
