/**
 * Whether a `running` run's engine is gone, for the page to say so (the dashboard never
 * recovers runs itself: that writes runs.db; `engine resume` and the other commands do).
 */
import { engineIsAlive } from '../state/store/liveness.js';
import type { RunStatus } from './api-types.js';

/** True when `run` is `running` but its engine is not (the one liveness rule of src/state/store/liveness.ts). */
export function engineGone(run: { status: RunStatus; pid: number; hostname: string; heartbeat_at: string }): boolean {
  return run.status === 'running' && !engineIsAlive(run);
}
