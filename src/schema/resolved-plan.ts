/**
 * A plan after validation and variable substitution: what the engine runs. Options are
 * normalised here once (defaults applied, seconds turned into ms, paths made absolute) and
 * trusted everywhere after.
 */
import type { Step } from './plan-file.generated.js';

export type OnFailure = NonNullable<Step['on_failure']>;
export type TriggerRule = NonNullable<Step['trigger_rule']>;

/** Retry policy of a step; delays in ms. Delay before attempt n+1 (n >= 1) is
 * `min(delayMs * backoff^(n-1), maxDelayMs)` (issue 2). */
export interface RetryPolicy {
  /** Further attempts after the first: total attempts = retries + 1. */
  retries: number;
  delayMs: number;
  /** Multiplier >= 1. */
  backoff: number;
  /** Upper bound of a delay in ms; 365 days when the plan gives none. */
  maxDelayMs: number;
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
  | { kind: 'matches'; label: string; value: string; pattern: RegExp };

export interface ResolvedStep {
  id: string;
  /** Position in the plan's `steps` array. */
  index: number;
  /** Display name; the id when the plan gives none. */
  name: string;
  /** Executable, or the script line when `shell` is true. Variables substituted. */
  command: string;
  /** Variables substituted; each stays one argv entry (never passes through a shell). */
  args: string[];
  shell: boolean;
  /** Indices (into ResolvedPlan.steps) of the steps this one depends on, without duplicates. */
  dependsOn: number[];
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
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
  /** Every variable's value, built-ins included (RUN_ID, PLAN_DIR, STATE_DIR). Not masked. */
  vars: Record<string, string>;
  /** Names of the variables declared `secret: true`. */
  secretNames: string[];
  /** Steps in file order; `ResolvedStep.index` is the position here. */
  steps: ResolvedStep[];
  /** Step indices in a topological order (dependencies first, ties in file order). */
  order: number[];
}
