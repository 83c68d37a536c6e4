/**
 * Hand-built event sequences for the state tests (sinks and runs.db without an engine), the
 * SQLite sink wired as the engine wires it, and the compiled state modules that child
 * processes of those tests import.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineEvent, EventBase, EventDraft, PlannedStep, RunStartedEvent, StepStartedEvent, StepSucceededEvent } from '../../src/engine/events.js';
import { SqliteSink, type SqliteSinkOptions } from '../../src/state/sinks/sqlite-sink.js';
import { TurnBuffer } from '../../src/state/sinks/turn-buffer.js';
import { tempDirWithCleanup } from './temp-dirs.js';

/** The repository's root directory (absolute, with a trailing slash). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The epoch-ms timing fields of step events, which {@link recorder} fills in when left out. */
type TimingField = 'ready_at_ms' | 'started_at_ms' | 'ended_at_ms';

/** An {@link EventDraft} whose timing fields ({@link TimingField}) may be left out. */
export type FixtureDraft = EventDraft extends infer D
  ? D extends EventDraft
    ? Omit<D, TimingField> & Partial<Pick<D, Extract<keyof D, TimingField>>>
    : never
  : never;

/** A planned step for {@link runStarted}: id, name and depends_on; the rest defaults as a plan's would. */
export type PlannedStepSpec = Pick<PlannedStep, 'id' | 'name' | 'depends_on'> & Partial<PlannedStep>;

/**
 * Stamps seq, ts and run_id on drafts, like the engine's recorder; ts advances 10 ms per event
 * from `start` (epoch ms). Timing fields a step event's draft leaves out are set to its ts in
 * epoch ms: `ready_at_ms` and `started_at_ms` of step_started, `ended_at_ms` of step_succeeded
 * and step_failed.
 * @returns the stamping function: draft in, complete event out.
 */
export function recorder(runId: string, start = Date.parse('2025-01-02T03:04:05.000Z')): (draft: FixtureDraft) => EngineEvent {
  let seq = 0;
  return (draft) => {
    const ms = start + ++seq * 10;
    const timing =
      draft.type === 'step_started'
        ? { ready_at_ms: ms, started_at_ms: ms }
        : draft.type === 'step_succeeded' || draft.type === 'step_failed'
          ? { ended_at_ms: ms }
          : {};
    return { ...timing, ...draft, seq, ts: new Date(ms).toISOString(), run_id: runId } as EngineEvent;
  };
}

/**
 * The draft of a run_started event of plan `demo` with these steps (missing planned-step
 * fields as a plan's defaults: trigger_rule all_success, on_failure abort, critical).
 */
export function runStarted(steps: PlannedStepSpec[]): Omit<RunStartedEvent, keyof EventBase> {
  return {
    type: 'run_started',
    plan_id: 'demo',
    plan_version: '1.0.0',
    plan_path: '/plans/demo.json',
    plan_sha256: 'ab'.repeat(32),
    cwd: '/home/user/project',
    vars: { NAME: 'x', TOKEN: '***' },
    max_concurrency: 4,
    pid: 4242,
    hostname: 'host-1',
    cgroup: null,
    executor: null,
    steps: steps.map((s) => ({ trigger_rule: 'all_success', on_failure: 'abort', critical: true, ...s })),
    parent_run_id: null,
    parent_step_id: null,
  };
}

/** The draft of a step_started event (pid 1000 + attempt, `sh -c 'echo <step>'`; timing filled in by {@link recorder}). */
export function stepStarted(
  stepId: string,
  attempt: number,
  logPath = `/state/runs/r/logs/${stepId}.${attempt}.log`,
): Omit<StepStartedEvent, keyof EventBase | TimingField> {
  return {
    type: 'step_started',
    step_id: stepId,
    attempt,
    pid: 1000 + attempt,
    command: 'sh',
    args: ['-c', `echo ${stepId}`],
    cwd: '/work',
    log_path: logPath,
    child_run_id: null,
  };
}

/** The draft of a step_succeeded event with exit code 0 (ended_at_ms filled in by {@link recorder}). */
export function stepSucceeded(stepId: string, attempt: number, durationMs = 50): Omit<StepSucceededEvent, keyof EventBase | TimingField> {
  return { type: 'step_succeeded', step_id: stepId, attempt, exit_code: 0, duration_ms: durationMs, outputs: {}, masked_outputs: [], instances: null };
}

/**
 * A cancelled run exercising every kind of step outcome:
 * a succeeds; b fails once (exit 3), is retried and succeeds on attempt 2; c fails (exit 2);
 * d (after c) is skipped; e is running when the run is cancelled (killed by SIGTERM);
 * f (after e) is cancelled while pending.
 * @returns the run's 16 events, seq 1 to 16.
 */
