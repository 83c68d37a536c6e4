/**
 * Why a failed run failed, from its step rows: the first step that failed (preferring one that
 * other steps name as their `upstream`: the failure that aborted or skipped them), how its last
 * attempt ended, and which steps it skipped or cancelled, directly or through other steps.
 */
import { timeMs } from '../format.js';
import type { ApiAttempt, ApiStep } from '../types.js';

export interface RootCause {
  step: ApiStep;
  /** Its last attempt, when it started at all. */
  attempt: ApiAttempt | undefined;
  skipped: string[];
  cancelled: string[];
}

export function rootCause(steps: readonly ApiStep[], attemptsOf: (stepId: string) => readonly ApiAttempt[]): RootCause | null {
  const failed = steps.filter((s) => s.status === 'failed');
  if (failed.length === 0) return null;
  const named = new Set(steps.map((s) => s.upstream).filter((u): u is string => u !== null));
  const byTime = [...failed].sort((a, b) => (timeMs(a.finished_at) || Infinity) - (timeMs(b.finished_at) || Infinity));
  const step = byTime.find((s) => named.has(s.step_id)) ?? byTime[0]!;
  const upstreamOf = new Map(steps.map((s) => [s.step_id, s.upstream]));
  const causedBy = (id: string): boolean => {
    const seen = new Set<string>();
    for (let u = upstreamOf.get(id) ?? null; u !== null && !seen.has(u); u = upstreamOf.get(u) ?? null) {
      if (u === step.step_id) return true;
      seen.add(u);
    }
    return false;
  };
  return {
    step,
    attempt: attemptsOf(step.step_id).at(-1),
    skipped: steps.filter((s) => s.status === 'skipped' && causedBy(s.step_id)).map((s) => s.step_id),
    cancelled: steps.filter((s) => s.status === 'cancelled' && causedBy(s.step_id)).map((s) => s.step_id),
  };
}
