/**
 * Turns a resolved plan into a run: carries out the scheduler's decisions, starts attempts
 * through the executor under the concurrency limit (concurrency-limit.ts), and emits every
 * state change as an event. Event-driven throughout: a step starts from the exit handler of its last
 * dependency, never from a polling loop.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ResolvedPlan, ResolvedStep } from '../schema/resolved-plan.js';
import { logsDir, stepLogPath } from '../state/paths.js';
import type { EventSink, RunFinishedEvent } from './events.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { startAttempt, type AttemptResult, type RunningAttempt } from './executor.js';
import { LogPrefetch } from './log-prefetch.js';
import { planMasker, type Masker } from './mask.js';
import { plannedSteps } from './planned-steps.js';
import { failedPrecondition } from './preconditions.js';
import { Recorder } from './recorder.js';
import { Scheduler, type Decision } from './scheduler.js';

export interface RunOptions {
  plan: ResolvedPlan;
  runId: string;
  /** Absolute state directory (layout in state/paths.ts). */
  stateDir: string;
  /** Directory the engine was invoked in (recorded for resume). */
  cwd: string;
  sinks: readonly EventSink[];
  /** Continue an earlier run (`engine resume`) instead of starting a new one. */
  resume?: ResumeState;
  /** Extra environment of a step's process for `attempt` (0: its precondition commands),
   * merged last; called before the process starts (the OpenTelemetry sink's TRACEPARENT). */
  stepEnv?: (stepId: string, attempt: number) => Record<string, string>;
}

/** What `engine resume` carries over from the earlier part of a run. */
export interface ResumeState {
  previousStatus: 'failed' | 'cancelled' | 'interrupted';
  /** seq of the run's last recorded event; numbering continues after it. */
  lastSeq: number;
  /** Ids of steps that succeeded and are kept. */
  kept: ReadonlySet<string>;
  /** Attempts already made per step id; attempt numbers continue after them. */
  attempts: ReadonlyMap<string, number>;
}

/** Exit codes of a finished run (issue 2). */
const EXIT_CODES = { succeeded: 0, failed: 1, cancelled: 130 } as const;

export class PlanRun {
  private readonly plan: ResolvedPlan;
  private readonly scheduler: Scheduler;
  private readonly recorder: Recorder;
  private readonly limit: ConcurrencyLimit;
  /** Creates the log files of the next steps to start off the main thread (log-prefetch.ts). */
  private readonly logPrefetch: LogPrefetch;
  /** Position in plan.order up to which log files have been asked for. */
  private prefetchCursor = 0;
  private readonly mask: Masker;
  private readonly logDir: string;
  private readonly baseEnv: NodeJS.ProcessEnv;
  /** Steps whose preconditions are being checked, to abort on cancel. */
  private readonly checking = new Map<number, AbortController>();
  /** When each queued step became ready (epochMs()), for `ready_at_ms`. */
  private readonly readyAt = new Map<number, number>();
  /** Running attempts by step index, with their start time (performance.now(), ms). */
  private readonly running = new Map<number, { attempt: RunningAttempt; startMs: number }>();
  private readonly retryTimers = new Map<number, NodeJS.Timeout>();
  private readonly startedAt = performance.now();
  private cancelRequests = 0;
  private finished: RunFinishedEvent | null = null;
  private resolveDone!: (e: RunFinishedEvent) => void;
  readonly done: Promise<RunFinishedEvent>;

  constructor(private readonly opts: RunOptions) {
    this.plan = opts.plan;
    this.scheduler = new Scheduler(this.plan.steps);
    this.recorder = new Recorder(opts.runId, opts.sinks, opts.resume?.lastSeq ?? 0);
    this.limit = new ConcurrencyLimit(this.plan.maxConcurrency);
    // Steps start roughly, not exactly, in plan order (a 1,000-step layered plan needed a
    // window of 64 for every start to find its file ready); the window is bounded because
    // each prepared file holds a descriptor.
    this.logPrefetch = new LogPrefetch(Math.min(Math.max(64, 2 * this.plan.maxConcurrency), 256));
    this.mask = planMasker(this.plan);
    this.logDir = logsDir(opts.stateDir, opts.runId);
    this.baseEnv = { ...process.env, ENGINE_RUN_ID: opts.runId };
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Starts the run (or resumes it); `done` resolves with the `run_finished` event. */
  start(): Promise<RunFinishedEvent> {
    mkdirSync(this.logDir, { recursive: true });
    const resume = this.opts.resume;
    if (resume) this.announceResume(resume);
    else this.announceStart();
    this.apply(this.scheduler.begin(this.plan.order));
    this.prefetchLogs();
    return this.done;
  }

  /** A step that will not start gives back its prefetched log file. */
  private dropPrefetchedLog(i: number): void {
    if (this.scheduler.attemptsOf(i) === 0) {
      this.logPrefetch.drop(stepLogPath(this.opts.stateDir, this.opts.runId, this.plan.steps[i]!.id, 1));
    }
  }

  /**
   * Asks for the attempt-1 log files of the next steps in plan order that have not started
   * yet, as many as the prefetch has room for. Steps start roughly in plan order (the
   * scheduler breaks ties by it), so these are the files needed next.
   */
  private prefetchLogs(): void {
    const { order, steps } = this.plan;
    while (this.logPrefetch.hasRoom && this.prefetchCursor < order.length) {
      const i = order[this.prefetchCursor++]!;
      if (this.scheduler.attemptsOf(i) !== 0) continue;
      const status = this.scheduler.statusOf(i);
      if (status !== 'pending' && status !== 'running') continue;
      this.logPrefetch.want(stepLogPath(this.opts.stateDir, this.opts.runId, steps[i]!.id, 1));
    }
  }

  private announceStart(): void {
    const { plan, mask } = this;
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(plan.vars)) vars[k] = mask(v);
    for (const k of plan.secretNames) vars[k] = '***';
    this.recorder.emit({
      type: 'run_started',
      plan_id: plan.planId,
      plan_version: plan.version,
      plan_path: plan.path,
      plan_sha256: plan.sha256,
      cwd: this.opts.cwd,
      vars,
      max_concurrency: plan.maxConcurrency,
      pid: process.pid,
      hostname: hostname(),
      steps: plannedSteps(this.plan),
    });
  }

