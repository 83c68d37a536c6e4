/**
 * The run loop turns a resolved plan into a run: it carries out the scheduler's decisions
 * (scheduler.ts), starts attempts under the concurrency limit, owns the retry timers and the
 * precondition checks in flight, and records every state change as an event. Event-driven
 * throughout: a step starts from the exit handler of its last dependency, never from a
 * polling loop.
 *
 * It depends only on its ports ({@link RunPorts}): how attempts and precondition commands are
 * carried out, where an attempt's log goes, extra environment for a step, and the clock. The
 * CLI wires the process stack and the state directory into them (src/commands/execute-run.ts);
 * unit tests wire fakes, so cancel, retries and preconditions are tested without processes.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import { bindStep, expandForEach, forEachText, type RunValueLookup } from '../schema/bind-step.js';
import type { Precondition, ResolvedPlan, ResolvedStep } from '../schema/resolved-plan.js';
import type { AttemptPort, AttemptResult, CheckPort, ChildRunPort, RunningAttempt } from './attempt.js';
import type { Clock } from './clock.js';
import { formatDuration } from '../format.js';
import { attemptEndedDraft, decisionDraft, executorReportDraft, groupEndedDraft, runFinishedDraft, runResumedDraft, runStartedDraft, stepStartedDraft, type EngineHost, type KillCause } from './event-drafts.js';
import type { CancelSource, EventSink, RunFinishedEvent } from './events.js';
import { createMasker, planSecrets, type Masker } from './mask.js';
import { RunValues } from './outputs.js';
import { plannedStep } from './planned-steps.js';
import { checkPreconditions, type RunningPreconditions } from './preconditions.js';
import { Recorder } from './recorder.js';
import type { ResumeState } from './resume.js';
import { Scheduler, type Decision } from './scheduler.js';
import type { FingerprintPort } from './fingerprint.js';
import type { MutexHolder, MutexPort, MutexRequest } from './mutex.js';
import { MutexGate } from './mutex-gate.js';
import { countSteps, type EndedStepStatus, type FailureReason, type FinalRunStatus } from './status.js';
import type { CancelTimer } from './timer.js';

/** What the run loop needs from the world. */
export interface RunPorts {
  attempts: AttemptPort;
  checks: CheckPort;
  /** Where attempt `attempt` (1-based) of a step writes its output. */
  logPath(stepId: string, attempt: number): string;
  /** Where attempt `attempt` of a step writes its outputs (`ENGINE_OUTPUT`, issue 13); its
   * directory exists. */
  outputPath(stepId: string, attempt: number): string;
  /** Extra environment of a step's process for `attempt` (0: its precondition commands),
   * merged last; called right before the process starts (the trace context). */
  stepEnv?(stepId: string, attempt: number): Record<string, string>;
  clock: Clock;
  /** Called once when every step has ended, before `run_finished` is recorded (the wiring
   * kills what the run left running there). */
  beforeFinish?(): Promise<void>;
  /** Cross-run mutexes (`mutex`, `globals.mutex`); without it, mutexes are not honoured. */
  mutexes?: MutexPort;
  /** Up-to-date checks of steps with `sources`; without it, such steps always run. */
  fingerprints?: FingerprintPort;
  /** Child runs of plan steps (issue 13); without it, a plan step fails as `spawn_error`. */
  childRuns?: ChildRunPort;
}

export interface RunOptions {
  plan: ResolvedPlan;
  runId: string;
  /** Directory the engine was invoked in (recorded for resume). */
  cwd: string;
  /** The environment every step starts from (the engine's own, normally). */
  baseEnv: NodeJS.ProcessEnv;
  host: EngineHost;
  sinks: readonly EventSink[];
  ports: RunPorts;
  /** Continue an earlier run (`engine resume`) instead of starting a new one. */
  resume?: ResumeState;
  /** Uniform in [0, 1), for jittered retry delays (default Math.random). */
  random?: () => number;
  /** A child run of a plan step (issue 13): the parent run and step, recorded in `run_started`. */
  parent?: { runId: string; stepId: string };
  /** The run's concurrency limit when something else shares it (the child runs of its plan
   * steps); default: a limit of `plan.maxConcurrency` of its own. */
  limit?: LimitFunction;
  /** The root run's concurrency limit: a child run's steps hold a slot of it too. */
  parentLimit?: LimitFunction;
  /** Secret values from the parent run, masked in this run's record as well. */
  inheritedSecrets?: readonly string[];
}

