/**
 * `engine logs RUN [STEP]`: a step's log (its latest attempt, or --attempt N), or every
 * step's logs (every attempt) in topological order under `==> step (attempt …) <==` headers.
 * `--follow` streams a live run's logs until it ends (src/query/follow.ts).
 */
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { attemptRange, followAllSteps, followStep } from '../query/follow.js';
import { copyFile, stdoutOutput, type Output } from '../query/log-files.js';
import {
  attemptsOfStep,
  getStep,
  requireRunsDb,
  resolveRun,
  stepsOf,
  stepsWithAttempts,
  type AttemptRow,
} from '../query/runs-reader.js';
import type { RunsDb } from '../state/store/runs-db.js';
import { recoverBeforeReading, resolveStateDir } from './common.js';
import { reportError } from './report-error.js';
import { didYouMean } from '../schema/did-you-mean.js';

export interface LogsOptions {
  attempt?: number;
  follow?: boolean;
  stateDir?: string;
}

export async function logsCommand(runRef: string, stepId: string | undefined, opts: LogsOptions): Promise<number> {
  // `engine logs … | head` closes the pipe early: stop quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(ExitCode.ok);
    throw err;
  });
  try {
    if (opts.attempt !== undefined && stepId === undefined) {
      throw new UserError('--attempt needs a STEP (engine logs RUN STEP --attempt N)', ExitCode.usage);
    }
    const stateDir = resolveStateDir(opts.stateDir);
    await recoverBeforeReading(stateDir);
    const db = requireRunsDb(stateDir);
    try {
      const run = resolveRun(db, runRef, stateDir);
      if (stepId !== undefined) checkStep(db, run.run_id, stepId);
      const out = stdoutOutput;
      if (opts.follow) {
        return stepId === undefined
          ? await followAllSteps(db, run.run_id, out)
          : await followStep(db, run.run_id, stepId, opts.attempt, out);
      }
      return stepId === undefined ? await printAllSteps(db, run.run_id, out) : await printStep(db, run.run_id, stepId, opts.attempt, out);
    } finally {
      db.close();
    }
  } catch (err) {
    return reportError(err);
  }
}

/** @throws UserError (exit 2) naming the run's steps when it has no step `stepId` */
function checkStep(db: RunsDb, runId: string, stepId: string): void {
  if (getStep(db, runId, stepId)) return;
  const ids = stepsOf(db, runId).map((s) => s.step_id);
  throw new UserError(`run ${runId} has no step "${stepId}"${didYouMean(stepId, ids)}; its steps: ${ids.join(', ')}`, ExitCode.usage);
}

/** One step's log, as is: the latest attempt, or `attempt`. */
async function printStep(db: RunsDb, runId: string, stepId: string, attempt: number | undefined, out: Output): Promise<number> {
  const attempts = attemptsOfStep(db, runId, stepId);
  let chosen: AttemptRow | undefined;
  if (attempt !== undefined) {
    chosen = attempts.find((a) => a.attempt === attempt);
    if (!chosen) throw new UserError(`step "${stepId}" has no attempt ${attempt} (${attemptRange(attempts.length)})`, ExitCode.usage);
  } else {
    chosen = attempts.at(-1);
    if (!chosen) {
      process.stderr.write(`engine: ${noLogWhy(db, runId, stepId)}\n`);
      return ExitCode.ok;
    }
  }
  if ((await copyFile(chosen.log_path, out)) === null) {
    process.stderr.write(`engine: log file ${chosen.log_path} is missing\n`);
    return ExitCode.failed;
  }
  return ExitCode.ok;
}

/** Why a step has no log: it never started, or it runs no process of its own (issue 13: a matrix or for_each step, whose instances have logs). */
function noLogWhy(db: RunsDb, runId: string, stepId: string): string {
  const step = getStep(db, runId, stepId);
  if (step?.kind === 'matrix' || step?.kind === 'for_each') {
    const instances = stepsOf(db, runId)
      .filter((s) => s.instance_of === stepId)
      .map((s) => s.step_id);
    const list = instances.length === 0 ? 'it has no instances' : `its instances have them: ${instances.slice(0, 10).join(', ')}${instances.length > 10 ? `, … (${instances.length})` : ''}`;
    return `step "${stepId}" is a ${step.kind} step and runs nothing itself (${step.status}); ${list}`;
  }
  return `step "${stepId}" has no log: it never started (${step?.status ?? 'unknown'})`;
}

/** Every step's attempts in topological order, each under a header line. */
async function printAllSteps(db: RunsDb, runId: string, out: Output): Promise<number> {
  let first = true;
  let missing = 0;
  const header = async (text: string): Promise<void> => {
    await out(`${first ? '' : '\n'}==> ${text} <==\n`);
    first = false;
  };
  for (const { step, attempts } of stepsWithAttempts(db, runId)) {
    if (attempts.length === 0) {
      await header(`${step.step_id} (${step.status}, never started: no log)`);
      continue;
    }
    for (const a of attempts) {
      await header(`${step.step_id} (attempt ${a.attempt} of ${attempts.length}, ${a.status})`);
      const endsWithNewline = await copyFile(a.log_path, out);
      if (endsWithNewline === null) {
        missing++;
        await out(`(log file ${a.log_path} is missing)\n`);
      } else if (!endsWithNewline) {
        await out('\n');
      }
    }
  }
  return missing > 0 ? ExitCode.failed : ExitCode.ok;
}