  private announceResume(resume: ResumeState): void {
    const { plan } = this;
    const kept = plan.order.filter((i) => resume.kept.has(plan.steps[i]!.id));
    this.scheduler.restore(kept, plan.steps.map((s) => resume.attempts.get(s.id) ?? 0));
    this.recorder.emit({
      type: 'run_resumed',
      previous_status: resume.previousStatus,
      plan_sha256: plan.sha256,
      pid: process.pid,
      hostname: hostname(),
      kept: kept.map((i) => plan.steps[i]!.id),
      rerun: plan.order.filter((i) => !resume.kept.has(plan.steps[i]!.id)).map((i) => plan.steps[i]!.id),
      steps: plannedSteps(this.plan),
    });
  }

  /**
   * Asks the run to stop (SIGINT, SIGTERM, `engine cancel`). The first request cancels pending
   * steps and stops running ones gracefully while `all_done` cleanup steps still run; the
   * second also cancels those, kills everything with SIGKILL and finishes at once.
   */
  cancel(signal: string): void {
    if (this.finished) return;
    const forced = ++this.cancelRequests > 1;
    this.recorder.emit({ type: 'run_cancel_requested', signal, forced });
    this.apply(this.scheduler.cancelRun(forced));
    if (forced) {
      for (const [i, { startMs }] of this.running) {
        this.running.delete(i);
        this.attemptEnded(i, forcedCancelResult(startMs));
      }
      for (const [i, abort] of this.checking) {
        this.checking.delete(i);
        abort.abort();
        this.apply(this.scheduler.preconditionsChecked(i, null));
      }
    }
  }

  private apply(decisions: readonly Decision[]): void {
    for (const d of decisions) {
      const step = this.plan.steps[d.step]!;
      switch (d.kind) {
        case 'start':
          this.readyAt.set(d.step, epochMs());
          this.limit.run(() => this.runAttempt(d.step));
          break;
        case 'retry': {
          this.recorder.emit({
            type: 'step_retrying',
            step_id: step.id,
            attempt: d.attempt,
            delay_ms: d.delayMs,
            reason: d.reason,
          });
          const timer = setTimeout(() => {
            this.retryTimers.delete(d.step);
            this.apply(this.scheduler.retryDue(d.step));
          }, d.delayMs);
          this.retryTimers.set(d.step, timer);
          break;
        }
        case 'skip':
          this.dropPrefetchedLog(d.step);
          this.recorder.emit({
            type: 'step_skipped',
            step_id: step.id,
            reason: d.reason,
            detail: this.mask(d.detail),
            upstream: d.upstream === null ? null : this.plan.steps[d.upstream]!.id,
          });
          break;
        case 'cancel':
          this.dropPrefetchedLog(d.step);
          clearTimeout(this.retryTimers.get(d.step));
          this.retryTimers.delete(d.step);
          this.recorder.emit({
            type: 'step_cancelled',
            step_id: step.id,
            reason: d.reason,
            detail: d.detail,
            upstream: d.upstream === null ? null : this.plan.steps[d.upstream]!.id,
            attempt: null,
            exit_code: null,
            signal: null,
            duration_ms: null,
          });
          break;
        case 'kill':
          this.running.get(d.step)?.attempt.cancel(d.forced);
          this.checking.get(d.step)?.abort();
          break;
      }
    }
    if (!this.finished && this.scheduler.isFinished()) this.finish();
  }