export class RunLoop {
  private readonly plan: ResolvedPlan;
  /** The plan's steps, then the instances of expanded for_each steps; a late step is replaced
   * by its bound form when it becomes ready. */
  private readonly steps: ResolvedStep[];
  /** Step index by id (instances included). */
  private readonly ids = new Map<string, number>();
  private readonly ports: RunPorts;
  private readonly scheduler: Scheduler;
  private readonly recorder: Recorder;
  private readonly limit: LimitFunction;
  /** `max_parallel` limits of matrix / for_each steps, by the step's index (created when first needed). */
  private readonly groupLimits = new Map<number, LimitFunction>();
  /** Instances of each matrix / for_each step, by its index. */
  private readonly instancesOf = new Map<number, number[]>();
  /** When each matrix / for_each step's first instance became ready (epoch ms), for its duration. */
  private readonly groupStartMs = new Map<number, number>();
  /** Statuses and outputs of ended steps, for `${steps.…}` references. */
  private readonly values = new RunValues();
  private readonly lookup: RunValueLookup;
  private mask: Masker;
  /** Secret values: the plan's secret variables, then values of `secret_outputs` as steps
   * produce them; [] when there are none (then no attempt is redacted). */
  private readonly secrets: string[];
  /** Decisions still to carry out (see {@link apply}). */
  private readonly queue: Decision[] = [];
  private applying = false;
  private readonly baseEnv: NodeJS.ProcessEnv;
  /** Position in plan.order up to which log files have been asked for ahead of time. */
  private prepareCursor = 0;
  /** Steps whose preconditions are being checked. */
  private readonly checking = new Map<number, RunningPreconditions>();
  /** When each queued step became ready (epoch ms), for `ready_at_ms`. */
  private readonly readyAt = new Map<number, number>();
  /** Running attempts by step index, with their start time (epoch ms). */
  private readonly running = new Map<number, { attempt: RunningAttempt; startMs: number }>();
  private readonly retryTimers = new Map<number, CancelTimer>();
  /** Why the loop stopped a running step (kill decisions), for its `step_cancelled` event. */
  private readonly killedFor = new Map<number, KillCause>();
  private cancelRunTimeout: CancelTimer | null = null;
  private readonly mutexGate: MutexGate;
  /** The run's `globals.mutex` request while it waits for it (the run has not begun). */
  private runMutex: MutexRequest | null = null;
  private begun = false;
  /** Fingerprints of steps checked for being up to date, recorded when they succeed. */
  private readonly fingerprints = new Map<number, string>();
  private startedAtMs = 0;
  private cancelRequests = 0;
  /** Every step has ended; `run_finished` follows (after the `beforeFinish` port). */
  private finishing = false;
  /** `run_finished` is recorded. */
  private finished = false;
  private resolveDone!: (e: RunFinishedEvent) => void;
  readonly done: Promise<RunFinishedEvent>;

