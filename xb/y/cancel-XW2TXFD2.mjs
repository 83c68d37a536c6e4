import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  requireRunsDb,
  resolveRun
} from "./chunk-MYH7MVTT.mjs";
import {
  isProcessAlive
} from "./chunk-QY6XNTNJ.mjs";
import {
  resolveStateDir
} from "./chunk-UAN2LSTN.mjs";
import {
  ExitCode,
  UserError,
  reportError
} from "./chunk-4DO664QM.mjs";
import "./chunk-R5JLVHAA.mjs";

// ../../work/main/src/commands/cancel.ts
import { hostname } from "node:os";
async function cancelCommand(runRef, opts) {
  const stateDir = resolveStateDir(opts.stateDir);
  try {
    const db = requireRunsDb(stateDir);
    let run;
    try {
      run = resolveRun(db, runRef, stateDir);
    } finally {
      db.close();
    }
    if (run.status !== "running") throw new UserError(`run ${run.run_id} is ${run.status}, not running: nothing to cancel`);
    if (run.hostname !== hostname()) {
      throw new UserError(`run ${run.run_id} runs on host ${run.hostname}; cancel it there`);
    }
    if (!isProcessAlive(run.pid)) throw new UserError(`the engine process ${run.pid} of run ${run.run_id} is gone`);
    process.kill(run.pid, "SIGINT");
    process.stdout.write(`cancel requested: run ${run.run_id} (engine pid ${run.pid})
`);
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
export {
  cancelCommand
};