  private async runAttempt(i: number): Promise<void> {
    const step = this.plan.steps[i]!;
    if (step.preconditions.length > 0 && this.scheduler.attemptsOf(i) === 0) {
      if (!this.scheduler.claim(i)) return;
      const abort = new AbortController();
      this.checking.set(i, abort);
      const failure = await failedPrecondition(step.preconditions, {
        cwd: step.cwd,
        env: this.stepEnv(step, 0),
        timeoutMs: step.timeoutMs,
        killGraceMs: this.plan.killGraceMs,
        signal: abort.signal,
      });
      // A forced cancel may already have ended this step.
      if (this.checking.get(i) !== abort) return;
      this.checking.delete(i);
      const decisions = this.scheduler.preconditionsChecked(i, failure);
      if (decisions.length > 0) {
        this.apply(decisions);
        return;
      }
    }
    const attemptNo = this.scheduler.startAttempt(i);
    if (attemptNo === 0) return;
    const logPath = stepLogPath(this.opts.stateDir, this.opts.runId, step.id, attemptNo);
    const logFd = this.logPrefetch.take(logPath);
    const attempt = startAttempt({
      command: step.command,
      args: step.args,
      shell: step.shell,
      cwd: step.cwd,
      env: this.stepEnv(step, attemptNo),
      logPath,
      logFd,
      timeoutMs: step.timeoutMs,
      killGraceMs: this.plan.killGraceMs,
      successExitCodes: step.successExitCodes,
    });
    this.prefetchLogs();
    const entry = { attempt, startMs: performance.now() };
    this.running.set(i, entry);
    const readyAt = this.readyAt.get(i) ?? epochMs();
    this.readyAt.delete(i);
    const { mask } = this;
    this.recorder.emit({
      type: 'step_started',
      step_id: step.id,
      attempt: attemptNo,
      pid: attempt.pid,
      command: mask(step.command),
      args: step.args.map(mask),
      cwd: mask(step.cwd),
      log_path: logPath,
      ready_at_ms: readyAt,
      started_at_ms: toEpochMs(entry.startMs),
    });
    const result = await attempt.result;
    // A forced cancel may already have recorded this attempt as cancelled.
    if (this.running.get(i) !== entry) return;
    this.running.delete(i);
    this.attemptEnded(i, result);
  }

  private attemptEnded(i: number, result: AttemptResult): void {
    const endedAt = epochMs();
    const step = this.plan.steps[i]!;
    const attemptNo = this.scheduler.attemptsOf(i);
    const decisions = this.scheduler.attemptEnded(
      i,
      result.outcome === 'failed' ? { kind: 'failed', reason: result.reason! } : { kind: result.outcome },
    );
    switch (result.outcome) {
      case 'succeeded':
        this.recorder.emit({
          type: 'step_succeeded',
          step_id: step.id,
          attempt: attemptNo,
          exit_code: result.exitCode ?? 0,
          duration_ms: result.durationMs,
          ended_at_ms: endedAt,
        });
        break;
      case 'failed':
        this.recorder.emit({
          type: 'step_failed',
          step_id: step.id,
          attempt: attemptNo,
          exit_code: result.exitCode,
          signal: result.signal,
          duration_ms: result.durationMs,
          reason: result.reason!,
          error: this.mask(result.error ?? ''),
          ended_at_ms: endedAt,
          will_retry: decisions.some((d) => d.kind === 'retry' && d.step === i),
        });
        break;
      case 'cancelled':
        this.recorder.emit({
          type: 'step_cancelled',
          step_id: step.id,
          reason: 'run_cancelled',
          detail: 'run cancelled while the step was running',
          upstream: null,
          attempt: attemptNo,
          exit_code: result.exitCode,
          signal: result.signal,
          duration_ms: result.durationMs,
        });
        break;
    }
    this.apply(decisions);
  }

  private stepEnv(step: ResolvedStep, attempt: number): NodeJS.ProcessEnv {
    return {
      ...this.baseEnv,
      ...step.env,
      ENGINE_STEP_ID: step.id,
      ENGINE_ATTEMPT: String(attempt),
      ...this.opts.stepEnv?.(step.id, attempt),
    };
  }

  private finish(): void {
    const counts = { succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
    for (let i = 0; i < this.plan.steps.length; i++) {
      const s = this.scheduler.statusOf(i);
      if (s === 'succeeded' || s === 'failed' || s === 'skipped' || s === 'cancelled') counts[s]++;
    }
    const status = this.scheduler.runStatus();
    const event = this.recorder.emit({
      type: 'run_finished',
      status,
      exit_code: EXIT_CODES[status],
      duration_ms: Math.round(performance.now() - this.startedAt),
      ...counts,
    }) as RunFinishedEvent;
    this.finished = event;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.logPrefetch.discard();
    this.resolveDone(event);
  }
}

function forcedCancelResult(startMs: number): AttemptResult {
  return {
    outcome: 'cancelled',
    reason: null,
    exitCode: null,
    signal: 'SIGKILL',
    durationMs: Math.round(performance.now() - startMs),
    error: 'cancelled',
  };
}

/** Now as Unix epoch ms with sub-millisecond precision. */
function epochMs(): number {
  return toEpochMs(performance.now());
}

/** A performance.now() reading as Unix epoch ms (µs precision kept). */
function toEpochMs(perfNow: number): number {
  return Math.round((performance.timeOrigin + perfNow) * 1000) / 1000;
}
