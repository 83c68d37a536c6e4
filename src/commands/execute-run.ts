/**
 * Wires a run (shared by `engine run` and `engine resume`): the state directory, crash
 * recovery of dead runs, the sinks (events.jsonl, runs.db, the stdout JSON stream, the
 * console, OpenTelemetry when asked for), the run loop's ports (the local process stack, or
 * workers through BullMQ when the run has an executor; log paths in the state directory, the
 * trace context, the system clock), and SIGINT, SIGTERM and SIGHUP wired to cancel.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { planMasker } from '../engine/mask.js';
import { containRun, type RunContainment } from '../engine/process/containment.js';
import type { AttemptPort } from '../engine/attempt.js';
import { launcher } from '../engine/process/launch.js';
import type { RemoteAttempts } from '../engine/remote/remote-attempts.js';
import type { ResumeState } from '../engine/resume.js';
import pLimit from 'p-limit';
import { RunLoop } from '../engine/run-loop.js';
import { childRunPort } from './child-runs.js';
import { localPorts, storePorts } from './run-ports.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import { otelRequested } from '../state/otel/enabled.js';
import type { RunTelemetry } from '../state/otel/otel-sink.js';
import { ConsoleSink } from '../state/sinks/console-sink.js';
import { EventsFile } from '../state/sinks/events-file-sink.js';
import { JsonLinesSink } from '../state/sinks/json-lines-sink.js';
import { SqliteSink } from '../state/sinks/sqlite-sink.js';
import { TurnBuffer, type BatchSink } from '../state/sinks/turn-buffer.js';
import { eventsPath, logsDir, outputsDir, runsDbPath } from '../state/store/paths.js';
import { takeCancelRequest } from '../state/store/cancel-request.js';
import { recoverInterruptedRuns } from '../state/store/recovery.js';
import { prepareStateDir } from '../state/store/state-dir.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { resolveStateDir } from './common.js';
import type { ExecutorChoice } from './executor-options.js';
import { runHistory } from '../query/step-history.js';
import { consoleSettings, type ConsoleFlags } from './console-options.js';

/** How a run's output is wired (shared by `run` and `resume`). */
export interface ExecuteOptions extends ConsoleFlags {
  /** Event stream as JSON lines on stdout; console output on stderr. */
  json?: boolean;
  /** Export OpenTelemetry traces and metrics. */
  otel?: boolean;
}

export interface ExecuteContext extends ExecuteOptions {
  runId: string;
  stateDir: string;
  /** Directory the run's relative paths resolve against (recorded for resume). */
  cwd: string;
  resume?: ResumeState;
  /** `engine run --force`: ignore up-to-date fingerprints of every step (true) or of these steps. */
  force?: boolean | ReadonlySet<string>;
  /** Workers to send the steps to (executor-options.ts); null or absent: every step runs here. */
  executor?: ExecutorChoice | null;
}

/** How long a run waits for its Redis at start before it gives up (exit 3). */
const CONNECT_TIMEOUT_MS = 10_000;

const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs a resolved plan with every sink attached; marks dead runs of the state directory
 * interrupted first. Returns the run's exit code.
 * @throws what a sink throws when it cannot be opened (e.g. RunsDbVersionError)
 */