  constructor(private readonly opts: RunOptions) {
    this.plan = opts.plan;
    this.steps = [...opts.plan.steps];
    for (const s of this.steps) {
      this.ids.set(s.id, s.index);
      if (s.kind === 'matrix') this.instancesOf.set(s.index, s.dependsOn);
    }
    this.ports = opts.ports;
    this.scheduler = new Scheduler(this.plan.steps, { failFast: this.plan.failFast, ...(opts.random ? { random: opts.random } : {}) });
    this.lookup = (ref) => this.values.lookup(ref);
    this.recorder = new Recorder(opts.runId, opts.sinks, opts.resume?.lastSeq ?? 0);
    // p-limit starts a task on a microtask after limit() returns, never inside the caller,
    // so a decision is recorded before the attempt it leads to starts; queued tasks run in
    // FIFO order, the order the scheduler found the steps ready.
    const own = opts.limit ?? pLimit(this.plan.maxConcurrency);
    const parentLimit = opts.parentLimit;
    // A child run's step holds a slot of its own run and one of the root run's.
    this.limit = parentLimit ? (((fn: () => Promise<void>) => own(() => parentLimit(fn))) as LimitFunction) : own;
    this.secrets = [...new Set([...planSecrets(this.plan), ...(opts.inheritedSecrets ?? [])])];
    this.mask = createMasker(this.secrets);
    this.baseEnv = { ...opts.baseEnv, ENGINE_RUN_ID: opts.runId };
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.mutexGate = new MutexGate(this.ports.mutexes, (i, mutex, holder) =>
      this.recorder.emit({ type: 'step_waiting', step_id: this.steps[i]!.id, mutex, holder_run_id: holder.runId, holder_step_id: holder.stepId }),
    );
    // Nothing is recorded after run_finished: a worker's report that comes later is dropped.
    this.ports.attempts.listen?.((r) => {
      if (!this.finished) this.recorder.emit(executorReportDraft(r));
    });
  }

  /** Starts the run (or resumes it); `done` resolves with the `run_finished` event. */
  start(): Promise<RunFinishedEvent> {
    this.startedAtMs = this.ports.clock.now();
    const { plan, opts } = this;
    const resume = opts.resume;
    if (resume) {
      const kept = plan.order.filter((i) => resume.kept.has(plan.steps[i]!.id));
      this.scheduler.restore(kept, plan.steps.map((s) => resume.attempts.get(s.id) ?? 0));
      // Kept steps' recorded outputs feed the steps that run again.
      for (const i of kept) this.values.ended(plan.steps[i]!.id, 'succeeded', resume.outputs.get(plan.steps[i]!.id) ?? {});
      this.recorder.emit(runResumedDraft(plan, resume, opts.host));
    } else {
      this.recorder.emit(runStartedDraft(plan, opts.cwd, opts.host, this.mask, opts.parent ?? null));
    }
    if (plan.timeoutMs !== null) {
      this.cancelRunTimeout = this.ports.clock.setTimer(plan.timeoutMs, () => this.cancel('none', 'run_timeout'));
    }
    if (plan.mutex && this.ports.mutexes) this.waitForRunMutex(plan.mutex.name, plan.mutex.onBusy, this.ports.mutexes);
    else this.begin();
    return this.done;
  }

  private begin(): void {
    this.begun = true;
    this.apply(this.scheduler.begin(this.plan.order));
    this.prepareLogs();
  }

  /**
   * `globals.mutex`: the run begins once it holds the name. When it is busy: `wait` records
   * `run_waiting` and waits; `cancel_other` also asks the holder's engine to cancel; `fail`
   * ends the run at once as failed (reason `mutex_busy`, naming the holder).
   */
  private waitForRunMutex(name: string, onBusy: 'wait' | 'fail' | 'cancel_other', port: MutexPort): void {
    let busyWith: MutexHolder | null = null;
    const request = port.acquire(name, null, (holder) => {
      busyWith = holder;
      if (onBusy === 'fail') return;
      if (onBusy === 'cancel_other') port.cancelHolder(holder);
      this.recorder.emit({ type: 'run_waiting', mutex: name, holder_run_id: holder.runId, holder_step_id: holder.stepId, cancelled_holder: onBusy === 'cancel_other' });
    });
    if (onBusy === 'fail' && busyWith !== null) {
      request.cancel();
      const holder: MutexHolder = busyWith;
      const who = `run ${holder.runId}${holder.stepId ? ` (step "${holder.stepId}")` : ''}`;
      this.finishNow({ reason: 'mutex_busy', detail: `mutex "${name}" is held by ${who} (on_mutex_busy: fail)` });
      return;
    }
    this.runMutex = request;
    void request.held.then(() => {
      if (this.runMutex !== request) return;
      this.runMutex = null;
      this.begin();
    });
  }