export function typicalRun(runId = 'run-1'): EngineEvent[] {
  const ev = recorder(runId);
  return [
    ev(
      runStarted([
        { id: 'a', name: 'Step A', depends_on: [] },
        { id: 'e', name: 'e', depends_on: [] },
        { id: 'b', name: 'b', depends_on: ['a'] },
        { id: 'c', name: 'c', depends_on: ['a'] },
        { id: 'd', name: 'd', depends_on: ['c'] },
        { id: 'f', name: 'f', depends_on: ['e'] },
      ]),
    ),
    ev(stepStarted('a', 1)),
    ev(stepStarted('e', 1)),
    ev(stepSucceeded('a', 1, 120)),
    ev(stepStarted('b', 1)),
    ev(stepStarted('c', 1)),
    ev({
      type: 'step_failed',
      step_id: 'b',
      attempt: 1,
      exit_code: 3,
      signal: null,
      duration_ms: 30,
      reason: 'exit_code',
      error: 'exit code 3 (expected 0)',
      will_retry: true,
      not_retried: null,
      instances: null,
    }),
    ev({ type: 'step_retrying', step_id: 'b', attempt: 2, delay_ms: 100, reason: 'exit_code' }),
    ev({
      type: 'step_failed',
      step_id: 'c',
      attempt: 1,
      exit_code: 2,
      signal: null,
      duration_ms: 40,
      reason: 'exit_code',
      error: 'exit code 2 (expected 0)',
      will_retry: false,
      not_retried: null,
      instances: null,
    }),
    ev({ type: 'step_skipped', step_id: 'd', reason: 'trigger_rule', detail: 'upstream c failed', upstream: 'c' }),
    ev(stepStarted('b', 2)),
    ev(stepSucceeded('b', 2, 70)),
    ev({ type: 'run_cancel_requested', signal: 'SIGINT', source: 'signal', requested_by_pid: null, forced: false }),
    ev({
      type: 'step_cancelled',
      step_id: 'e',
      reason: 'run_cancelled',
      detail: 'run cancelled (SIGINT)',
      upstream: null,
      attempt: 1,
      exit_code: null,
      signal: 'SIGTERM',
      duration_ms: 130,
    }),
    ev({
      type: 'step_cancelled',
      step_id: 'f',
      reason: 'run_cancelled',
      detail: 'run cancelled (SIGINT)',
      upstream: null,
      attempt: null,
      exit_code: null,
      signal: null,
      duration_ms: null,
    }),
    ev({
      type: 'run_finished',
      status: 'cancelled',
      exit_code: 130,
      duration_ms: 160,
      succeeded: 2,
      failed: 1,
      skipped: 1,
      cancelled: 2,
      reason: null,
      detail: null,
    }),
  ];
}

/**
 * The SQLite sink writing `dbPath` behind the run's per-turn buffer, as the engine wires it.
 * @returns `handle`, which buffers an event (run_started is written at once) for the end of
 * the turn to write as a batch; `flush` and `close`, which write synchronously; `pending`,
 * the number of events not yet in runs.db.
 */
export function bufferedSqlite(dbPath: string, options: SqliteSinkOptions = {}) {
  const sqlite = new SqliteSink(dbPath, options);
  const buffer = new TurnBuffer({ file: null, sinks: [sqlite], onError: options.onError ?? ((e) => { throw e; }) });
  return {
    handle: (e: EngineEvent) => buffer.handle(e),
    flush: () => {
      buffer.flush();
      sqlite.flush();
    },
    close: () => {
      buffer.flush();
      sqlite.close();
    },
    get pending() {
      return buffer.pending + sqlite.pending;
    },
  };
}

/** Resolves (to nothing) on the next turn of the event loop, after pending setImmediate callbacks. */
export function nextTurn(): Promise<void> {
  return new Promise((resolveTurn) => setImmediate(resolveTurn));
}

/** The modules (under src/, without extension) that {@link ensureStateModulesBuilt} keeps compiled in dist/. */
const DIST_MODULES = ['state/store/paths', 'state/sinks/events-file-sink', 'state/sinks/turn-buffer', 'state/store/runs-db', 'state/sinks/sqlite-sink', 'engine/events', 'engine/status'];

/**
 * Makes sure dist/ holds up-to-date JavaScript for the state modules (child processes import
 * them), compiling just these modules (with the project's compiler options) when `npm run
 * build` has not. Returns the dist directory.
 */
export function ensureStateModulesBuilt(): string {
  const dist = join(ROOT, 'dist');
  const stale = DIST_MODULES.some((m) => {
    const js = join(dist, `${m}.js`);
    return !existsSync(js) || statSync(js).mtimeMs < statSync(join(ROOT, 'src', `${m}.ts`)).mtimeMs;
  });
  if (stale) {
    const { dir, cleanup } = tempDirWithCleanup('engine-state-test-');
    try {
      const config = join(dir, 'tsconfig.json');
      writeFileSync(
        config,
        JSON.stringify({
          extends: join(ROOT, 'tsconfig.json'),
          // Type roots are looked up from the config's directory, which is a temp dir here.
          compilerOptions: { typeRoots: [join(ROOT, 'node_modules', '@types')] },
          include: [],
          files: DIST_MODULES.filter((m) => m.startsWith('state/')).map((m) => join(ROOT, 'src', `${m}.ts`)),
        }),
      );
      try {
        execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], {
          stdio: 'pipe',
          encoding: 'utf8',
        });
      } catch (error) {
        throw new Error(`compiling the state modules failed:\n${(error as { stdout?: string }).stdout ?? error}`);
      }
    } finally {
      cleanup();
    }
  }
  return dist;
}
