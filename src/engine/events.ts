/**
 * Everything that happens in a run is an {@link EngineEvent}. The run emits events; sinks
 * (events.jsonl, runs.db, the console) consume the same stream, so they cannot disagree.
 *
 * Every event carries `seq` (1, 2, … per run, no gaps), `ts` (ISO 8601 UTC with ms),
 * `run_id` and `type`. Field names are snake_case because they are written as JSON for other
 * programs (docs/runs-db.md documents them). Values that came from secret variables are
 * already masked as `***` when an event is built. Statuses and reasons come from status.ts.
 */
import type { OnFailure, TriggerRule } from '../schema/resolved-plan.js';
import type { CancelReason, EndedStepStatus, FailureReason, FinalRunStatus, ResumableRunStatus, SkipReason } from './status.js';

/** Fields common to every event. */
export interface EventBase {
  /** 1-based sequence number within the run. */
  seq: number;
  /** ISO 8601 UTC time with milliseconds. */
  ts: string;
  run_id: string;
}

/** A step as announced at run start, so readers know the whole DAG before anything runs. */
export interface PlannedStep {
  id: string;
  name: string;
  depends_on: string[];
  trigger_rule: TriggerRule;
  on_failure: OnFailure;
  /** False when the step's failure neither fails nor aborts the run. */
  critical: boolean;
  /** What the step is when it runs no command of its own (issue 13): the whole of a matrix
   * (it depends on its instances), a for_each step (expanded at run time: `step_expanded`),
   * or a child run of another plan. Absent for a command. */
  kind?: 'matrix' | 'for_each' | 'plan';
  /** For an instance of a matrix or for_each step: that step's id. */
  instance_of?: string;
}

