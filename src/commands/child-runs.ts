/**
 * Child runs of plan steps (issue 13): `{"id": "deploy_eu", "plan": "deploy.json", "vars": {…}}`
 * runs deploy.json as a run of its own, in this engine process and state directory, recorded
 * like any run (its events.jsonl, its runs.db rows with `parent_run_id` / `parent_step_id`),
 * its steps under the root run's concurrency limit. The step's status is the child run's
 * outcome. Cancelling the step (Ctrl-C, an abort with fail_fast) cancels the child run; a
 * resumed parent resumes the child run the step started before, keeping its succeeded steps.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import type { LimitFunction } from 'p-limit';
import type { AttemptPort, AttemptResult, ChildRunPort, ChildRunRequest, RunningChildRun } from '../engine/attempt.js';
import type { EngineHost } from '../engine/event-drafts.js';
import { createMasker } from '../engine/mask.js';
import { recordedRun, resumeState, type ResumeState } from '../engine/resume.js';
import type { RemoteAttempts } from '../engine/remote/remote-attempts.js';
import { newRunId } from '../engine/run-id.js';
import { RunLoop } from '../engine/run-loop.js';
import { isResumableRunStatus } from '../engine/status.js';
import { loadPlan } from '../schema/load-plan.js';
import { formatProblem, PlanError } from '../schema/problems.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import { EventsFile } from '../state/sinks/events-file-sink.js';
import { TurnBuffer, type BatchSink } from '../state/sinks/turn-buffer.js';
import { readEvents } from '../state/store/event-log.js';
import { eventsPath, logsDir, outputsDir } from '../state/store/paths.js';
import { localPorts, storePorts } from './run-ports.js';

/** What child runs share with the run whose steps start them. */
export interface ChildRunContext {
  stateDir: string;
  /** The engine's working directory (relative paths of every plan resolve against it). */
  cwd: string;
  /** The run whose plan steps start these child runs. */
  parentRunId: string;
  host: EngineHost;
  /** The root run's runs.db writer: child runs write through it (it is closed by the root run). */
  runsDb: BatchSink;
  /** The root run's concurrency limit. */
  limit: LimitFunction;
  cgroup: string | null;
  env: NodeJS.ProcessEnv;
  force: boolean | ReadonlySet<string>;
  /**
   * When the root run sends its steps to workers (issue 16): connects a child run to them, as
   * the root run is (its own job ids, report stream and executor record), `local` carrying out
   * its `runs_on: "local"` steps. Absent: the child's steps run here.
   * @throws Error when Redis cannot be reached (the plan step fails with that message)
   */
  connectWorkers?: (plan: ResolvedPlan, runId: string, local: AttemptPort) => Promise<RemoteAttempts>;
}

