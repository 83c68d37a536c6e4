/**
 * `engine resume RUN`: continues a failed, cancelled or interrupted run in the same run id,
 * under the same plan file (refused when the file changed since the run started, unless
 * `--force`), with the run's recorded variables (secret ones must be given again) and attempt
 * numbers continuing. This command does the I/O: it reads the run's events.jsonl (the record
 * runs.db is derived from) and the plan file once; which steps are kept is decided by
 * src/engine/resume.ts.
 */
import { createHash } from 'node:crypto';
import type { ExecutorRecord } from '../engine/events.js';
import { recordedRun, resumeState, type RecordedRun } from '../engine/resume.js';
import { isResumableRunStatus } from '../engine/status.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { requireRunsDb, resolveRun, using } from '../query/runs-reader.js';
import { readInputFile } from '../schema/input-file.js';
import { loadPlan } from '../schema/load-plan.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import { selectTargets } from '../schema/select-targets.js';
import { readEvents } from '../state/store/event-log.js';
import { eventsPath } from '../state/store/paths.js';
import { recoverInterruptedRuns } from '../state/store/recovery.js';
import { invalidPlanJson, resolveStateDir, type VarOptions } from './common.js';
import { executeRun, type ExecuteOptions } from './execute-run.js';
import { chooseExecutor, type ExecutorOptions } from './executor-options.js';
import { reportError } from './report-error.js';

export interface ResumeOptions extends VarOptions, ExecuteOptions, ExecutorOptions {
  stateDir?: string;
  /** Resume even though the plan file changed since the run started. */
  force?: boolean;
}

export async function resumeCommand(runRef: string, opts: ResumeOptions): Promise<number> {
  const stateDir = resolveStateDir(opts.stateDir);
  try {
    // A run whose engine died is still `running` until recovered: recover it first.
    await recoverInterruptedRuns(stateDir);
    const runId = using(requireRunsDb(stateDir), (db) => resolveRun(db, runRef, stateDir).run_id);
    const path = eventsPath(stateDir, runId);
    const events = readEvents(path);
    const run = recordedRun(events);
    if (!run) throw new UserError(`run ${runId} has no run_started event in ${path}`);
    if (run.status === 'succeeded') {
      process.stdout.write(`run ${runId} already succeeded: nothing to resume\n`);
      return ExitCode.ok;
    }
    if (!isResumableRunStatus(run.status)) {
      throw new UserError(`run ${runId} is ${run.status}; only failed, cancelled or interrupted runs can be resumed`);
    }
    const plan = planForResume(run, runId, stateDir, opts);
    const resume = resumeState(plan, run, run.status);
    // The workers the run used, unless told otherwise.
    let recorded: ExecutorRecord | null = null;
    for (const e of events) if (e.type === 'run_started' || e.type === 'run_resumed') recorded = e.executor ?? null;
    const executor = chooseExecutor(plan, opts, recorded);
    return await executeRun(plan, { ...opts, runId, stateDir, cwd: run.started.cwd, resume, executor });
  } catch (err) {
    const json = opts.json ? invalidPlanJson(err) : null;
    if (json) process.stdout.write(json);
    return reportError(err);
  }
}

/** Loads the run's plan file again (read and hashed once) with its recorded variables. */
function planForResume(run: RecordedRun, runId: string, stateDir: string, opts: ResumeOptions): ResolvedPlan {
  const { started } = run;
  const read = readInputFile('plan file', started.plan_path);
  if (!read.ok) throw new UserError(`cannot read the plan file of run ${runId}: ${read.message}`);
  const bytes = read.bytes;
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== started.plan_sha256 && !opts.force) {
    throw new UserError(`the plan file ${started.plan_path} changed since run ${runId} started; resume with --force to run the changed plan`);
  }
  const plan = loadPlan({
    path: started.plan_path,
    bytes,
    varArgs: opts.var,
    varsFile: opts.varsFile,
    recordedVars: new Map(Object.entries(started.vars)),
    runId,
    stateDir,
    cwd: started.cwd,
    maxConcurrency: started.max_concurrency,
    env: process.env,
  });
  // A run started with --target recorded only its closure: resume exactly those steps.
  return plan.steps.length === started.steps.length ? plan : selectTargets(plan, started.steps.map((s) => s.id));
}
