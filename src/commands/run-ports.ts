/**
 * The ports of a run carried out by this engine process (shared by a run and the child runs of
 * its plan steps): the process stack for attempts and precondition commands, the state
 * directory's paths, and the stores a plan opens only when it uses them (mutexes, fingerprints).
 */
import { systemClock } from '../engine/clock.js';
import type { EngineHost } from '../engine/event-drafts.js';
import { commandChecks } from '../engine/process/command-check.js';
import { localAttempts } from '../engine/process/local-attempts.js';
import type { RunPorts } from '../engine/run-loop.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';
import type { RunTelemetry } from '../state/otel/otel-sink.js';
import { RunsDbFingerprints } from '../state/store/fingerprints.js';
import { RunsDbMutexes } from '../state/store/mutexes.js';
import { runsDbPath, stepLogPath, stepOutputPath } from '../state/store/paths.js';
import { recoverInterruptedRuns } from '../state/store/recovery.js';

/** The ports of a run on this machine. */
export function localPorts(plan: ResolvedPlan, stateDir: string, runId: string, cgroup: string | null, telemetry: RunTelemetry | null): RunPorts {
  return {
    // A bounded window: each prepared log file holds a descriptor. Outputs files: one spare per
    // attempt that can run at once (output-files.ts), bounded for a huge max_concurrency.
    attempts: localAttempts(Math.min(Math.max(64, 2 * plan.maxConcurrency), 256), Math.min(plan.maxConcurrency, 256), cgroup),
    checks: commandChecks(),
    logPath: (stepId, attempt) => stepLogPath(stateDir, runId, stepId, attempt),
    outputPath: (stepId, attempt) => stepOutputPath(stateDir, runId, stepId, attempt),
    ...(telemetry ? { stepEnv: telemetry.traceContext.stepEnv } : {}),
    clock: systemClock,
  };
}

/** The runs.db stores a plan uses: mutexes (`mutex`, `globals.mutex`) and fingerprints (`sources`), each opened only when needed. */
export interface StorePorts {
  ports: Pick<RunPorts, 'mutexes' | 'fingerprints'>;
  close(): void;
}

/** Opens the stores `plan` uses, for run `runId` of `host`. */
export function storePorts(plan: ResolvedPlan, stateDir: string, runId: string, host: EngineHost, force: boolean | ReadonlySet<string>): StorePorts {
  const mutexes = plan.mutex || plan.steps.some((s) => s.mutex !== null) ? new RunsDbMutexes(runsDbPath(stateDir), { runId, ...host }, () => recoverInterruptedRuns(stateDir)) : null;
  const fingerprints = plan.steps.some((s) => s.sources !== null) ? new RunsDbFingerprints(runsDbPath(stateDir), { planId: plan.planId, runId, force }) : null;
  return {
    ports: { ...(mutexes ? { mutexes } : {}), ...(fingerprints ? { fingerprints } : {}) },
    close: () => {
      mutexes?.close();
      fingerprints?.close();
    },
  };
}
