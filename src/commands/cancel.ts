/**
 * `engine cancel RUN`: asks a live run to cancel, with the same effect as Ctrl-C in its
 * terminal: the run's engine process gets SIGINT (a second `engine cancel` is the second
 * Ctrl-C). Works from any terminal of the same host; returns once the signal is sent.
 */
import { hostname } from 'node:os';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { signalProcess } from '../engine/process/process-group.js';
import { requireRunsDb, resolveRun, using } from '../query/runs-reader.js';
import { leaveCancelRequest } from '../state/store/cancel-request.js';
import { isEngineProcess } from '../state/store/liveness.js';
import { recoverInterruptedRuns } from '../state/store/recovery.js';
import { resolveStateDir } from './common.js';
import { reportError } from './report-error.js';

export interface CancelOptions {
  stateDir?: string;
  /** Print `{run_id, pid, signal}` instead of a sentence. */
  json?: boolean;
}

export async function cancelCommand(runRef: string, opts: CancelOptions): Promise<number> {
  const stateDir = resolveStateDir(opts.stateDir);
  try {
    // A dead engine's run is recorded as running until recovered: then it is not cancellable.
    await recoverInterruptedRuns(stateDir);
    const run = using(requireRunsDb(stateDir), (db) => resolveRun(db, runRef, stateDir));
    if (run.status !== 'running') throw new UserError(`run ${run.run_id} is ${run.status}, not running: nothing to cancel`);
    if (run.hostname !== hostname()) {
      throw new UserError(`run ${run.run_id} runs on host ${run.hostname}; cancel it there`);
    }
    if (!isEngineProcess(run.pid)) throw new UserError(`the engine process ${run.pid} of run ${run.run_id} is gone`);
    // The run records who asked (`cancelled by engine cancel from pid N`), not a local Ctrl-C.
    const withdraw = leaveCancelRequest(stateDir, run.run_id, { source: 'engine_cancel', pid: process.pid });
    let sent: boolean;
    try {
      sent = signalProcess(run.pid, 'SIGINT');
    } catch (err) {
      withdraw();
      throw new UserError(`cannot signal the engine process ${run.pid} of run ${run.run_id}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (it belongs to another user?)`);
    }
    if (!sent) withdraw();
    if (!sent) throw new UserError(`the engine process ${run.pid} of run ${run.run_id} is gone`);
    if (opts.json) process.stdout.write(`${JSON.stringify({ run_id: run.run_id, pid: run.pid, signal: 'SIGINT' })}\n`);
    else process.stdout.write(`cancel requested: run ${run.run_id} (engine pid ${run.pid})\n`);
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
