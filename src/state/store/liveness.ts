/**
 * The one rule for whether the engine process recorded for a run is still alive, used by crash
 * recovery, `engine cancel`, `engine runs/show` ("engine gone") and `logs --follow`.
 *
 * - On this host: its pid exists (signal 0; EPERM counts as alive) and, on Linux, its command
 *   line looks like Node running the engine, because a pid can be reused by an unrelated
 *   process after the engine died.
 * - On another host, where its pid means nothing: its heartbeat (`runs.heartbeat_at`, written
 *   at least every 5 s while a run is active) is at most {@link STALE_HEARTBEAT_MS} old.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { processExists } from '../../engine/process/process-group.js';

/** How long without a heartbeat an engine on another host counts as dead, in ms. */
export const STALE_HEARTBEAT_MS = 30_000;

/** The engine columns of a `runs` row. */
export interface EngineRecord {
  pid: number;
  hostname: string;
  /** ISO 8601 time of the engine's last write for the run. */
  heartbeat_at: string;
}

/** True when the engine recorded in `run` is alive (see the module comment). */
export function engineIsAlive(run: EngineRecord, now: number = Date.now()): boolean {
  if (run.hostname === hostname()) return isEngineProcess(run.pid);
  const beat = Date.parse(run.heartbeat_at);
  return !Number.isFinite(beat) || now - beat <= STALE_HEARTBEAT_MS;
}

/** True when `pid` is a live process of this host that looks like the engine. */
export function isEngineProcess(pid: number): boolean {
  if (!processExists(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  return /node|engine/.test(cmdline);
}
