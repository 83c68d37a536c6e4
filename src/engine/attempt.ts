/**
 * The port through which the run loop carries out an attempt: what it asks for and how an
 * attempt ends. The process stack (process/) implements it for local processes; the run loop
 * depends only on these types, so it can be driven by a fake in unit tests.
 */
import type { FailureReason } from './status.js';

export interface AttemptRequest {
  stepId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** Executable (looked up on PATH), or the script line for the `shell` interpreter. */
  command: string;
  args: readonly string[];
  /** The interpreter argv before the script line, or null to exec `command`. */
  shell: readonly string[] | null;
  /** Absolute working directory. */
  cwd: string;
  /** The complete environment of the process. */
  env: NodeJS.ProcessEnv;
  /** File that receives stdout and stderr (created or truncated). */
  logPath: string;
  /** The step's outputs file (issue 13; `ENGINE_OUTPUT` in `env` names it): created empty
   * before the process starts, read when the attempt succeeds (outputs.ts), removed after. */
  outputPath: string;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  /** Stop the attempt after this many ms without output (reason `idle_timeout`); null for never. */
  idleTimeoutMs: number | null;
  /** Stop the attempt after this many ms (reason `deadline`): what is left of the step's
   * `deadline_sec`; null for none. */
  deadlineMs: number | null;
  /** First signal to the process group when the attempt is stopped. */
  killSignal: NodeJS.Signals;
  /** Time between `killSignal` and SIGKILL when the attempt is stopped, in ms. */
  killGraceMs: number;
  successExitCodes: readonly number[];
  /**
   * Secret values the attempt received (in its command, args, cwd, env or preconditions):
   * its output is redacted before it reaches the log file. Empty for every other attempt,
   * whose output goes straight to the file.
   */
  redact: readonly string[];
}

/**
 * How an attempt ended: one type per outcome (so no caller needs `!`). `durationMs` is from
 * spawn to the observed exit, in ms. `error` is the human-readable cause, e.g.
 * `exit code 3 (expected 0)` or `timed out after 5s`.
 */
export type AttemptResult =
  /** `outputs`: what the step wrote to its outputs file (unmasked; the run loop masks what it records). */
  | { outcome: 'succeeded'; exitCode: number; durationMs: number; outputs: Record<string, string> }
  | {
      outcome: 'failed';
      reason: FailureReason;
      /** Null when killed by a signal or never started. */
      exitCode: number | null;
      /** Signal name such as `SIGKILL`, or null. */
      signal: string | null;
      durationMs: number;
      error: string;
    }
  | { outcome: 'cancelled'; exitCode: number | null; signal: string | null; durationMs: number };

export interface RunningAttempt {
  /** pid of the step's main process (= its process group id); null when it could not start. */
  readonly pid: number | null;
  readonly result: Promise<AttemptResult>;
  /** Stops the attempt: its kill signal, then SIGKILL after the grace period, or SIGKILL at
   * once when `forced`. Its outcome becomes `cancelled`. */
  cancel(forced: boolean): void;
}

/**
 * Creates attempts' log files ahead of time (a speed-up the run loop feeds with the log paths
 * of the steps likely to start next; see process/log-prefetch.ts).
 */
export interface LogPreparer {
  /** True when another {@link want} would prepare a file. */
  readonly hasRoom: boolean;
  /** Prepares an attempt's log file and, when given, an outputs file in `outputPath`'s directory (issue 13). */
  want(logPath: string, outputPath?: string): void;
  /** The prepared descriptor of `logPath`, emptied and now the caller's; undefined when it is not ready. */
  take(logPath: string): number | undefined;
  /** The step will not start: give the file back. */
  drop(logPath: string): void;
  /** The run ended: give back every file not taken. */
  discard(): void;
}

/**
 * What a port that sends attempts to workers (issue 16) reports for the record, besides the
 * attempts' results: a worker took an attempt; a worker's result came after the attempt had
 * already ended (it was recorded `lost`) and is ignored; the connection to the queue was lost
 * or is back.
 */
export type ExecutorReport =
  | { kind: 'picked_up'; stepId: string; attempt: number; worker: string; pid: number | null; startedAtMs: number }
  | { kind: 'result_discarded'; stepId: string; attempt: number; worker: string; result: AttemptResult; detail: string }
  | { kind: 'unreachable'; redis: string; error: string; waitLimitMs: number }
  | { kind: 'reconnected'; redis: string; downMs: number };

/** Starts attempts. Never throws: a process that cannot start ends as `spawn_error`. */
export interface AttemptPort {
  start(req: AttemptRequest): RunningAttempt;
  /** Present when the port can prepare log files ahead of time. */
  readonly logs?: LogPreparer;
  /** Present when attempts run elsewhere (workers): the run loop records what the port reports
   * until the run has finished. Called once, before the first attempt. */
  listen?(report: (r: ExecutorReport) => void): void;
}

/** A precondition command to run: no shell, the step's cwd and env, bounded by `timeoutMs`. */
export interface CheckRequest {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  killGraceMs: number;
}

/** `holds`, or why not (`exit code 3: <last line of its output>`, `timed out after 5s`). */
export type CheckResult = { holds: true } | { holds: false; why: string };

export interface RunningCheck {
  readonly result: Promise<CheckResult>;
  /** Kills the check's process tree (the run was cancelled); its result becomes `cancelled`. */
  cancel(): void;
}

/** Runs precondition commands. Never throws. */
export type CheckPort = (req: CheckRequest) => RunningCheck;

/**
 * A plan step's attempt (issue 13): a child run of another plan, in the same engine process
 * and state directory, under the parent's concurrency limit.
 */
export interface ChildRunRequest {
  stepId: string;
  attempt: number;
  /** Absolute path of the child plan file. */
  planPath: string;
  /** Values for the child's variables (substituted, outputs included; not masked). */
  vars: Readonly<Record<string, string>>;
  /** The parent run's secret values: masked in the child run's record too. */
  secrets: readonly string[];
  /** The step's log file: what the child run is and how it ended. */
  logPath: string;
  /** The child run an earlier part of the parent run started for this step: resumed (its
   * succeeded steps kept) when it did not succeed, instead of starting a new one. */
  previousChildRunId: string | null;
}

/** A child run in progress: `childRunId` is known at once (null when its plan could not be loaded). */
export interface RunningChildRun extends RunningAttempt {
  readonly childRunId: string | null;
}

/** Starts child runs. Never throws: a child plan that cannot be loaded ends as `spawn_error`. */
export interface ChildRunPort {
  start(req: ChildRunRequest): RunningChildRun;
  /** Resolves once every child run started has finished and is recorded. */
  drain(): Promise<void>;
}