/** How the instances of a matrix or for_each step ended. */
export interface InstanceCounts {
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

export interface RunStartedEvent extends EventBase {
  type: 'run_started';
  plan_id: string;
  plan_version: string;
  /** Absolute path of the plan file. */
  plan_path: string;
  /** sha256 (hex) of the plan file's bytes. */
  plan_sha256: string;
  /** Absolute path of the directory the engine was invoked in (its working directory). */
  cwd: string;
  /** Resolved variables, secrets masked as `***`. */
  vars: Record<string, string>;
  max_concurrency: number;
  /** pid of the engine process that runs this run. */
  pid: number;
  hostname: string;
  /** The cgroup holding the run's processes (cgroup v2 directory), or null when the run is not
   * contained in one (then process groups are used). */
  cgroup: string | null;
  /** Where the run sends its steps (workers, issue 16), or null: every step runs in the engine's process. */
  executor: ExecutorRecord | null;
  /** Steps in topological order. */
  steps: PlannedStep[];
  /** A child run of a plan step (issue 13): the parent run and its step; null otherwise. */
  parent_run_id: string | null;
  parent_step_id: string | null;
}

/**
 * The workers a run sends its steps to: a BullMQ queue on Redis. Crash recovery reads it to
 * cancel the jobs of a run whose engine died (and loads BullMQ only for such runs).
 */
export interface ExecutorRecord {
  type: 'bullmq';
  /** The Redis URL without its password. */
  redis: string;
  /** The base queue (`--queue`): steps without `runs_on` labels go to it. */
  queue: string;
  /** Every BullMQ queue the run may put a job on: the base queue, and one per `runs_on` label set. */
  queues: string[];
}

export interface StepStartedEvent extends EventBase {
  type: 'step_started';
  step_id: string;
  /** 1-based attempt number. */
  attempt: number;
  /** pid of the step's process; it leads its own process group (pgid = pid). Null when the
   * process could not be started (a `step_failed` with reason `spawn_error` follows), or when
   * the attempt was sent to a worker: then `step_started` is the job being queued, and
   * `step_picked_up` names the worker and its pid there. */
  pid: number | null;
  command: string;
  args: string[];
  cwd: string;
  /** Path of this attempt's log file (stdout and stderr). */
  log_path: string;
  /** When the step became ready to start (its trigger rule held, or its retry delay ended):
   * Unix epoch ms with sub-millisecond precision. */
  ready_at_ms: number;
  /** When its process was spawned: Unix epoch ms with sub-millisecond precision. The gap to
   * `ready_at_ms` is the wait for a concurrency slot plus the engine's own latency. */
  started_at_ms: number;
  /** A plan step (issue 13): the child run this attempt is, else null. */
  child_run_id: string | null;
}

export interface StepSucceededEvent extends EventBase {
  type: 'step_succeeded';
  step_id: string;
  /** The attempt that succeeded; 0 for a step that runs no process (a matrix or for_each step). */
  attempt: number;
  /** Null for a step that runs no process. */
  exit_code: number | null;
  duration_ms: number;
  /** When the engine saw the process exit: Unix epoch ms, sub-millisecond precision. */
  ended_at_ms: number;
  /** What the step wrote to ENGINE_OUTPUT (issue 13), masked: a secret_outputs key's value
   * is `***`. A matrix or for_each step's are JSON arrays of its instances' values. (Runs
   * recorded before outputs existed lack this and the next two fields.) */
  outputs: Record<string, string>;
  /** Keys of `outputs` whose value was masked (a secret in it, or a secret_outputs key): not
   * recorded, so `engine resume` runs the step again rather than hand on `***`. */
  masked_outputs: string[];
  /** A matrix or for_each step: how its instances ended; null for any other step. */
  instances: InstanceCounts | null;
}

export interface StepFailedEvent extends EventBase {
  type: 'step_failed';
  step_id: string;
  attempt: number;
  /** Exit code, or null when the process was killed by a signal or never started. */
  exit_code: number | null;
  /** Signal name such as `SIGKILL`, or null. */
  signal: string | null;
  duration_ms: number;
  reason: FailureReason;
  /** Human-readable cause, e.g. `exit code 3 (expected 0)` or `timed out after 5s`. */
  error: string;
  /** When the engine saw the attempt end: Unix epoch ms, sub-millisecond precision. */
  ended_at_ms: number;
  /** True when another attempt follows (a `step_retrying` event comes next). */
  will_retry: boolean;
  /** Why no attempt follows although retries were left (not in `retry_on`, the deadline, a
   * command that cannot start), else null. */
  not_retried: string | null;
  /** A matrix or for_each step (reason `instances_failed`): how its instances ended; null for any other step. */
  instances: InstanceCounts | null;
}

export interface StepRetryingEvent extends EventBase {
  type: 'step_retrying';
  step_id: string;
  /** The attempt that will start after the delay. */
  attempt: number;
  delay_ms: number;
  /** Why the previous attempt failed. */
  reason: FailureReason;
}

export interface StepSkippedEvent extends EventBase {
  type: 'step_skipped';
  step_id: string;
  reason: SkipReason;
  /** Human-readable cause, naming the upstream step when there is one. */
  detail: string;
  /** The upstream step whose outcome decided the skip, when there is one. */
  upstream: string | null;
}

export interface StepCancelledEvent extends EventBase {
  type: 'step_cancelled';
  step_id: string;
  reason: CancelReason;
  detail: string;
  /** The step whose failure aborted the run (reason `abort`), else null. */
  upstream: string | null;
  /** When the step was running: the attempt that was killed, else null. */
  attempt: number | null;
  exit_code: number | null;
  signal: string | null;
  duration_ms: number | null;
}

/**
 * A for_each step's item list is known (issue 13): the step runs once per item, as these
 * instances, each a step of its own from here on (its rows appear in runs.db now). Zero
 * instances: the step succeeds at once (a `step_succeeded` follows).
 */
export interface StepExpandedEvent extends EventBase {
  type: 'step_expanded';
  step_id: string;
  /** Instance ids in item order, e.g. `lint[src%2Fa.ts]` (see docs: instance ids). */
  instances: string[];
  /** The instances as planned steps (the same order), each depending on what the step depends on. */
  steps: PlannedStep[];
  /** Instances a resumed run carries over as succeeded (they do not run again); [] otherwise. */
  kept: string[];
}

/**
 * A ready step waits for its `mutex`, held by another step or run (issue 14); it holds no
 * concurrency slot meanwhile. Its `step_started` follows once it has the mutex.
 */
export interface StepWaitingEvent extends EventBase {
  type: 'step_waiting';
  step_id: string;
  mutex: string;
  /** Who holds the mutex: a run, and its step (null when the whole run holds it: globals.mutex). */
  holder_run_id: string;
  holder_step_id: string | null;
}

/** A worker took the attempt's job and started its process (issue 16). */
export interface StepPickedUpEvent extends EventBase {
  type: 'step_picked_up';
  step_id: string;
  attempt: number;
  /** The worker's name (`engine worker --name`, default `<host>/<pid>`). */
  worker: string;
  /** pid of the step's process on the worker's host; null when it could not be started there. */
  pid: number | null;
  /** When the worker started it, by the worker's clock: Unix epoch ms, sub-millisecond precision. */
  started_at_ms: number;
}

/**
 * A worker reported the result of an attempt that had already ended in the record (it was
 * recorded `lost` when its worker stopped renewing the job's lock): the result is ignored, so
 * an attempt is never applied twice.
 */
export interface StepResultDiscardedEvent extends EventBase {
  type: 'step_result_discarded';
  step_id: string;
  attempt: number;
  worker: string;
  /** What the late result said. */
  outcome: 'succeeded' | 'failed' | 'cancelled';
  exit_code: number | null;
  /** Why it was ignored, in words. */
  detail: string;
}

/** The engine lost its connection to the executor's Redis: running steps wait, up to `wait_limit_ms`. */
export interface ExecutorUnreachableEvent extends EventBase {
  type: 'executor_unreachable';
  /** The Redis URL without its password. */
  redis: string;
  /** The error, e.g. `connect ECONNREFUSED 127.0.0.1:6379`. */
  error: string;
  /** How long the run waits for Redis before the attempts it has on workers fail (reason `lost`). */
  wait_limit_ms: number;
}

/** The connection to the executor's Redis is back after `executor_unreachable`. */
export interface ExecutorReconnectedEvent extends EventBase {
  type: 'executor_reconnected';
  redis: string;
  /** How long it was unreachable. */
  down_ms: number;
}

/** The run waits for its `globals.mutex`, held by another run or a step of one (issue 14). */
export interface RunWaitingEvent extends EventBase {
  type: 'run_waiting';
  mutex: string;
  holder_run_id: string;
  holder_step_id: string | null;
  /** `cancel_other`: the holder's engine was asked to cancel it. */
  cancelled_holder: boolean;
}

export interface RunCancelRequestedEvent extends EventBase {
  type: 'run_cancel_requested';
  /** Signal that asked for it, e.g. `SIGINT`; `none` when no signal did (a run timeout). */
  signal: string;
  /** What asked: a signal to the engine (Ctrl-C in its terminal, SIGTERM), `engine cancel`,
   * the dashboard (both leave a request file before their SIGINT), the run's own
   * `globals.timeout_sec`, or (a child run of a plan step) its parent run stopping the step. */
  source: CancelSource;
  /** pid of the process that asked (`engine cancel`, the dashboard's server), else null. */
  requested_by_pid: number | null;
  /** True on the second request: cleanup steps are cancelled too and the engine exits at once. */
  forced: boolean;
}

/** Who asked a run to cancel (`run_cancel_requested.source`). */
export type CancelSource = 'signal' | 'run_timeout' | 'engine_cancel' | 'dashboard' | 'parent_run';

export interface RunFinishedEvent extends EventBase {
  type: 'run_finished';
  /** `interrupted` is never written here: crash recovery writes `run_interrupted` instead. */
  status: FinalRunStatus;
  /** Why the run ended besides its steps: `run_timeout` (its `globals.timeout_sec`, status
   * failed), `mutex_busy` (its `globals.mutex` was held and `on_mutex_busy` is `fail`), else null. */
  reason: 'run_timeout' | 'mutex_busy' | null;
  /** Human-readable detail of `reason` (who held the mutex), else null. */
  detail: string | null;
  /** The engine's exit code: 0 succeeded, 1 failed, 130 cancelled. */
  exit_code: number;
  duration_ms: number;
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

/**
 * Written by crash recovery, before `run_interrupted`: a process of the run was still alive
 * after its engine died (a step, a child it left, one that escaped its process group, or one
 * started just before the engine could record it), and recovery killed it.
 */
export interface StepOrphanKilledEvent extends EventBase {
  type: 'step_orphan_killed';
  /** The step and attempt it belonged to, from its environment (null when unknown). */
  step_id: string | null;
  attempt: number | null;
  pid: number;
  /** How it was found: in the run's cgroup, by its environment, or as a recorded process group. */
  found_by: 'cgroup' | 'environment' | 'process_group';
}

/**
 * Written by crash recovery (not by the run's own engine): the engine process of a `running`
 * run is gone. Steps that were running become `interrupted`; their leftover process groups
 * were killed. `engine resume` continues the run.
 */
export interface RunInterruptedEvent extends EventBase {
  type: 'run_interrupted';
  /** pid and host of the engine process that vanished. */
  pid: number;
  hostname: string;
  /** Steps that were running, now `interrupted`. */
  steps: string[];
  /** Process groups of those steps that were still alive and got SIGKILL. */
  killed_pgids: number[];
}

/** `engine resume` continues a failed, cancelled or interrupted run in the same run id. */
export interface RunResumedEvent extends EventBase {
  type: 'run_resumed';
  previous_status: ResumableRunStatus;
  /** The plan's id and version now (as in `run_started`, unless resumed with --force after a change). */
  plan_id: string;
  plan_version: string;
  /** sha256 of the plan file now (equal to run_started's unless resumed with --force). */
  plan_sha256: string;
  /** pid and host of the engine process that runs the rest of the run. */
  pid: number;
  hostname: string;
  /** The cgroup holding the processes of the rest of the run, or null (as in `run_started`). */
  cgroup: string | null;
  /** Where the rest of the run sends its steps, or null (as in `run_started`). */
  executor: ExecutorRecord | null;
  /** Steps that had succeeded and are kept. */
  kept: string[];
  /** Steps that run again (status back to `pending`); attempt numbers continue. */
  rerun: string[];
  /** Why each step of `rerun` runs again, in the same order: it did not succeed; a cleanup
   * step that already ran (`by`) undid it; or it comes after a step that runs again (`by`). */
  rerun_causes: RerunCauseRecord[];
  /** All steps of the run in topological order, as in `run_started`. */
  steps: PlannedStep[];
}

/** One entry of `run_resumed.rerun_causes`. */
export interface RerunCauseRecord {
  step_id: string;
  cause: 'not_succeeded' | 'undone' | 'after_rerun' | 'masked_outputs';
  /** The cleanup step that undid it (`undone`), or the dependency that runs again (`after_rerun`); else null. */
  by: string | null;
}

/** The discriminated union every sink consumes. */
export type EngineEvent =
  | RunStartedEvent
  | StepStartedEvent
  | StepSucceededEvent
  | StepFailedEvent
  | StepRetryingEvent
  | StepSkippedEvent
  | StepCancelledEvent
  | StepExpandedEvent
  | StepWaitingEvent
  | StepPickedUpEvent
  | StepResultDiscardedEvent
  | ExecutorUnreachableEvent
  | ExecutorReconnectedEvent
  | RunWaitingEvent
  | RunCancelRequestedEvent
  | StepOrphanKilledEvent
  | RunInterruptedEvent
  | RunResumedEvent
  | RunFinishedEvent;

export type EventType = EngineEvent['type'];

/** An event before the recorder stamps `seq`, `ts` and `run_id` on it. */
export type EventDraft = EngineEvent extends infer E
  ? E extends EngineEvent
    ? Omit<E, keyof EventBase>
    : never
  : never;

/**
 * A consumer of events. `handle` is called synchronously, in `seq` order, for every event of
 * a run; it must not throw for ordinary I/O hiccups it can survive. `close` flushes and
 * releases resources (a sink that exports over the network resolves once it has, within its
 * own bounded wait); it is called once after `run_finished` (or when the engine must exit).
 */
export interface EventSink {
  handle(event: EngineEvent): void;
  close(): void | Promise<void>;
}

/**
 * The ended status an event gives its step, counted in `run_finished` and `runs.steps_*`: the
 * one place that says which events finish a step. Null for every other event (a failed
 * attempt that will be retried does not end its step).
 */
export function endedStatusOf(e: EngineEvent): EndedStepStatus | null {
  switch (e.type) {
    case 'step_succeeded':
      return 'succeeded';
    case 'step_failed':
      return e.will_retry ? null : 'failed';
    case 'step_skipped':
      return 'skipped';
    case 'step_cancelled':
      return 'cancelled';
    case 'run_started':
    case 'step_started':
    case 'step_retrying':
    case 'step_expanded':
    case 'step_waiting':
    case 'step_picked_up':
    case 'step_result_discarded':
    case 'executor_unreachable':
    case 'executor_reconnected':
    case 'run_waiting':
    case 'run_cancel_requested':
    case 'step_orphan_killed':
    case 'run_interrupted':
    case 'run_resumed':
    case 'run_finished':
      return null;
    default:
      return unreachable(e);
  }
}

/** For exhaustive switches over unions: a compile error when a case is missing. */
export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}
