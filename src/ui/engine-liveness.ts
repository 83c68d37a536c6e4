/**
 * Whether a `running` run's engine is gone, for the page to say so (the dashboard never
 * recovers runs itself: that writes runs.db; `engine resume` and the other commands do).
 */
import { hostname } from 'node:os';
import { isProcessAlive } from '../state/liveness.js';
import type { RunStatus } from './api-types.js';

/** Without a heartbeat for this long, a run of another host counts as gone (as `engine logs -f`). */
const STALE_HEARTBEAT_MS = 30_000;

/**
 * True when `run` is `running` but its engine is not: on this host its pid is no longer a live
 * engine; on another host its heartbeat is older than 30 s.
 */
export function engineGone(run: { status: RunStatus; pid: number; hostname: string; heartbeat_at: string }): boolean {
  if (run.status !== 'running') return false;
  if (run.hostname === hostname()) return !isProcessAlive(run.pid);
  const beatMs = Date.parse(run.heartbeat_at);
  return Number.isFinite(beatMs) && Date.now() - beatMs > STALE_HEARTBEAT_MS;
}
