/**
 * `engine run PLAN`: validate, then run the plan, recording every event to
 * `<state>/runs/<run_id>/events.jsonl` and `<state>/runs.db` and printing progress.
 * SIGINT/SIGTERM/SIGHUP cancel the run (a second one forces it); see PlanRun.cancel.
 */
import { planMasker } from '../engine/mask.js';
import { newRunId } from '../engine/run-id.js';
import { launcher } from '../engine/launch.js';
import { PlanRun, type ResumeState } from '../engine/run-plan.js';
import type { EventSink } from '../engine/events.js';
import { ExitCode } from '../exit-codes.js';
import { loadPlan } from '../schema/load-plan.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import { selectTargets } from '../schema/select-targets.js';
import { printDryRun } from './dry-run.js';
import { ConsoleSink } from '../state/console-sink.js';
import { JsonlSink } from '../state/jsonl-sink.js';
import { JsonLinesSink } from '../state/json-lines-sink.js';
import type { OtelSink } from '../state/otel-sink.js';
import { otelRequested } from '../otel/enabled.js';
import { eventsPath, runsDbPath } from '../state/paths.js';
import { SqliteSink } from '../state/sqlite-sink.js';
import { recoverInterruptedRuns } from '../state/recovery.js';
import { prepareStateDir } from '../state/state-dir.js';
import { resolveStateDir, type VarOptions } from './common.js';
import { reportError } from './report-error.js';

export interface RunCommandOptions extends VarOptions, ExecuteOptions {
  stateDir?: string;
  maxConcurrency?: number;
  /** Print the execution order as levels; run nothing, write nothing. */
  dryRun?: boolean;
  /** `--target a,b` (repeatable): run only these steps and what they depend on. */
  target?: string[];
}

/** `--target a,b --target c` → [a, b, c] */
function parseTargets(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function runCommand(planPath: string, opts: RunCommandOptions): Promise<number> {
  const cwd = process.cwd();
  const stateDir = resolveStateDir(opts.stateDir);
  const runId = newRunId();
  try {
    const loaded = loadPlan({
      path: planPath,
      varArgs: opts.var,
      varsFile: opts.varsFile,
      runId,
      stateDir,
      cwd,
      maxConcurrency: opts.maxConcurrency,
    });
    const plan = opts.target ? selectTargets(loaded, parseTargets(opts.target)) : loaded;
    if (opts.dryRun) {
      printDryRun(plan, (text) => process.stdout.write(text));
      return ExitCode.ok;
    }
    return await executeRun(plan, { ...opts, runId, stateDir, cwd });
  } catch (err) {
    return reportError(err);
  }
}

/** How a run's output is wired (shared by `run` and `resume`). */
export interface ExecuteOptions {
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
}

/**
 * Runs a resolved plan with every sink attached and SIGINT/SIGTERM/SIGHUP wired to cancel;
 * marks dead runs of the state directory interrupted first. Returns the run's exit code.
 * @throws what a sink throws when it cannot be opened (e.g. RunsDbVersionError)
 */
export async function executeRun(plan: ResolvedPlan, ctx: ExecuteContext): Promise<number> {
  const { runId, stateDir, cwd } = ctx;
  const sinks: EventSink[] = [];
  /** Sinks that export over the network and must be flushed before the engine exits. */
  const flushing: OtelSink[] = [];
  try {
    launcher(); // a bad ENGINE_SPAWN is a usage error before anything is recorded
    prepareStateDir(stateDir);
    recoverInterruptedRuns(stateDir);
    // JSONL first: its line is on disk before anything else can fail for that event.
    sinks.push(new JsonlSink(eventsPath(stateDir, runId)));
    sinks.push(
      new SqliteSink(runsDbPath(stateDir), {
        onError: (err) => warnOnce(`runs.db write failed, will retry: ${(err as Error).message}`),
      }),
    );
    // --json: the event stream owns stdout; the console goes to stderr.
    if (ctx.json) sinks.push(new JsonLinesSink(process.stdout));
    // OpenTelemetry: the SDK is loaded only when asked for (src/otel/enabled.ts).
    const otel = otelRequested(ctx.otel) ? await startOtel(plan) : null;
    if (otel) {
      sinks.push(otel);
      flushing.push(otel);
    }
    const consoleOut = ctx.json ? process.stderr : process.stdout;
    sinks.push(
      new ConsoleSink({
        write: (text) => consoleOut.write(text),
        color: consoleOut.isTTY === true && !process.env.NO_COLOR,
        mask: planMasker(plan),
        cwd,
        stateDirOption: stateDir === resolveStateDir(undefined) ? '' : ` --state-dir ${stateDir}`,
      }),
    );
    const run = new PlanRun({ plan, runId, stateDir, cwd, sinks, resume: ctx.resume, stepEnv: otel?.stepEnv });
    const onSignal = (signal: NodeJS.Signals) => run.cancel(signal);
    for (const s of CANCEL_SIGNALS) process.on(s, onSignal);
    const finished = await run.start();
    for (const s of CANCEL_SIGNALS) process.off(s, onSignal);
    closeAll(sinks);
    await flushAll(flushing);
    return finished.exit_code;
  } catch (err) {
    try {
      closeAll(sinks);
    } catch {
      // The original error is the one to report.
    }
    await flushAll(flushing);
    throw err;
  }
}

/** Longest wait at exit for telemetry to be exported (a dead collector must not hang the engine). */
const FLUSH_TIMEOUT_MS = 5000;

/** Loads and starts the OpenTelemetry sink; on failure warns and runs without it. */
async function startOtel(plan: ResolvedPlan): Promise<OtelSink | null> {
  const warn = (message: string) => process.stderr.write(`engine: warning: ${message}\n`);
  try {
    const { createOtelSink } = await import('../state/otel-sink.js');
    return await createOtelSink({ warn, plan: { id: plan.planId, version: plan.version } });
  } catch (err) {
    warn(`OpenTelemetry export is off: ${(err as Error).message}`);
    return null;
  }
}

/** Awaits every sink's `shutdown()` (after `close()`), for at most FLUSH_TIMEOUT_MS. */
async function flushAll(sinks: OtelSink[]): Promise<void> {
  if (sinks.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), FLUSH_TIMEOUT_MS)));
  const outcome = await Promise.race([Promise.allSettled(sinks.splice(0).map((s) => s.shutdown())), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    process.stderr.write(`engine: warning: telemetry export did not finish within ${FLUSH_TIMEOUT_MS / 1000}s; some spans or metrics may be lost\n`);
  }
}

/** Closes every sink even when one fails; the first failure is rethrown after. */
function closeAll(sinks: EventSink[]): void {
  let failure: unknown;
  for (const sink of sinks.splice(0)) {
    try {
      sink.close();
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
}

let warned = false;
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  process.stderr.write(`engine: warning: ${message}\n`);
}
