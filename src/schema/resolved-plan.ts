/**
 * A plan after validation and variable substitution: what the engine runs. Options are
 * normalised here once (defaults applied, seconds turned into ms, paths made absolute) and
 * trusted everywhere after.
 */
import type { Step } from './plan-file.generated.js';

export type OnFailure = NonNullable<Step['on_failure']>;
export type TriggerRule = NonNullable<Step['trigger_rule']>;

/** One entry of `retry_on`: a range of failing exit codes, or a failure reason. */
export type RetryMatch = { kind: 'exit'; from: number; to: number } | { kind: 'reason'; reason: 'timeout' | 'idle_timeout' | 'signal' | 'lost' };

/** Retry policy of a step; delays in ms. Delay before attempt n+1 (n >= 1) is
 * `min(delayMs * backoff^(n-1), maxDelayMs)` (issue 2), drawn from [0, that] with full jitter. */
export interface RetryPolicy {
  /** Further attempts after the first: total attempts = retries + 1. */
  retries: number;
  delayMs: number;
  /** Multiplier >= 1. */
  backoff: number;
  /** Upper bound of a delay in ms; 365 days when the plan gives none. */
  maxDelayMs: number;
  /** Which failures are retried (`retry_on`); null: every failure but `spawn_error`. */
  on: readonly RetryMatch[] | null;
  jitter: 'none' | 'full';
  /** Total budget of the step from its first attempt's start (`deadline_sec`), ms; null for none. */
  deadlineMs: number | null;
}

/**
 * A check made once when a step becomes ready (issue 3). `command`: holds when the command
 * exits 0 (no shell; the step's cwd and env; bounded by the step's timeout). `value`: a test
 * of substituted text. `label` names the entry in messages (its description, else a summary).
 */
export type Precondition =
  | { kind: 'command'; label: string; command: string; args: string[] }
  | { kind: 'not_empty'; label: string; value: string }
  | { kind: 'equals'; label: string; value: string; expected: string }
  | { kind: 'matches'; label: string; value: string; pattern: RegExp }
  | { kind: 'in'; label: string; value: string; allowed: string[] }
  /** Holds when `check` does not (issue 13). */
  | { kind: 'not'; label: string; check: Precondition };

/**
 * What a step is (issue 13): a `command`; a child run of another plan (`plan`); the whole of a
 * static matrix (`matrix`: it runs nothing, it depends on its instances and ends with their
 * verdict); or a `for_each` step, expanded into instances once its item list is known.
 */
export type StepKind = 'command' | 'plan' | 'matrix' | 'for_each';

/** The fan-out policy of a `matrix` or `for_each` step. */
export interface FanOut {
  /** At most this many instances run at once (`max_parallel`); null: only the run's limit. */
  maxParallel: number | null;
  /** How many instances may fail while the whole succeeds (`tolerated_failures`). */
  tolerated: { count: number } | { percent: number };
  /** Cancel the remaining instances once more failed than tolerated (`fail_fast`). */
  failFast: boolean;
}

/** The item of a `for_each` instance: a string, or a flat object of strings. */
export type ForEachItem = string | Record<string, string>;

/**
 * A step whose fields reference what is only known while the run goes on (`${steps.…}`, a
 * `for_each` item): they are substituted from `source` when the step becomes ready
 * (bind-step.ts). Until then its ResolvedStep fields show those references as written.
 */
export interface LateStep {
  /** The step as written in the plan (the template of an instance). */
  source: Step;
  /** The instance's matrix combination, or null. */
  matrix: Record<string, string> | null;
  /** The instance's `for_each` item, or null. */
  item: ForEachItem | null;
}

