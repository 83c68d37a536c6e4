/**
 * Trigger rules decide whether a step runs once its dependencies have ended (names and
 * meanings follow Airflow's trigger rules; the set comes from issue 2):
 * - `all_success`: every dependency succeeded (a failure with `on_failure: continue` counts);
 * - `all_done`: every dependency ended, whatever the outcome (cleanup);
 * - `one_failed`: at least one dependency failed;
 * - `none_failed`: no dependency failed (skipped and cancelled are fine).
 * A rule that can no longer hold is decided early, so skips propagate as soon as the cause
 * is known instead of waiting for slower siblings.
 */
import type { TriggerRule } from '../schema/resolved-plan.js';

/** Outcome counts over a step's dependencies. */
export interface DependencyTally {
  total: number;
  /** Dependencies in a terminal state. */
  done: number;
  /** Succeeded, or failed with `on_failure: continue`. */
  satisfied: number;
  /** Failed (final attempt) without `on_failure: continue`. */
  failed: number;
}

/** `wait`: undecided yet; `run`: the rule holds; `skip`: it can no longer hold. */
export type Verdict = 'wait' | 'run' | 'skip';

export function evaluateTriggerRule(rule: TriggerRule, t: DependencyTally): Verdict {
  const allDone = t.done === t.total;
  switch (rule) {
    case 'all_success':
      if (t.done > t.satisfied) return 'skip';
      return allDone ? 'run' : 'wait';
    case 'none_failed':
      if (t.failed > 0) return 'skip';
      return allDone ? 'run' : 'wait';
    case 'all_done':
      return allDone ? 'run' : 'wait';
    case 'one_failed':
      if (!allDone) return 'wait';
      return t.failed > 0 ? 'run' : 'skip';
  }
}

/** Human text for why `rule` cannot hold, naming the upstream step that decided it. */
export function skipDetail(rule: TriggerRule, upstream: string | null, upstreamStatus: string): string {
  switch (rule) {
    case 'all_success':
      return `upstream step "${upstream}" ${upstreamStatus} (trigger rule all_success)`;
    case 'none_failed':
      return `upstream step "${upstream}" failed (trigger rule none_failed)`;
    case 'one_failed':
      return 'no upstream step failed (trigger rule one_failed)';
    case 'all_done':
      return 'unreachable: all_done never skips';
  }
}