export async function executeRun(plan: ResolvedPlan, ctx: ExecuteContext): Promise<number> {
  const { runId, stateDir, cwd } = ctx;
  launcher(); // a bad ENGINE_SPAWN is a usage error before anything is recorded
  // Moving this process into the run's cgroup waits for the kernel (an RCU grace period: 5-17 ms
  // measured with writeFileSync on the main thread). Started first (a bad ENGINE_CGROUP is a usage
  // error here, before anything is recorded), it goes on in libuv's thread pool while runs.db opens
  // (10-15 ms) and recovery looks, and is awaited before anything is spawned or recorded.
  // `engine run` of a 1-step plan: -9 ms wall (median of 31 paired runs, 2 cores).
  const entering = containRun(runId);
  const batchSinks: BatchSink[] = [];
  let sinks: TurnBuffer | null = null;
  let containment: RunContainment | null = null;
  /** Ends the containment; set once started, so that it is never started twice. */
  let releasing: Promise<void> | null = null;
  /** Stores the run opened besides its sinks, closed when it ends. */
  const closing: (() => void)[] = [];
  let remote: RemoteAttempts | null = null;
  try {
    prepareStateDir(stateDir);
    // The run's connection first, so that recovery's look is never the one that opens (or closes)
    // runs.db for everybody: those moments are where readers without a busy timeout get "locked".
    const sqlite = new SqliteSink(runsDbPath(stateDir), { onError: (err) => warnOnce(`runs.db write failed, will retry: ${(err as Error).message}`) });
    batchSinks.push(sqlite);
    // Recovery kills orphans (signals and cgroup.kill) but spawns nothing: it may run before the move ends.
    await recoverInterruptedRuns(stateDir);
    mkdirSync(logsDir(stateDir, runId), { recursive: true });
    // Private: outputs files may hold a secret a step fetched (secret_outputs) while they exist.
    mkdirSync(outputsDir(stateDir, runId), { recursive: true, mode: 0o700 });
    // Before anything is recorded or started: every process of the run is born in its cgroup.
    // (ENGINE_CGROUP=on without a usable cgroup fails here, as it did before the move was started early.)
    containment = await entering;
    // --json: the event stream owns stdout; the console goes to stderr.
    if (ctx.json) batchSinks.push(new JsonLinesSink(process.stdout));
    // OpenTelemetry: the SDK is loaded only when asked for (src/state/otel/enabled.ts).
    const telemetry = otelRequested(ctx.otel) ? await startTelemetry() : null;
    if (telemetry) batchSinks.push(telemetry.sink);
    batchSinks.push(consoleSink(plan, ctx));
    // The events file first: its line is on disk before anything else can fail for that event.
    sinks = new TurnBuffer({
      file: new EventsFile(eventsPath(stateDir, runId)),
      sinks: batchSinks,
      onError: (err) => warnOnce(`a sink failed, will retry: ${(err as Error).message}`),
    });
    const contained = containment;
    const ports = localPorts(plan, stateDir, runId, contained.cgroup, telemetry);
    // Workers: BullMQ and Redis are loaded only for a run that uses them.
    if (ctx.executor) remote = await connectWorkers(plan, runId, ctx.executor, ports.attempts);
    const host = { pid: process.pid, hostname: hostname(), cgroup: contained.cgroup, executor: remote?.record ?? null };
    // Opened only for plans that use them: no cost for a feature a plan does not use.
    const stores = storePorts(plan, stateDir, runId, host, ctx.force ?? false);
    closing.push(() => stores.close());
    // One limit for the run and the child runs of its plan steps (issue 13).
    const limit = pLimit(plan.maxConcurrency);
    const childRuns = hasPlanSteps(plan)
      ? childRunPort({
          stateDir,
          cwd,
          parentRunId: runId,
          host: { ...host, executor: null },
          runsDb: sqlite,
          limit,
          cgroup: contained.cgroup,
          env: process.env,
          force: ctx.force ?? false,
          // Child runs send their steps to the same workers.
          ...(ctx.executor ? { connectWorkers: (childPlan: ResolvedPlan, childRunId: string, local: AttemptPort) => connectWorkers(childPlan, childRunId, ctx.executor!, local) } : {}),
        })
      : null;
    const run = new RunLoop({
      plan,
      runId,
      cwd,
      baseEnv: process.env,
      host,
      sinks: [sinks],
      ports: {
        ...ports,
        ...(remote ? { attempts: remote } : {}),
        // Child runs are recorded to their end before the run's own end, and its leftovers killed.
        beforeFinish: async () => {
          await childRuns?.drain();
          await contained.killLeftovers();
        },
        ...stores.ports,
        ...(childRuns ? { childRuns } : {}),
      },
      limit,
      ...(ctx.resume ? { resume: ctx.resume } : {}),
    });
    // `engine cancel` and the dashboard leave a request file before their SIGINT: who asked.
    const onSignal = (signal: NodeJS.Signals): void => {
      const request = signal === 'SIGINT' ? takeCancelRequest(stateDir, runId) : null;
      run.cancel(signal, request?.source ?? 'signal', request?.pid ?? null);
    };
    for (const s of CANCEL_SIGNALS) process.on(s, onSignal);
    try {
      const finished = await run.start();
      await remote?.close();
      // Leaving the cgroup waits for the kernel too (12-20 ms measured): meanwhile the sinks close
      // (runs.db's last write and close, the summary). 1-step plan: -9 ms wall (median of 21 paired runs).
      releasing = releaseContainment(contained);
      await closeWhile(releasing, sinks);
      return finished.exit_code;
    } finally {
      for (const s of CANCEL_SIGNALS) process.off(s, onSignal);
      for (const close of closing.splice(0)) close();
    }
  } catch (err) {
    for (const close of closing.splice(0)) close();
    await remote?.close();
    // A failure before the move was awaited: it may have happened all the same.
    containment ??= await entering.catch(() => null);
    if (containment && !releasing) {
      await containment.killLeftovers();
      releasing = releaseContainment(containment);
    }
    try {
      await closeWhile(releasing, sinks ?? closingAll(batchSinks));
    } catch {
      // The original error is the one to report.
    }
    throw err;
  }
}