export interface ResolvedStep {
  /** The step's id; an instance's is `STEP[KEY=VALUE,…]` (instance-id.ts). */
  id: string;
  /** Position in ResolvedPlan.steps (instances of a for_each step get the next free ones). */
  index: number;
  kind: StepKind;
  /** Position of the step that defines this one in the plan file's `steps` array. */
  planIndex: number;
  /** For an instance: the index of its matrix or for_each step, else null. */
  instanceOf: number | null;
  /** matrix / for_each steps: their fan-out policy, else null. */
  fanOut: FanOut | null;
  /** An instance's matrix combination, or null. */
  matrix: Record<string, string> | null;
  /** for_each steps: the item list's text as written (`${steps.list.outputs.files}`), else null. */
  forEach: string | null;
  /** Fields substituted when the step becomes ready, or null when all are known now. */
  late: LateStep | null;
  /** plan steps: the child plan's absolute path and the values for its variables (substituted). */
  subPlan: { path: string; vars: Record<string, string> } | null;
  /** Keys of the step's outputs that are secrets (`secret_outputs`). */
  secretOutputs: string[];
  /** Display name; the id when the plan gives none. */
  name: string;
  /** Executable, or the script line when `shell` is set. Variables substituted. */
  command: string;
  /** Variables substituted; each stays one argv entry (never passes through a shell). */
  args: string[];
  /** The interpreter's argv before the script line (`['/bin/sh', '-c']`, or
   * `['bash', '-e', '-o', 'pipefail', '-c']` for `"shell": "bash"`); null: `command` is exec'd. */
  shell: readonly string[] | null;
  /** Indices (into ResolvedPlan.steps) of the steps this one depends on, without duplicates.
   * A matrix step depends on its instances; they depend on what the plan's step depends on. */
  dependsOn: number[];
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  /** An attempt silent (no output) this long is stopped, ms (`idle_timeout_sec`); null for never. */
  idleTimeoutMs: number | null;
  /** First signal when the step is stopped (timeout, cancel, abort); SIGKILL after `killGraceMs`. */
  killSignal: NodeJS.Signals;
  /** Time between `killSignal` and SIGKILL, ms (the step's `kill_grace_sec`, else the plan's). */
  killGraceMs: number;
  retry: RetryPolicy;
  critical: boolean;
  onFailure: OnFailure;
  triggerRule: TriggerRule;
  /** Absolute working directory. */
  cwd: string;
  /** globals.env overlaid by the step's env, substituted; the process env is added at spawn. */
  env: Record<string, string>;
  successExitCodes: number[];
  /** Variables substituted; empty when the step has none. */
  preconditions: Precondition[];
  /** Indices of the upstream steps this cleanup step undoes (`undoes`); null when not given. */
  undoes: number[] | null;
  /** Name of the cross-run mutex the step holds while it runs (`mutex`, substituted), or null. */
  mutex: string | null;
  /** Globs (relative to cwd) whose contents make the step up to date (`sources`); null: never up to date. */
  sources: string[] | null;
  /** Globs (relative to cwd) that must exist for an up-to-date skip (`generates`). */
  generates: string[];
}

export interface ResolvedPlan {
  planId: string;
  version: string;
  description: string | undefined;
  metadata: Record<string, unknown>;
  /** Absolute path of the plan file. */
  path: string;
  /** sha256 (hex) of the plan file's bytes. */
  sha256: string;
  /** Absolute directory of the plan file (`${PLAN_DIR}`). */
  dir: string;
  maxConcurrency: number;
  /** Time between SIGTERM and SIGKILL when a step's process tree is stopped, in ms. */
  killGraceMs: number;
  /** Run-level limit (`globals.timeout_sec`), ms; null for none. */
  timeoutMs: number | null;
  /** `globals.fail_fast`: an aborting failure also stops the running steps. */
  failFast: boolean;
  /** The cross-run mutex the whole run holds (`globals.mutex`, substituted), and what to do when it is busy. */
  mutex: { name: string; onBusy: 'wait' | 'fail' | 'cancel_other' } | null;
  /** Every variable's value, built-ins included (RUN_ID, PLAN_DIR, STATE_DIR). Not masked. */
  vars: Record<string, string>;
  /** Names of the variables declared `secret: true`. */
  secretNames: string[];
  /** Steps in file order; `ResolvedStep.index` is the position here. */
  steps: ResolvedStep[];
  /** Step indices in a topological order (dependencies first, ties in file order). */
  order: number[];
  /** What binding late steps and expanding for_each steps needs (bind-step.ts). */
  scope: ResolveScope;
}

/** The plan-wide values a step's fields are resolved with. */
export interface ResolveScope {
  vars: ReadonlyMap<string, string>;
  /** Absolute directory relative step `cwd`s resolve against. */
  baseDir: string;
  /** globals.env, substituted. */
  globalEnv: Record<string, string>;
  defaultTimeoutSec: number;
  /** globals.kill_grace_sec or its default. */
  killGraceSec: number;
}
