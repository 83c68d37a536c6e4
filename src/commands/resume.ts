/**
 * `engine resume RUN`: continues a failed, cancelled or interrupted run in the same run id.
 * Steps that succeeded are kept; the others run again under the same plan file (refused when
 * the file changed since the run started, unless `--force`), with the run's recorded
 * variables (secret ones must be given again with `--var`) and attempt numbers continuing.
 * The run's events.jsonl is the record this reads: runs.db is derived from it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EngineEvent, RunStartedEvent } from '../engine/events.js';
import type { ResumeState } from '../engine/run-plan.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { requireRunsDb, resolveRun } from '../query/runs-reader.js';
import { loadPlan } from '../schema/load-plan.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import { selectTargets } from '../schema/select-targets.js';
import { eventsPath } from '../state/paths.js';
import { readEvents } from '../state/recovery.js';
import { resolveStateDir, type VarOptions } from './common.js';
import { reportError } from './report-error.js';
import { executeRun, type ExecuteOptions } from './run.js';

export interface ResumeOptions extends VarOptions, ExecuteOptions {
  stateDir?: string;
  /** Resume even though the plan file changed since the run started. */
  force?: boolean;
}

const BUILTINS = new Set(['RUN_ID', 'PLAN_DIR', 'STATE_DIR']);
const RESUMABLE = new Set(['failed', 'cancelled', 'interrupted']);

export async function resumeCommand(runRef: string, opts: ResumeOptions): Promise<number> {
  const stateDir = resolveStateDir(opts.stateDir);
  try {
    const db = requireRunsDb(stateDir);
    let runId: string;
    let status: string;
    try {
      ({ run_id: runId, status } = resolveRun(db, runRef, stateDir));
    } finally {
      db.close();
    }
    if (status === 'succeeded') {
      process.stdout.write(`run ${runId} already succeeded: nothing to resume\n`);
      return ExitCode.ok;
    }
    if (!RESUMABLE.has(status)) throw new UserError(`run ${runId} is ${status}; only failed, cancelled or interrupted runs can be resumed`);
    const events = readEvents(eventsPath(stateDir, runId));
    const started = events.find((e): e is RunStartedEvent => e.type === 'run_started');
    if (!started) throw new UserError(`run ${runId} has no run_started event in ${eventsPath(stateDir, runId)}`);
    const plan = planForResume(started, runId, stateDir, opts);
    const progress = progressOf(events);
    const resume: ResumeState = {
      previousStatus: status as ResumeState['previousStatus'],
      ...progress,
      kept: keptSteps(plan, progress.kept, progress.attempts),
    };
    return await executeRun(plan, { runId, stateDir, cwd: started.cwd, resume, ...opts });
  } catch (err) {
    return reportError(err);
  }
}

/** Loads the run's plan file again with its recorded variables, as the run saw it. */
function planForResume(started: RunStartedEvent, runId: string, stateDir: string, opts: ResumeOptions): ResolvedPlan {
  let bytes: Buffer;
  try {
    bytes = readFileSync(started.plan_path);
  } catch {
    throw new UserError(`the plan file of run ${runId} is gone: ${started.plan_path}`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== started.plan_sha256 && !opts.force) {
    throw new UserError(`the plan file ${started.plan_path} changed since run ${runId} started; resume with --force to run the changed plan`);
  }
  const given = new Map(opts.var.map((kv) => [kv.slice(0, kv.indexOf('=')), kv]));
  const varArgs = [...given.values()];
  const missingSecrets: string[] = [];
  for (const [name, value] of Object.entries(started.vars)) {
    if (BUILTINS.has(name) || given.has(name)) continue;
    if (value === '***') missingSecrets.push(name);
    else varArgs.push(`${name}=${value}`);
  }
  if (missingSecrets.length > 0) {
    throw new UserError(`secret variables are not recorded; give them again: ${missingSecrets.map((n) => `--var ${n}=...`).join(' ')}`);
  }
  const plan = loadPlan({
    path: started.plan_path,
    varArgs,
    varsFile: opts.varsFile,
    runId,
    stateDir,
    cwd: started.cwd,
    maxConcurrency: started.max_concurrency,
  });
  // A run started with --target recorded only its closure: resume exactly those steps.
  return plan.steps.length === started.steps.length ? plan : selectTargets(plan, started.steps.map((s) => s.id));
}

/**
 * The succeeded steps that are kept. Two rules make a succeeded step run again:
 * - an `all_done` step that already ran is cleanup that undid what its dependencies did
 *   (released a lock, removed a worktree), so those dependencies run again;
 * - a step after one that runs again runs again too (its dependencies must all be kept).
 */
function keptSteps(plan: ResolvedPlan, succeeded: ReadonlySet<string>, attempts: ReadonlyMap<string, number>): Set<string> {
  const undone = new Uint8Array(plan.steps.length);
  for (const s of plan.steps) {
    if (s.triggerRule === 'all_done' && (attempts.get(s.id) ?? 0) > 0) for (const d of s.dependsOn) undone[d] = 1;
  }
  const kept = new Uint8Array(plan.steps.length);
  const ids = new Set<string>();
  for (const i of plan.order) {
    const s = plan.steps[i]!;
    if (succeeded.has(s.id) && !undone[i] && s.dependsOn.every((d) => kept[d])) {
      kept[i] = 1;
      ids.add(s.id);
    }
  }
  return ids;
}

/** Which steps have succeeded so far, how many attempts each made, and the last seq. */
function progressOf(events: readonly EngineEvent[]): Omit<ResumeState, 'previousStatus'> {
  const succeeded = new Set<string>();
  const attempts = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'step_started') attempts.set(e.step_id, e.attempt);
    else if (e.type === 'step_succeeded') succeeded.add(e.step_id);
    else if (e.type === 'run_resumed') for (const id of e.rerun) succeeded.delete(id);
  }
  return { lastSeq: events.at(-1)?.seq ?? 0, kept: succeeded, attempts };
}
