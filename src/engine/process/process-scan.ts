/**
 * Finds the processes a run started, wherever they went (Linux, /proc). Every step process
 * gets `ENGINE_RUN_ID`, `ENGINE_STEP_ID` and `ENGINE_ATTEMPT` in its environment, and its
 * children inherit them, also one that left its process group with setsid(1). So reading the
 * environment of processes finds them when process groups do not: a step's escaped children,
 * and a step the engine was killed between spawning and recording.
 *
 * Only processes this user may read are seen (another user's /proc/<pid>/environ is not
 * readable, and its processes are not ours to kill anyway). Elsewhere than Linux this finds
 * nothing, and process groups are all there is.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The engine variables of a process's environment. */
export interface EngineEnv {
  runId: string;
  stepId: string | null;
  attempt: number | null;
}

/**
 * Pids whose environment has `ENGINE_RUN_ID=runId` (and, when given, the step and attempt),
 * among `candidates` (default: every process), this process excluded. Cost: one small read
 * per candidate; callers use it on rare paths (recovery, a timeout, a cancel).
 */
export function processesOfRun(runId: string, step?: { stepId: string; attempt: number }, candidates?: readonly number[]): number[] {
  const out: number[] = [];
  for (const pid of candidates ?? allPids()) {
    if (pid === process.pid) continue;
    const env = engineEnvOf(pid);
    if (!env || env.runId !== runId) continue;
    if (step && (env.stepId !== step.stepId || env.attempt !== step.attempt)) continue;
    out.push(pid);
  }
  return out;
}

/** The engine variables in the environment of `pid`, or null (not a step process, gone, unreadable). */
export function engineEnvOf(pid: number): EngineEnv | null {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return null;
  }
  let runId: string | null = null;
  let stepId: string | null = null;
  let attempt: number | null = null;
  for (const entry of raw.split('\0')) {
    if (entry.startsWith('ENGINE_RUN_ID=')) runId = entry.slice(14);
    else if (entry.startsWith('ENGINE_STEP_ID=')) stepId = entry.slice(15);
    else if (entry.startsWith('ENGINE_ATTEMPT=')) attempt = Number(entry.slice(15));
  }
  return runId === null ? null : { runId, stepId, attempt: attempt !== null && Number.isInteger(attempt) ? attempt : null };
}

/** True when /proc can be read here (Linux). */
export function canScanProcesses(): boolean {
  try {
    readdirSync('/proc/self');
    return true;
  } catch {
    return false;
  }
}

function allPids(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c >= 0x30 && c <= 0x39) pids.push(Number(n));
  }
  return pids;
}
