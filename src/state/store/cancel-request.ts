/**
 * Who asks a run to cancel. `engine cancel` and the dashboard stop a run the way Ctrl-C does,
 * with SIGINT to its engine, and a signal carries no sender the engine can read. So before the
 * signal they leave `runs/<run_id>/cancel-request.json` (`{source, pid, at_ms}`), and the
 * engine's signal handler takes it (reads and removes it): a SIGINT with a fresh request is
 * that request, one without is a local Ctrl-C or a plain `kill`.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDir } from './paths.js';

/** The requesters that leave a file; others (a terminal, `kill`) are plain signals. */
export type CancelRequester = 'engine_cancel' | 'dashboard';

export interface CancelRequest {
  source: CancelRequester;
  /** The requesting process. */
  pid: number;
}

/** A request older than this when the signal arrives is stale (its signal never came). */
const FRESH_MS = 10_000;

const FILE = 'cancel-request.json';

/** `<stateDir>/runs/<runId>/cancel-request.json` */
export function cancelRequestPath(stateDir: string, runId: string): string {
  return join(runDir(stateDir, runId), FILE);
}

/**
 * Leaves a request for the run's engine (atomically: written aside, then renamed), to be sent
 * right before the SIGINT. Returns a function that withdraws it, for when the signal fails.
 * @throws what writing into the run's directory throws
 */
export function leaveCancelRequest(stateDir: string, runId: string, request: CancelRequest): () => void {
  const path = cancelRequestPath(stateDir, runId);
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, JSON.stringify({ ...request, at_ms: Date.now() }));
  renameSync(aside, path);
  return () => rmSync(path, { force: true });
}

/**
 * Reads and removes the run's request; null when there is none, it is stale or unreadable
 * (then the signal counts as a plain one). Never throws.
 */
export function takeCancelRequest(stateDir: string, runId: string, nowMs = Date.now()): CancelRequest | null {
  const path = cancelRequestPath(stateDir, runId);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    rmSync(path, { force: true });
  } catch {
    return null;
  }
  try {
    const r = JSON.parse(text) as { source?: unknown; pid?: unknown; at_ms?: unknown };
    const known = r.source === 'engine_cancel' || r.source === 'dashboard';
    const fresh = typeof r.at_ms === 'number' && nowMs - r.at_ms <= FRESH_MS;
    if (!known || !fresh || !Number.isInteger(r.pid)) return null;
    return { source: r.source as CancelRequester, pid: r.pid as number };
  } catch {
    return null;
  }
}
