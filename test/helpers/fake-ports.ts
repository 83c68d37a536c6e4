/**
 * Fakes of the run loop's ports (src/engine/run-loop.ts), for unit tests without processes: a
 * manual clock whose timers fire only when the test advances it, an attempt port whose
 * attempts end when the test says so, and a check port that answers from a table.
 */
import type { AttemptRequest, AttemptResult, CheckRequest, CheckResult, RunningAttempt } from '../../src/engine/attempt.js';
import type { Clock } from '../../src/engine/clock.js';
import type { EngineEvent, EventSink } from '../../src/engine/events.js';
import { RunLoop, type RunPorts } from '../../src/engine/run-loop.js';
import type { ResumeState } from '../../src/engine/resume.js';
import type { ResolvedPlan } from '../../src/schema/resolved-plan.js';

/** A clock that stands still until {@link ManualClock.advance}. Starts at epoch ms 1,000,000. */
export class ManualClock implements Clock {
  private t = 1_000_000;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer = { at: this.t + delayMs, seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Timers not yet fired, as delays from now. */
  get pendingDelays(): number[] {
    return this.timers.map((x) => x.at - this.t);
  }

  /** Moves time forward by `ms`, firing due timers in order (each at its own time). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** One attempt the fake port started; the test ends it. */
export interface FakeAttempt {
  req: AttemptRequest;
  pid: number;
  /** `cancel(forced)` calls, in order. */
  cancels: boolean[];
  /** Ends the attempt with `result` (durationMs defaults to 10). */
  end(result: EndResult): void;
}

/** An attempt's result, `durationMs` optional. */
export type EndResult =
  | { outcome: 'succeeded'; exitCode?: number; outputs?: Record<string, string> }
  | { outcome: 'failed'; reason: Extract<AttemptResult, { outcome: 'failed' }>['reason']; exitCode?: number | null; signal?: string | null; error?: string }
  | { outcome: 'cancelled'; signal?: string | null };

/** An attempt port whose attempts run until the test ends them; a cancel ends one as cancelled. */
export class FakeAttempts {
  readonly started: FakeAttempt[] = [];
  /** Ends every cancelled attempt at once (as a process that obeys SIGTERM would). */
  endOnCancel = true;
  private nextPid = 1000;

  readonly port = {
    start: (req: AttemptRequest): RunningAttempt => {
      let resolve!: (r: AttemptResult) => void;
      const result = new Promise<AttemptResult>((r) => (resolve = r));
      const attempt: FakeAttempt = {
        req,
        pid: this.nextPid++,
        cancels: [],
        end: (r) => resolve(toResult(r)),
      };
      this.started.push(attempt);
      return {
        pid: attempt.pid,
        result,
        cancel: (forced) => {
          attempt.cancels.push(forced);
          if (this.endOnCancel) attempt.end({ outcome: 'cancelled', signal: forced ? 'SIGKILL' : 'SIGTERM' });
        },
      };
    },
  };

  /** Attempts of `stepId` in start order. */
  of(stepId: string): FakeAttempt[] {
    return this.started.filter((a) => a.req.stepId === stepId);
  }

  /** The latest attempt of `stepId`; throws when it never started. */
  last(stepId: string): FakeAttempt {
    const a = this.of(stepId).at(-1);
    if (!a) throw new Error(`step ${stepId} never started (started: ${this.started.map((x) => x.req.stepId).join(', ')})`);
    return a;
  }

  /** `step#attempt` of every attempt, in start order. */
  get startOrder(): string[] {
    return this.started.map((a) => `${a.req.stepId}#${a.req.attempt}`);
  }
}

function toResult(r: EndResult): AttemptResult {
  switch (r.outcome) {
    case 'succeeded':
      return { outcome: 'succeeded', exitCode: r.exitCode ?? 0, durationMs: 10, outputs: r.outputs ?? {} };
    case 'failed':
      return {
        outcome: 'failed',
        reason: r.reason,
        exitCode: r.exitCode === undefined ? (r.reason === 'exit_code' ? 1 : null) : r.exitCode,
        signal: r.signal ?? null,
        durationMs: 10,
        error: r.error ?? `failed (${r.reason})`,
      };
    case 'cancelled':
      return { outcome: 'cancelled', exitCode: null, signal: r.signal ?? null, durationMs: 10 };
  }
}

/** A check port that answers each command (by `command`) from `answers`, after the test releases it. */
export class FakeChecks {
  readonly requests: CheckRequest[] = [];
  readonly cancelled: string[] = [];
  private readonly waiting = new Map<string, (r: CheckResult) => void>();

  readonly port = (req: CheckRequest) => {
    this.requests.push(req);
    let resolve!: (r: CheckResult) => void;
    const result = new Promise<CheckResult>((r) => (resolve = r));
    this.waiting.set(req.command, resolve);
    return {
      result,
      cancel: () => {
        this.cancelled.push(req.command);
        resolve({ holds: false, why: 'cancelled' });
      },
    };
  };

  /** Answers the running check of `command`. */
  answer(command: string, r: CheckResult): void {
    const resolve = this.waiting.get(command);
    if (!resolve) throw new Error(`no check of ${command} is running`);
    this.waiting.delete(command);
    resolve(r);
  }
}

/** Collects events in order. */
export class EventLog implements EventSink {
  readonly events: EngineEvent[] = [];
  handle(e: EngineEvent): void {
    this.events.push(e);
  }
  close(): void {}

  /** Events of one type (narrowed), optionally of one step. */
  of<T extends EngineEvent['type']>(type: T, stepId?: string): Extract<EngineEvent, { type: T }>[] {
    return this.events.filter(
      (e) => e.type === type && (stepId === undefined || (e as { step_id?: string }).step_id === stepId),
    ) as Extract<EngineEvent, { type: T }>[];
  }

  /** `type:step` of every event, for readable order assertions. */
  get trail(): string[] {
    return this.events.map((e) => ('step_id' in e ? `${e.type}:${e.step_id}` : e.type));
  }
}

/** Lets promise callbacks and microtasks run (the run loop starts attempts on a microtask). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** A run loop over `plan` wired to fresh fakes. */
export function fakeRun(plan: ResolvedPlan, opts: { resume?: ResumeState; ports?: Partial<RunPorts> } = {}) {
  const clock = new ManualClock();
  const attempts = new FakeAttempts();
  const checks = new FakeChecks();
  const log = new EventLog();
  const loop = new RunLoop({
    plan,
    runId: 'run-1',
    cwd: '/work',
    baseEnv: { PATH: '/bin' },
    host: { pid: 42, hostname: 'host', cgroup: null },
    sinks: [log],
    ports: {
      attempts: attempts.port,
      checks: checks.port,
      logPath: (stepId, attempt) => `/logs/${stepId}.${attempt}.log`,
      outputPath: (stepId, attempt) => `/outputs/${stepId}.${attempt}`,
      clock,
      ...opts.ports,
    },
    ...(opts.resume ? { resume: opts.resume } : {}),
  });
  return { loop, clock, attempts, checks, log };
}