  /**
   * Asks the run to stop (SIGINT, SIGTERM, `engine cancel`). The first request cancels pending
   * steps and stops running ones gracefully while `all_done` cleanup steps still run; the
   * second also cancels those, kills everything with SIGKILL and finishes at once.
   * `requestedByPid`: the process that asked, when known (`engine cancel`, the dashboard).
   */
  cancel(signal: string, source: CancelSource = 'signal', requestedByPid: number | null = null): void {
    if (this.finishing) return;
    const forced = ++this.cancelRequests > 1;
    this.recorder.emit({ type: 'run_cancel_requested', signal, source, requested_by_pid: requestedByPid, forced });
    if (!this.begun) {
      // Still waiting for globals.mutex: nothing ran, so nothing needs cleaning up.
      this.runMutex?.cancel();
      this.runMutex = null;
      this.apply(this.scheduler.cancelRun(true, source === 'run_timeout' ? 'run_timeout' : 'request'));
      return;
    }
    this.apply(this.scheduler.cancelRun(forced, source === 'run_timeout' ? 'run_timeout' : 'request'));
    if (!forced) return;
    const now = this.ports.clock.now();
    for (const [i, { startMs }] of this.running) {
      this.running.delete(i);
      this.attemptEnded(i, { outcome: 'cancelled', exitCode: null, signal: 'SIGKILL', durationMs: Math.round(now - startMs) });
    }
    for (const [i, check] of this.checking) {
      this.checking.delete(i);
      check.cancel();
      this.apply(this.scheduler.preconditionsChecked(i, null));
    }
  }

  /**
   * Carries out decisions in order. Carrying one out may produce more (a step that fails before
   * it starts): they queue behind the rest, so events keep the order of the decisions, and
   * `run_finished` comes only after the last one.
   */
  private apply(decisions: readonly Decision[]): void {
    for (const d of decisions) this.queue.push(d);
    if (this.applying) return;
    this.applying = true;
    try {
      for (let k = 0; k < this.queue.length; k++) this.carryOut(this.queue[k]!);
    } finally {
      this.queue.length = 0;
      this.applying = false;
    }
    if (!this.finishing && this.scheduler.isFinished()) {
      this.finishing = true;
      const before = this.ports.beforeFinish?.();
      if (before) void before.then(() => this.finish());
      else this.finish();
    }
  }

  private carryOut(d: Decision): void {
    if (d.kind === 'group_ended') {
      this.groupEnded(d);
      return;
    }
    const draft = decisionDraft(this.steps, d, this.mask);
    if (draft) this.recorder.emit(draft);
    switch (d.kind) {
      case 'start':
        this.ready(d.step);
        break;
      case 'retry':
        this.retryTimers.set(
          d.step,
          this.ports.clock.setTimer(d.delayMs, () => {
            this.retryTimers.delete(d.step);
            this.apply(this.scheduler.retryDue(d.step));
          }),
        );
        break;
      case 'skip':
        this.values.ended(this.steps[d.step]!.id, 'skipped', null);
        this.dropPreparedLog(d.step);
        this.mutexGate.leave(d.step);
        break;
      case 'cancel':
        this.values.ended(this.steps[d.step]!.id, 'cancelled', null);
        this.dropPreparedLog(d.step);
        this.mutexGate.leave(d.step);
        this.retryTimers.get(d.step)?.();
        this.retryTimers.delete(d.step);
        break;
      case 'kill':
        if (!this.killedFor.has(d.step)) {
          this.killedFor.set(d.step, { reason: d.reason, upstream: d.upstream === null ? null : this.steps[d.upstream]!.id });
        }
        this.running.get(d.step)?.attempt.cancel(d.forced);
        this.checking.get(d.step)?.cancel();
        break;
      case 'no_retry':
        break;
    }
  }

