/**
 * Layout of the state directory:
 *
 * ```
 * <state dir>/
 *   runs.db                                  every run's summary (see docs/runs-db.md)
 *   runs/<run_id>/events.jsonl               the run's events, one JSON object per line
 *   runs/<run_id>/logs/<step_id>.<attempt>.log   stdout + stderr of one attempt
 *   runs/<run_id>/outputs/<step_id>.<attempt>     ENGINE_OUTPUT of a running attempt (removed once read)
 * ```
 *
 * Every helper takes the absolute state directory and returns an absolute path; none touches
 * the file system.
 */
import { isAbsolute, join } from 'node:path';

export const RUNS_DB_FILE = 'runs.db';
export const RUNS_DIR = 'runs';
export const EVENTS_FILE = 'events.jsonl';
export const LOGS_DIR = 'logs';
export const OUTPUTS_DIR = 'outputs';

/** `<stateDir>/runs.db` */
export function runsDbPath(stateDir: string): string {
  return join(checkStateDir(stateDir), RUNS_DB_FILE);
}

/** `<stateDir>/runs/<runId>` */
export function runDir(stateDir: string, runId: string): string {
  checkName('run id', runId);
  if (runId === '.' || runId === '..') throw new Error(`invalid run id ${JSON.stringify(runId)}`);
  return join(checkStateDir(stateDir), RUNS_DIR, runId);
}

/** `<stateDir>/runs/<runId>/events.jsonl` */
export function eventsPath(stateDir: string, runId: string): string {
  return join(runDir(stateDir, runId), EVENTS_FILE);
}

/** `<stateDir>/runs/<runId>/logs` */
export function logsDir(stateDir: string, runId: string): string {
  return join(runDir(stateDir, runId), LOGS_DIR);
}

/** `<stateDir>/runs/<runId>/logs/<stepId>.<attempt>.log`; `attempt` is 1-based. */
export function stepLogPath(stateDir: string, runId: string, stepId: string, attempt: number): string {
  checkName('step id', stepId);
  if (!Number.isInteger(attempt) || attempt < 1) throw new Error(`invalid attempt number ${attempt}`);
  return join(logsDir(stateDir, runId), `${stepId}.${attempt}.log`);
}

/** `<stateDir>/runs/<runId>/outputs` */
export function outputsDir(stateDir: string, runId: string): string {
  return join(runDir(stateDir, runId), OUTPUTS_DIR);
}

/** `<stateDir>/runs/<runId>/outputs/<stepId>.<attempt>`: an attempt's ENGINE_OUTPUT file. */
export function stepOutputPath(stateDir: string, runId: string, stepId: string, attempt: number): string {
  checkName('step id', stepId);
  if (!Number.isInteger(attempt) || attempt < 1) throw new Error(`invalid attempt number ${attempt}`);
  return join(outputsDir(stateDir, runId), `${stepId}.${attempt}`);
}

function checkStateDir(stateDir: string): string {
  if (!isAbsolute(stateDir)) throw new Error(`state directory must be an absolute path, got ${JSON.stringify(stateDir)}`);
  return stateDir;
}

/** A run id or step id becomes one path segment: it must not be empty or contain a separator. */
function checkName(what: string, name: string): void {
  if (name === '' || /[/\\\0]/.test(name)) throw new Error(`invalid ${what} ${JSON.stringify(name)}: not usable as a file name`);
}