/**
 * Closes `sinks` while `releasing` (the containment's end, which never rejects) goes on, and
 * waits for both.
 * @throws what closing the sinks throws, once both are done
 */
async function closeWhile(releasing: Promise<void> | null, sinks: { close(): void | Promise<void> }): Promise<void> {
  const [closed] = await Promise.allSettled([(async () => sinks.close())(), releasing]);
  if (closed.status === 'rejected') throw closed.reason;
}

/** The console: settings from the flags and streams, and what earlier runs tell it. */
function consoleSink(plan: ResolvedPlan, ctx: ExecuteContext): ConsoleSink {
  const lines = ctx.json ? process.stderr : process.stdout;
  const settings = consoleSettings(ctx, process.env, lines, process.stderr);
  const history = runHistory(ctx.stateDir, plan.planId, ctx.runId, {
    medians: settings.progress.kind === 'live',
    kept: ctx.resume !== undefined,
  });
  return new ConsoleSink({
    ...settings,
    write: (chunk) => lines.write(chunk),
    history,
    withPreconditions: new Set(plan.steps.filter((s) => s.preconditions.length > 0).map((s) => s.id)),
    mask: planMasker(plan),
    cwd: ctx.cwd,
    stateDirOption: ctx.stateDir === resolveStateDir(undefined) ? '' : ` --state-dir ${ctx.stateDir}`,
  });
}

/** True when the plan has a step that runs another plan (or a for_each step whose instances will). */
export function hasPlanSteps(plan: ResolvedPlan): boolean {
  return plan.steps.some((s) => s.kind === 'plan' || (s.kind === 'for_each' && s.late?.source.plan !== undefined));
}

/** Ends the run's containment (after its leftovers were killed; when the run ran, after `run_finished`); a problem is a warning on stderr. Never rejects. */
async function releaseContainment(containment: RunContainment): Promise<void> {
  const problem = await containment.release();
  if (problem) process.stderr.write(`engine: warning: ${problem}\n`);
}

/**
 * Connects the run to its workers; `local` carries out the steps with `runs_on: "local"`.
 * @throws UserError (exit 3) when Redis cannot be reached
 */
async function connectWorkers(plan: ResolvedPlan, runId: string, executor: ExecutorChoice, local: AttemptPort): Promise<RemoteAttempts> {
  const { connectRemoteAttempts } = await import('../engine/remote/remote-attempts.js');
  try {
    return await connectRemoteAttempts({
      url: executor.url,
      queue: executor.queue,
      runId,
      runsOn: new Map(plan.steps.map((s) => [s.id, s.runsOn])),
      local,
      stalledIntervalMs: executor.stalledIntervalMs,
      waitLimitMs: executor.waitLimitMs,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw new UserError((err as Error).message, ExitCode.environment);
  }
}

/** Loads and starts OpenTelemetry; on failure warns and runs without it. */
async function startTelemetry(): Promise<RunTelemetry | null> {
  const warn = (message: string): void => void process.stderr.write(`engine: warning: ${message}\n`);
  try {
    const otel = await import('../state/otel/otel-sink.js');
    return await otel.startTelemetry({ warn });
  } catch (err) {
    warn(`OpenTelemetry export is off: ${(err as Error).message}`);
    return null;
  }
}

/** Sinks opened before the turn buffer existed, closed together. */
function closingAll(sinks: readonly BatchSink[]): { close(): Promise<void> } {
  return { close: async () => void (await Promise.allSettled(sinks.map(async (s) => s.close()))) };
}

let warned = false;
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`engine: warning: ${message}\n`);
}