  /**
   * Step `i` may start: a for_each step is expanded; a late step is bound (a reference to an
   * output that does not exist fails it, reason `missing_output`); then it waits for its mutex,
   * its matrix's `max_parallel` slot and a run slot, in that order.
   */
  private ready(i: number): void {
    let step = this.steps[i]!;
    const now = this.ports.clock.now();
    this.readyAt.set(i, now);
    if (step.kind === 'for_each' && !this.instancesOf.has(i)) {
      this.expand(i);
      return;
    }
    if (step.late !== null) {
      const bound = bindStep(this.plan, step, this.lookup);
      if ('missing' in bound) {
        this.failBeforeStart(i, 'missing_output', bound.missing.join('; '));
        return;
      }
      step = bound.step;
      this.steps[i] = step;
    }
    const g = step.instanceOf;
    if (g !== null && !this.groupStartMs.has(g)) this.groupStartMs.set(g, now);
    // A plan step runs nothing itself: its child run's steps take the slots.
    const slot = step.kind === 'plan' ? () => this.runStep(i) : () => this.limit(() => this.runStep(i));
    const groupLimit = g === null ? null : this.groupLimit(g);
    // A step waiting for its mutex holds no concurrency slot.
    this.mutexGate.enter(i, step.id, step.mutex, groupLimit ? () => void groupLimit(slot) : () => void slot());
  }

  /** The `max_parallel` limit of matrix / for_each step `g`, or null without one. */
  private groupLimit(g: number): LimitFunction | null {
    const max = this.steps[g]!.fanOut?.maxParallel ?? null;
    if (max === null) return null;
    let limit = this.groupLimits.get(g);
    if (!limit) {
      limit = pLimit(max);
      this.groupLimits.set(g, limit);
    }
    return limit;
  }

  /**
   * Expands for_each step `g` (issue 13): its item list from outputs, one instance per item,
   * recorded as `step_expanded` before any of them starts. A list that is missing or unusable
   * fails the step.
   */
  private expand(g: number): void {
    const node = this.steps[g]!;
    const text = forEachText(this.plan, node, this.lookup);
    if ('missing' in text) {
      this.failBeforeStart(g, 'missing_output', text.missing.join('; '));
      return;
    }
    const r = expandForEach(this.plan, node, text.text, this.steps.length);
    if ('error' in r) {
      this.failBeforeStart(g, 'for_each_error', this.mask(r.error));
      return;
    }
    const members: number[] = [];
    for (const inst of r.instances) {
      this.steps.push(inst);
      this.ids.set(inst.id, inst.index);
      members.push(inst.index);
    }
    this.instancesOf.set(g, members);
    this.groupStartMs.set(g, this.ports.clock.now());
    const ids = r.instances.map((s) => s.id);
    this.values.expanded(node.id, ids);
    const kept = new Set<number>();
    const resume = this.opts.resume;
    if (resume) {
      for (const inst of r.instances) {
        if (!resume.kept.has(inst.id)) continue;
        kept.add(inst.index);
        this.values.ended(inst.id, 'succeeded', resume.outputs.get(inst.id) ?? {});
      }
    }
    const keptIds = r.instances.filter((s) => kept.has(s.index)).map((s) => s.id);
    this.recorder.emit({ type: 'step_expanded', step_id: node.id, instances: ids, steps: r.instances.map((s) => plannedStep(this.steps, s)), kept: keptIds });
    // Attempt numbers of an instance that ran before (resume) continue after its last one.
    const attempts = resume ? r.instances.map((s) => resume.attempts.get(s.id) ?? 0) : [];
    this.apply(this.scheduler.expand(g, r.instances, kept, attempts));
  }

  /** Step `i` fails before any attempt, recorded as a `step_failed` of attempt 0. */
  private failBeforeStart(i: number, reason: FailureReason, error: string): void {
    const decisions = this.scheduler.failBeforeStart(i);
    if (decisions === null) return;
    const now = this.ports.clock.now();
    this.recorder.emit({
      type: 'step_failed',
      step_id: this.steps[i]!.id,
      attempt: 0,
      exit_code: null,
      signal: null,
      duration_ms: 0,
      reason,
      error: this.mask(error),
      ended_at_ms: now,
      will_retry: false,
      not_retried: null,
      instances: null,
    });
    this.values.ended(this.steps[i]!.id, 'failed', null);
    this.readyAt.delete(i);
    this.apply(decisions);
  }

