/** Statuses as the page shows them; the values are runs.db's (docs/runs-db.md). */
import { signal } from '@preact/signals';
import type { AttemptStatus, RunStatus, StepStatus } from './types.js';

export const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'cancelled', 'interrupted'];

/** The CSS class that colours a status (the same colours in every view). */
export function statusClass(status: RunStatus | StepStatus | AttemptStatus): string {
  return `status-${status}`;
}

/** For exhaustive switches: a compile error when a case is missing. */
export function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}

/**
 * The wall clock for durations and bars of things still running, ticking once a second while
 * at least one view needs it (see {@link useTicking}).
 */
export const nowMs = signal(Date.now());
let tickers = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** Starts the clock while `active`; returns the cleanup for an effect. */
export function tickWhile(active: boolean): () => void {
  if (!active) return () => {};
  if (tickers++ === 0) timer = setInterval(() => (nowMs.value = Date.now()), 1000);
  nowMs.value = Date.now();
  return () => {
    if (--tickers === 0) clearInterval(timer);
  };
}
