/**
 * Cancelling a run from the page: what `engine cancel` does (src/commands/cancel.ts), without
 * its crash recovery (the dashboard writes nothing to runs.db): SIGINT to the run's engine,
 * after checking that the pid still names a live engine on this host, with a request file
 * before it so the run records the dashboard as who asked (src/state/store/cancel-request.ts).
 */
import { hostname } from 'node:os';
import { signalProcess } from '../engine/process/process-group.js';
import { leaveCancelRequest } from '../state/store/cancel-request.js';
import { isEngineProcess as isProcessAlive } from '../state/store/liveness.js';
import type { ApiRun } from './api-types.js';
import { HttpError } from './http-util.js';

/**
 * Sends SIGINT to `run`'s engine (a second cancel is the second Ctrl-C: cleanup steps are
 * cancelled too). Returns the message for the page.
 * @throws HttpError 409 when the run is not running, runs on another host, or its engine is gone
 */
export function cancelRun(stateDir: string, run: ApiRun): string {
  if (run.status !== 'running') throw new HttpError(409, `run ${run.run_id} is ${run.status}, not running: nothing to cancel`);
  if (run.hostname !== hostname()) throw new HttpError(409, `run ${run.run_id} runs on host ${run.hostname}; cancel it there`);
  if (!isProcessAlive(run.pid)) throw new HttpError(409, `the engine process ${run.pid} of run ${run.run_id} is gone`);
  const withdraw = leaveCancelRequest(stateDir, run.run_id, { source: 'dashboard', pid: process.pid });
  let sent: boolean;
  try {
    sent = signalProcess(run.pid, 'SIGINT');
  } catch (err) {
    withdraw();
    throw err;
  }
  if (!sent) {
    withdraw();
    throw new HttpError(409, `the engine process ${run.pid} of run ${run.run_id} is gone`);
  }
  return `cancel requested: run ${run.run_id} (engine pid ${run.pid})`;
}