  /** A matrix / for_each step ended with its instances' verdict: its outputs are theirs, as JSON arrays. */
  private groupEnded(d: Extract<Decision, { kind: 'group_ended' }>): void {
    const step = this.steps[d.step]!;
    const members = (this.instancesOf.get(d.step) ?? []).map((m) => this.steps[m]!.id);
    const outputs = d.status === 'succeeded' ? this.values.aggregate(members) : null;
    const now = this.ports.clock.now();
    const durationMs = Math.round(now - (this.groupStartMs.get(d.step) ?? now));
    this.recorder.emit(groupEndedDraft(step, d, outputs ?? {}, durationMs, now, this.mask));
    this.values.ended(step.id, d.status, outputs);
  }

  /** A step's turn under the concurrency limit: its preconditions (first attempt only), then an attempt. */
  private async runStep(i: number): Promise<void> {
    const step = this.steps[i]!;
    if (step.preconditions.length > 0 && this.scheduler.attemptsOf(i) === 0) {
      if (!this.scheduler.claim(i)) return;
      const check = checkPreconditions(step.preconditions, {
        cwd: step.cwd,
        env: this.stepEnv(step, 0),
        timeoutMs: step.timeoutMs,
        killGraceMs: this.plan.killGraceMs,
        checks: this.ports.checks,
      });
      this.checking.set(i, check);
      const failure = await check.result;
      // A forced cancel may already have ended this step.
      if (this.checking.get(i) !== check) return;
      this.checking.delete(i);
      const decisions = this.scheduler.preconditionsChecked(i, failure);
      if (decisions.length > 0) {
        this.apply(decisions);
        return;
      }
    }
    if (step.sources !== null && this.ports.fingerprints && this.scheduler.attemptsOf(i) === 0 && !(await this.upToDateCheck(i, step, this.ports.fingerprints))) return;
    const attemptNo = this.scheduler.startAttempt(i, this.ports.clock.now());
    if (attemptNo === 0) return;
    const logPath = this.ports.logPath(step.id, attemptNo);
    if (step.kind === 'plan') {
      this.startChildRun(i, step, attemptNo, logPath);
      return;
    }
    const outputPath = this.ports.outputPath(step.id, attemptNo);
    const attempt = this.ports.attempts.start({
      stepId: step.id,
      attempt: attemptNo,
      command: step.command,
      args: step.args,
      shell: step.shell,
      cwd: step.cwd,
      env: { ...this.stepEnv(step, attemptNo), ENGINE_OUTPUT: outputPath },
      logPath,
      outputPath,
      timeoutMs: step.timeoutMs,
      idleTimeoutMs: step.idleTimeoutMs,
      deadlineMs: this.deadlineLeft(i),
      killSignal: step.killSignal,
      killGraceMs: step.killGraceMs,
      successExitCodes: step.successExitCodes,
      redact: this.secrets.length === 0 ? NO_SECRETS : secretsReceivedBy(step, this.secrets),
    });
    const startMs = this.ports.clock.now();
    this.prepareLogs();
    const entry = { attempt, startMs };
    this.running.set(i, entry);
    const readyAtMs = this.readyAt.get(i) ?? startMs;
    this.readyAt.delete(i);
    this.recorder.emit(stepStartedDraft(step, { attempt: attemptNo, pid: attempt.pid, logPath, readyAtMs, startedAtMs: startMs, childRunId: null }, this.mask));
    const result = await attempt.result;
    // A forced cancel may already have recorded this attempt as cancelled.
    if (this.running.get(i) !== entry) return;
    this.running.delete(i);
    this.attemptEnded(i, result);
  }

