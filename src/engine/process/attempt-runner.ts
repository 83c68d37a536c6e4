/**
 * Runs one attempt of a step as a local process (supervised.ts): stdout and stderr are written
 * by the child straight into the attempt's log file descriptor, so output never passes through
 * the engine, is never buffered in memory, and costs the engine nothing however much a step
 * prints. The launcher is posix_spawn where it is built, else node:child_process (not execa:
 * measured here at 1.7-2.5x the cost per process and ~30 MB more memory, docs/BENCHMARKS.md).
 *
 * The engine's own notes about the attempt (`engine: command not found: x`, `engine: timed out
 * after 5s; …`) are appended to the log, so the log alone explains how the attempt ended.
 */
import { appendFileSync, closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { formatDuration } from '../../format.js';
import type { AttemptRequest, AttemptResult, RunningAttempt } from '../attempt.js';
import type { Launcher } from './launch.js';
import { supervise, type ProcessEnd } from './supervised.js';

/** An {@link AttemptRequest}, possibly with its log file already open (log-prefetch.ts). */
export interface LocalAttemptRequest extends AttemptRequest {
  /** An open, empty, write-only descriptor of `logPath`, used instead of opening it; closed here. */
  logFd?: number;
}

/**
 * Spawns one attempt with `launch` (the process's launcher unless given). Never throws: a spawn
 * failure, or a log file that cannot be opened, resolves as reason `spawn_error`.
 */
export function startAttempt(req: LocalAttemptRequest, launch?: Launcher): RunningAttempt {
  const startedAt = performance.now();
  let fd: number;
  try {
    fd = req.logFd ?? openSync(req.logPath, 'w');
  } catch (err) {
    const error = `cannot open log file ${req.logPath}: ${(err as Error).message}`;
    return notStarted(error, Math.round(performance.now() - startedAt));
  }
  const file = req.shell ? '/bin/sh' : req.command;
  const args = req.shell ? ['-c', req.command] : req.args;
  const proc = supervise(
    { file, args, cwd: req.cwd, env: req.env, outFd: fd },
    { timeoutMs: req.timeoutMs, killGraceMs: req.killGraceMs, ...(launch ? { launch } : {}) },
  );
  if (proc.pid === null) {
    // Launch failed synchronously: the descriptor is still ours to write the note into.
    const result = proc.ended.then((end) => {
      const r = classify(end, req);
      if (r.outcome === 'failed') writeSync(fd, `engine: ${r.error}\n`);
      closeSync(fd);
      return r;
    });
    return { pid: null, result, cancel: () => {} };
  }
  closeSync(fd);
  const result = proc.ended.then((end) => {
    const r = classify(end, req);
    if (r.outcome === 'failed' && (r.reason === 'spawn_error' || r.reason === 'timeout')) {
      const note = r.reason === 'timeout' ? `${r.error}; the process group got SIGTERM` : r.error;
      appendFileSync(req.logPath, `engine: ${note}\n`);
    }
    return r;
  });
  return { pid: proc.pid, result, cancel: (forced) => proc.stop(forced) };
}

function notStarted(error: string, durationMs: number): RunningAttempt {
  const result: AttemptResult = { outcome: 'failed', reason: 'spawn_error', exitCode: null, signal: null, durationMs, error };
  return { pid: null, result: Promise.resolve(result), cancel: () => {} };
}

/** The attempt's outcome from how its process ended. */
function classify(end: ProcessEnd, req: AttemptRequest): AttemptResult {
  const { durationMs } = end;
  if (end.kind === 'spawn_error') {
    return { outcome: 'failed', reason: 'spawn_error', exitCode: null, signal: null, durationMs, error: spawnErrorMessage(end.error, req) };
  }
  const { exitCode, signal } = end;
  switch (end.stoppedBy) {
    case 'cancel':
      return { outcome: 'cancelled', exitCode, signal, durationMs };
    case 'timeout':
      return { outcome: 'failed', reason: 'timeout', exitCode, signal, durationMs, error: `timed out after ${formatDuration(req.timeoutMs)}` };
    case null:
      break;
  }
  if (signal !== null) return { outcome: 'failed', reason: 'signal', exitCode, signal, durationMs, error: `killed by ${signal}` };
  if (exitCode !== null && req.successExitCodes.includes(exitCode)) return { outcome: 'succeeded', exitCode, durationMs };
  const expected = req.successExitCodes.join(', ');
  return { outcome: 'failed', reason: 'exit_code', exitCode, signal, durationMs, error: `exit code ${exitCode} (expected ${expected})` };
}

/** Why a process could not start, in words (shared with precondition commands). */
export function spawnErrorMessage(err: NodeJS.ErrnoException, req: { command: string; shell?: boolean; cwd: string }): string {
  const file = req.shell ? '/bin/sh' : req.command;
  switch (err.code) {
    case 'ENOENT':
      return existsSync(req.cwd) ? `command not found: ${file}` : `working directory does not exist: ${req.cwd}`;
    case 'EACCES':
      return `permission denied (not executable?): ${file}`;
    case 'ENOTDIR':
      return `working directory is not a directory: ${req.cwd}`;
    default:
      return `cannot start ${file}: ${err.message}`;
  }
}