/** The child-run port of one run (each child run gets its own, for its own plan steps). */
export function childRunPort(ctx: ChildRunContext): ChildRunPort {
  const running = new Set<Promise<unknown>>();
  return {
    start(req) {
      const child = startChildRun(ctx, req);
      const done = child.result.catch(() => {});
      running.add(done);
      void done.then(() => running.delete(done));
      return child;
    },
    async drain() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

function startChildRun(ctx: ChildRunContext, req: ChildRunRequest): RunningChildRun {
  const startedAt = performance.now();
  const mask = createMasker(req.secrets);
  const note = (text: string): void => {
    try {
      appendFileSync(req.logPath, `engine: ${mask(text)}\n`);
    } catch {
      // The step's own log is a convenience; the child run's record is its events.
    }
  };
  const failed = (error: string): RunningChildRun => {
    note(error);
    const result: AttemptResult = { outcome: 'failed', reason: 'spawn_error', exitCode: null, signal: null, durationMs: Math.round(performance.now() - startedAt), error: mask(error) };
    return { childRunId: null, pid: null, result: Promise.resolve(result), cancel: () => {} };
  };

  let prepared: { runId: string; plan: ResolvedPlan; resume?: ResumeState; succeeded?: boolean };
  try {
    prepared = prepare(ctx, req);
  } catch (err) {
    if (err instanceof PlanError) return failed(`child plan ${req.planPath} cannot run:\n${err.problems.map(formatProblem).join('\n')}`);
    return failed(`child plan ${req.planPath} cannot run: ${(err as Error).message}`);
  }
  const { runId, plan } = prepared;
  if (prepared.succeeded) {
    note(`child run ${runId} (${plan.path}) already succeeded`);
    return { childRunId: runId, pid: null, cancel: () => {}, result: Promise.resolve({ outcome: 'succeeded', exitCode: 0, durationMs: 0, outputs: {} }) };
  }
  mkdirSync(logsDir(ctx.stateDir, runId), { recursive: true });
  mkdirSync(outputsDir(ctx.stateDir, runId), { recursive: true, mode: 0o700 });
  note(`${prepared.resume ? 'resuming' : 'starting'} child run ${runId} of ${plan.path} (engine show ${runId})`);
  let cancelRequests = 0;
  let loop: RunLoop | null = null;
  const cancelLoop = (): void => void loop?.cancel('none', 'parent_run');
  const run = async (): Promise<AttemptResult> => {
    const local = localPorts(plan, ctx.stateDir, runId, ctx.cgroup, null);
    let remote: RemoteAttempts | null = null;
    if (ctx.connectWorkers) {
      try {
        remote = await ctx.connectWorkers(plan, runId, local.attempts);
      } catch (err) {
        const error = `child run ${runId} cannot reach its workers: ${(err as Error).message}`;
        note(error);
        return { outcome: 'failed', reason: 'spawn_error', exitCode: null, signal: null, durationMs: Math.round(performance.now() - startedAt), error: mask(error) };
      }
    }
    const host = { ...ctx.host, executor: remote?.record ?? null };
    const sinks = new TurnBuffer({ file: new EventsFile(eventsPath(ctx.stateDir, runId)), sinks: [shared(ctx.runsDb)], onError: () => {} });
    const stores = storePorts(plan, ctx.stateDir, runId, host, ctx.force);
    const children = childRunPort({ ...ctx, parentRunId: runId });
    loop = new RunLoop({
      plan,
      runId,
      cwd: ctx.cwd,
      baseEnv: ctx.env,
      host,
      sinks: [sinks],
      ports: { ...local, ...(remote ? { attempts: remote } : {}), ...stores.ports, childRuns: children, beforeFinish: () => children.drain() },
      parent: { runId: ctx.parentRunId, stepId: req.stepId },
      parentLimit: ctx.limit,
      inheritedSecrets: req.secrets,
      ...(prepared.resume ? { resume: prepared.resume } : {}),
    });
    // Requests that came while it connected.
    for (let k = 0; k < cancelRequests; k++) cancelLoop();
    let finished;
    try {
      finished = await loop.start();
    } finally {
      await remote?.close();
      stores.close();
      await sinks.close();
    }
    const durationMs = Math.round(performance.now() - startedAt);
    const counts = `${finished.succeeded} succeeded, ${finished.failed} failed, ${finished.skipped} skipped, ${finished.cancelled} cancelled`;
    note(`child run ${runId} ${finished.status} (${counts})`);
    if (finished.status === 'succeeded') return { outcome: 'succeeded', exitCode: 0, durationMs, outputs: {} };
    if (finished.status === 'cancelled' && cancelRequests > 0) return { outcome: 'cancelled', exitCode: null, signal: null, durationMs };
    const why = finished.status === 'cancelled' ? 'was cancelled' : `failed${finished.reason ? ` (${finished.detail ?? finished.reason})` : ''}`;
    return { outcome: 'failed', reason: 'exit_code', exitCode: finished.exit_code, signal: null, durationMs, error: `child run ${runId} ${why}: ${counts} (engine show ${runId})` };
  };
  const result = run();
  return {
    childRunId: runId,
    pid: null,
    result,
    cancel: (forced) => {
      // A forced stop is the second request: the child's cleanup steps are cancelled too.
      const wanted = forced ? 2 : 1;
      while (cancelRequests < wanted) {
        cancelRequests++;
        cancelLoop();
      }
    },
  };
}

/**
 * The child run to carry out: the one an earlier part of the parent run started for this step,
 * when it can be resumed (or it already succeeded), else a new run. Its plan is loaded with the
 * step's `vars` (which win over anything recorded).
 * @throws PlanError when the child plan is invalid with these values
 */
function prepare(ctx: ChildRunContext, req: ChildRunRequest): { runId: string; plan: ResolvedPlan; resume?: ResumeState; succeeded?: boolean } {
  const varArgs = Object.entries(req.vars).map(([k, v]) => `${k}=${v}`);
  const previous = req.previousChildRunId;
  if (previous !== null && existsSync(eventsPath(ctx.stateDir, previous))) {
    const run = recordedRun(readEvents(eventsPath(ctx.stateDir, previous)));
    if (run && (run.status === 'succeeded' || isResumableRunStatus(run.status))) {
      const plan = loadPlan({
        path: req.planPath,
        varArgs,
        recordedVars: new Map(Object.entries(run.started.vars)),
        runId: previous,
        stateDir: ctx.stateDir,
        cwd: ctx.cwd,
        maxConcurrency: run.started.max_concurrency,
        env: ctx.env,
      });
      if (run.status === 'succeeded') return { runId: previous, plan, succeeded: true };
      if (isResumableRunStatus(run.status)) return { runId: previous, plan, resume: resumeState(plan, run, run.status) };
    }
  }
  const runId = newRunId();
  const plan = loadPlan({ path: req.planPath, varArgs, runId, stateDir: ctx.stateDir, cwd: ctx.cwd, env: ctx.env });
  return { runId, plan };
}

/** A batch sink that the child run writes through but does not close (its owner does). */
function shared(sink: BatchSink): BatchSink {
  return { write: (batch) => sink.write(batch), close: () => {} };
}