  /**
   * A plan step's attempt: a child run (issue 13) through the child-run port. A resumed
   * parent continues the child run this step started before, if any.
   */
  private startChildRun(i: number, step: ResolvedStep, attemptNo: number, logPath: string): void {
    const sub = step.subPlan!;
    const port = this.ports.childRuns;
    const attempt = port
      ? port.start({
          stepId: step.id,
          attempt: attemptNo,
          planPath: sub.path,
          vars: sub.vars,
          secrets: this.secrets,
          logPath,
          previousChildRunId: this.opts.resume?.childRuns.get(step.id) ?? null,
        })
      : { childRunId: null, pid: null, cancel: () => {}, result: Promise.resolve<AttemptResult>({ outcome: 'failed', reason: 'spawn_error', exitCode: null, signal: null, durationMs: 0, error: 'this engine cannot run child plans here' }) };
    const startMs = this.ports.clock.now();
    const entry = { attempt, startMs };
    this.running.set(i, entry);
    const readyAtMs = this.readyAt.get(i) ?? startMs;
    this.readyAt.delete(i);
    this.recorder.emit({ ...stepStartedDraft(step, { attempt: attemptNo, pid: null, logPath, readyAtMs, startedAtMs: startMs, childRunId: attempt.childRunId }, this.mask), command: step.subPlan!.path, args: [] });
    void attempt.result.then((result) => {
      if (this.running.get(i) !== entry) return;
      this.running.delete(i);
      this.attemptEnded(i, result);
    });
  }

  /**
   * Checks whether a step with `sources` is up to date; when it is, it is skipped (reason
   * `up_to_date`). Returns whether the step should go on to its first attempt.
   */
  private async upToDateCheck(i: number, step: ResolvedStep, port: FingerprintPort): Promise<boolean> {
    if (!this.scheduler.claim(i)) return false;
    let cancelled = false;
    const check = { result: port.check(step).then((r) => (cancelled ? null : r)), cancel: () => (cancelled = true) };
    this.checking.set(i, { result: check.result.then(() => null), cancel: check.cancel });
    const r = await check.result;
    if (this.checking.get(i)?.cancel !== check.cancel) return false;
    this.checking.delete(i);
    if (r?.upToDate) {
      this.apply(this.scheduler.upToDate(i, `up to date: ${r.detail}`));
      return false;
    }
    if (r) this.fingerprints.set(i, r.fingerprint);
    const decisions = this.scheduler.preconditionsChecked(i, null);
    if (decisions.length > 0) {
      this.apply(decisions);
      return false;
    }
    return true;
  }

  private attemptEnded(i: number, result: AttemptResult): void {
    const endedAt = this.ports.clock.now();
    const step = this.steps[i]!;
    if (result.outcome === 'succeeded' && step.secretOutputs.length > 0) this.addSecretOutputs(step, result.outputs);
    const attemptNo = this.scheduler.attemptsOf(i);
    const decisions = this.scheduler.attemptEnded(
      i,
      result.outcome === 'failed' ? { kind: 'failed', reason: result.reason, exitCode: result.exitCode } : { kind: result.outcome },
      endedAt,
    );
    const willRetry = decisions.some((d) => d.kind === 'retry' && d.step === i);
    const noRetry = decisions.find((d) => d.kind === 'no_retry' && d.step === i);
    const next = { willRetry, notRetried: noRetry?.kind === 'no_retry' ? noRetry.why : null, killedFor: this.killedFor.get(i) ?? null };
    this.killedFor.delete(i);
    this.recorder.emit(attemptEndedDraft(step, attemptNo, result, endedAt, next, this.mask));
    if (!willRetry) {
      const status: EndedStepStatus = result.outcome === 'succeeded' ? 'succeeded' : result.outcome === 'failed' ? 'failed' : 'cancelled';
      this.values.ended(step.id, status, result.outcome === 'succeeded' ? result.outputs : null);
    }
    const fingerprint = this.fingerprints.get(i);
    if (result.outcome === 'succeeded' && fingerprint !== undefined) this.ports.fingerprints?.record(step, fingerprint, attemptNo);
    if (!willRetry) this.mutexGate.leave(i);
    this.apply(decisions);
  }

  /**
   * Values of a step's `secret_outputs` become secrets of the run: masked in every event and
   * redacted from the output of every later attempt that receives them.
   */
  private addSecretOutputs(step: ResolvedStep, outputs: Record<string, string>): void {
    let added = false;
    for (const key of step.secretOutputs) {
      const v = outputs[key];
      if (v === undefined || v === '' || this.secrets.includes(v)) continue;
      this.secrets.push(v);
      added = true;
    }
    if (added) this.mask = createMasker(this.secrets);
  }

  /** What is left of step `i`'s `deadline_sec` for its next attempt, in ms; null without one. */
  private deadlineLeft(i: number): number | null {
    const at = this.scheduler.deadlineAt(i);
    return at === Infinity ? null : Math.max(0, at - this.ports.clock.now());
  }

  private stepEnv(step: ResolvedStep, attempt: number): NodeJS.ProcessEnv {
    return {
      ...this.baseEnv,
      ...step.env,
      ENGINE_STEP_ID: step.id,
      ENGINE_ATTEMPT: String(attempt),
      ...this.ports.stepEnv?.(step.id, attempt),
    };
  }

  /**
   * Asks the attempt port to prepare the attempt-1 log files of the next steps in plan order
   * that have not started, as many as it has room for. Steps start roughly in plan order (the
   * scheduler breaks ties by it), so these are the files needed next.
   */
  private prepareLogs(): void {
    const logs = this.ports.attempts.logs;
    if (!logs) return;
    const { order } = this.plan;
    const steps = this.steps;
    while (logs.hasRoom && this.prepareCursor < order.length) {
      const i = order[this.prepareCursor++]!;
      // Only command steps open a log file for their process (a plan step's log is a few notes).
      if (steps[i]!.kind !== 'command' || this.scheduler.attemptsOf(i) !== 0) continue;
      const status = this.scheduler.statusOf(i);
      if (status !== 'pending' && status !== 'running') continue;
      logs.want(this.ports.logPath(steps[i]!.id, 1), this.ports.outputPath(steps[i]!.id, 1));
    }
  }

  /** A step that will not start gives back its prepared log file. */
  private dropPreparedLog(i: number): void {
    const logs = this.ports.attempts.logs;
    if (logs && this.scheduler.attemptsOf(i) === 0) logs.drop(this.ports.logPath(this.steps[i]!.id, 1));
  }

  private finish(): void {
    const reason = this.scheduler.finishReason();
    const detail = reason === 'run_timeout' ? `the run's timeout (globals.timeout_sec) of ${formatDuration(this.plan.timeoutMs)} was reached` : null;
    this.recordFinish(this.scheduler.runStatus(), { reason, detail });
  }

  /** Ends the run before any step began (its globals.mutex is busy and on_mutex_busy is fail). */
  private finishNow(why: { reason: 'mutex_busy'; detail: string }): void {
    this.finishing = true;
    this.recordFinish('failed', why);
  }

  private recordFinish(status: FinalRunStatus, why: { reason: RunFinishedEvent['reason']; detail: string | null }): void {
    const statuses = this.steps.map((_, i) => this.scheduler.statusOf(i));
    const durationMs = Math.round(this.ports.clock.now() - this.startedAtMs);
    const event = this.recorder.emit(runFinishedDraft(status, durationMs, countSteps(statuses), why)) as RunFinishedEvent;
    this.finished = true;
    this.cancelRunTimeout?.();
    this.mutexGate.close();
    if (this.plan.mutex && this.begun) this.ports.mutexes?.release(this.plan.mutex.name, null);
    for (const cancelTimer of this.retryTimers.values()) cancelTimer();
    this.ports.attempts.logs?.discard();
    this.resolveDone(event);
  }
}

const NO_SECRETS: readonly string[] = [];

/** The secret values that appear in what a step's process receives: command, args, cwd, env, preconditions. */
function secretsReceivedBy(step: ResolvedStep, secrets: readonly string[]): readonly string[] {
  const texts = [step.command, ...step.args, step.cwd, ...Object.values(step.env)];
  for (const p of step.preconditions) preconditionTexts(p, texts);
  return secrets.filter((s) => texts.some((t) => t.includes(s)));
}

function preconditionTexts(p: Precondition, out: string[]): void {
  if (p.kind === 'command') out.push(p.command, ...p.args);
  else if (p.kind === 'not') preconditionTexts(p.check, out);
  else out.push(p.value);
}
