/**
 * Runs one attempt of a step as a local process (supervised.ts). The launcher is posix_spawn
 * where it is built, else node:child_process (not execa: measured here at 1.7-2.5x the cost per
 * process and ~30 MB more memory, docs/BENCHMARKS.md).
 *
 * Output takes one of two paths:
 * - the fast path, for every attempt that received no secret: stdout and stderr are written by
 *   the child straight into the attempt's log file descriptor, so output never passes through
 *   the engine, is never buffered in memory, and costs the engine nothing however much a step
 *   prints;
 * - the redacting path (issue 11), for an attempt that received a secret (and every attempt a
 *   worker runs: `pipeOutput`): the child writes into a pipe; the engine reads it, redacts
 *   secrets (redactor.ts) and writes each chunk to the log file before it reads more, so memory
 *   stays bounded however much the step prints.
 *
 * The engine's own notes about the attempt (`engine: command not found: x`, `engine: timed out
 * after 5s; …`) are appended to the log, secrets masked, so the log alone explains how the
 * attempt ended.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { formatDuration } from '../../format.js';
import type { AttemptRequest, AttemptResult, RunningAttempt } from '../attempt.js';
import { createMasker, type Masker } from '../mask.js';
import { MAX_OUTPUT_BYTES, parseOutputs } from '../outputs.js';
import type { OutputFiles } from './output-files.js';
import { launcher as processLauncher, type Launcher } from './launch.js';
import { cgroupPids } from './containment.js';
import { processesOfRun } from './process-scan.js';
import { Redactor } from './redactor.js';
import { supervise, type ProcessEnd } from './supervised.js';

/**
 * How long output may still arrive after the step's process exited (its group is killed
 * then): only a process that left the group (setsid) and kept the pipe open sends more, and
 * what it sends after this is not recorded.
 */
const DRAIN_AFTER_EXIT_MS = 1000;

/** An {@link AttemptRequest}, possibly with its log file already open (log-prefetch.ts). */
export interface LocalAttemptRequest extends AttemptRequest {
  /** An open, empty, write-only descriptor of `logPath`, used instead of opening it; closed here. */
  logFd?: number;
  /** Where `outputPath` comes from and goes back to (output-files.ts); without it the file is created here and deleted after the attempt. */
  outputFiles?: Pick<OutputFiles, 'take' | 'giveBack'>;
  /** The run's cgroup (containment.ts), where a stop looks for children that left the step's process group. */
  cgroup?: string | null;
  /**
   * Output takes the redacting path (through a pipe this process copies into the log) even
   * when the attempt received no secret: then nothing but this process ever has the log file
   * open, so a worker can reuse it for its next attempt (remote/worker.ts) without a process
   * the step left behind writing into that attempt's log.
   */
  pipeOutput?: boolean;
}

/**
 * Spawns one attempt with `launch` (the process's launcher unless given). Never throws: a spawn
 * failure, or a log file that cannot be opened, resolves as reason `spawn_error`.
 */
export function startAttempt(req: LocalAttemptRequest, launch: Launcher = processLauncher()): RunningAttempt {
  const startedAt = performance.now();
  const mask: Masker = req.redact.length > 0 ? createMasker(req.redact) : (text) => text;
  let fd: number;
  try {
    fd = req.logFd ?? openSync(req.logPath, 'w');
  } catch (err) {
    const error = mask(`cannot open log file ${req.logPath}: ${(err as Error).message}`);
    return notStarted(error, Math.round(performance.now() - startedAt));
  }
  try {
    if (!req.outputFiles?.take(req.outputPath)) closeSync(openSync(req.outputPath, 'w', 0o600));
  } catch (err) {
    closeSync(fd);
    // Every take is matched by a giveBack (output-files.ts), also when the file could not be made.
    removeOutputs(req);
    return notStarted(mask(`cannot create the outputs file ${req.outputPath}: ${(err as Error).message}`), Math.round(performance.now() - startedAt));
  }
  const redactor = req.redact.length > 0 || req.pipeOutput === true ? new Redactor(req.redact) : null;
  let pipe: [number, number] | null = null;
  if (redactor) {
    try {
      pipe = launch.pipe();
    } catch (err) {
      closeSync(fd);
      removeOutputs(req);
      return notStarted(`cannot make a pipe for the step's output: ${(err as Error).message}`, Math.round(performance.now() - startedAt));
    }
  }
  const { file, args } = argvOf(req);
  // Idle detection: bytes through the redacting pipe, or the log file's size.
  let piped = 0;
  const outputSize = pipe ? () => piped : () => fstatSync(fd).size;
  const proc = supervise(
    { file, args, cwd: req.cwd, env: req.env, outFd: pipe ? pipe[1] : fd },
    {
      timeoutMs: req.timeoutMs,
      deadlineMs: req.deadlineMs,
      idle: req.idleTimeoutMs === null ? null : { timeoutMs: req.idleTimeoutMs, outputSize },
      killSignal: req.killSignal,
      killGraceMs: req.killGraceMs,
      launch,
      escapes: () => escapedChildren(req),
    },
  );
  if (pipe) closeSync(pipe[1]);
  if (proc.pid === null) {
    // Launch failed synchronously: the descriptor is still ours to write the note into.
    if (pipe) closeSync(pipe[0]);
    const result = proc.ended.then((end) => {
      const r = classify(end, req, mask);
      if (r.outcome === 'failed') writeSync(fd, `engine: ${r.error}\n`);
      closeSync(fd);
      removeOutputs(req);
      return r;
    });
    return { pid: null, result, cancel: () => {} };
  }
  let output: Promise<void>;
  if (pipe && redactor) {
    output = copyRedacted(pipe[0], fd, redactor, proc.ended, req.logPath, (n) => (piped += n));
  } else if (req.idleTimeoutMs !== null) {
    // Kept open for fstat until the process ends (the idle watch reads its size).
    output = proc.ended.then(() => closeSync(fd));
  } else {
    closeSync(fd);
    output = Promise.resolve();
  }
  const result = Promise.all([proc.ended, output]).then(([end]) => {
    let r = classify(end, req, mask);
    let emptyOutputs = false;
    if (r.outcome === 'succeeded') ({ result: r, empty: emptyOutputs } = withOutputs(r, req.outputPath, mask));
    removeOutputs(req, emptyOutputs);
    if (r.outcome === 'failed' && r.reason !== 'exit_code' && r.reason !== 'signal') {
      const stopped = r.reason === 'timeout' || r.reason === 'idle_timeout' || r.reason === 'deadline';
      appendFileSync(req.logPath, `engine: ${stopped ? `${r.error}; the process group got ${req.killSignal}` : r.error}\n`);
    }
    return r;
  });
  return { pid: proc.pid, result, cancel: (forced) => proc.stop(forced) };
}

/**
 * Copies the pipe's bytes into the log file, redacted, until the pipe ends (every writer
 * closed it) or, after the process exited, {@link DRAIN_AFTER_EXIT_MS}. Closes both descriptors.
 * Never rejects: a write error ends the copy (the step then gets EPIPE).
 *
 * Each chunk is written at once (a local file, written as the pipe is read), without stream
 * plumbing: `pipeline(socket, Transform, fs.WriteStream)` cost about 1 ms more CPU per attempt
 * than this for a step with no output, and closed the file in the thread pool, one more trip
 * there before the attempt's result.
 */
function copyRedacted(
  readFd: number,
  logFd: number,
  redactor: Redactor,
  exited: Promise<ProcessEnd>,
  logPath: string,
  onBytes: (n: number) => void,
): Promise<void> {
  const source = new Socket({ fd: readFd, readable: true, writable: false });
  let failed = false;
  const write = (bytes: Buffer): void => {
    if (failed) return;
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(logFd, bytes, at);
    } catch {
      failed = true;
      source.destroy();
    }
  };
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let cut = false;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!cut) write(redactor.end());
      try {
        closeSync(logFd);
      } catch {
        // Closed already: nothing to add.
      }
      if (cut) appendFileSync(logPath, `engine: output after the step's exit was cut: a process outside its group kept writing\n`);
      resolve();
    };
    void exited.then(() => {
      if (done) return;
      timer = setTimeout(() => {
        cut = true;
        source.destroy();
        finish();
      }, DRAIN_AFTER_EXIT_MS);
    });
    source.on('data', (chunk: Buffer) => {
      onBytes(chunk.length);
      write(redactor.push(chunk));
    });
    source.on('end', finish);
    source.on('close', finish);
    source.on('error', () => {});
  });
}

/** Processes of this attempt that left its process group, found by their environment (process-scan.ts). */
function escapedChildren(req: LocalAttemptRequest): number[] {
  const runId = req.env.ENGINE_RUN_ID;
  if (runId === undefined) return [];
  return processesOfRun(runId, { stepId: req.stepId, attempt: req.attempt }, req.cgroup ? cgroupPids(req.cgroup) : undefined);
}

/**
 * A succeeded attempt with the outputs it wrote, or failed with reason `output_error` when the
 * file is larger than {@link MAX_OUTPUT_BYTES} or malformed (the error names the line).
 */
function withOutputs(r: Extract<AttemptResult, { outcome: 'succeeded' }>, outputPath: string, mask: Masker): { result: AttemptResult; empty: boolean } {
  const fail = (error: string) => ({ result: { outcome: 'failed', reason: 'output_error', exitCode: r.exitCode, signal: null, durationMs: r.durationMs, error: mask(error) } as AttemptResult, empty: false });
  let text: string;
  try {
    const fd = openSync(outputPath, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size === 0) return { result: r, empty: true };
      if (size > MAX_OUTPUT_BYTES) return fail(`the outputs file (ENGINE_OUTPUT) holds ${size} bytes; at most ${MAX_OUTPUT_BYTES} (1 MiB) are allowed`);
      const buf = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const n = readSync(fd, buf, got, size - got, got);
        if (n === 0) break;
        got += n;
      }
      text = buf.toString('utf8', 0, got);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    // The step removed its outputs file: it wrote none.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { result: r, empty: true };
    return fail(`cannot read the outputs file (ENGINE_OUTPUT): ${(err as Error).message}`);
  }
  const parsed = parseOutputs(text);
  if ('error' in parsed) return fail(`malformed outputs file (ENGINE_OUTPUT), ${parsed.error}`);
  return { result: { ...r, outputs: parsed.outputs }, empty: false };
}

const NO_OUTPUTS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Removes an attempt's outputs file (it may hold a secret the step fetched), or gives it back to be emptied (unless it was read `empty`) and reused. */
function removeOutputs(req: LocalAttemptRequest, empty = false): void {
  if (req.outputFiles) {
    req.outputFiles.giveBack(req.outputPath, empty);
    return;
  }
  try {
    unlinkSync(req.outputPath);
  } catch {
    // Gone already (the step removed it), or nothing to do: the run directory is private to the engine.
  }
}

function notStarted(error: string, durationMs: number): RunningAttempt {
  const result: AttemptResult = { outcome: 'failed', reason: 'spawn_error', exitCode: null, signal: null, durationMs, error };
  return { pid: null, result: Promise.resolve(result), cancel: () => {} };
}

/** The attempt's outcome from how its process ended (texts masked: they may name a secret cwd or command). */
function classify(end: ProcessEnd, req: AttemptRequest, mask: Masker): AttemptResult {
  const { durationMs } = end;
  if (end.kind === 'spawn_error') {
    return { outcome: 'failed', reason: 'spawn_error', exitCode: null, signal: null, durationMs, error: mask(spawnErrorMessage(end.error, req)) };
  }
  const { exitCode, signal } = end;
  switch (end.stoppedBy) {
    case 'cancel':
      return { outcome: 'cancelled', exitCode, signal, durationMs };
    case 'timeout':
      return { outcome: 'failed', reason: 'timeout', exitCode, signal, durationMs, error: `timed out after ${formatDuration(req.timeoutMs)}` };
    case 'idle_timeout':
      return { outcome: 'failed', reason: 'idle_timeout', exitCode, signal, durationMs, error: `no output for ${formatDuration(req.idleTimeoutMs)} (idle_timeout_sec)` };
    case 'deadline':
      return { outcome: 'failed', reason: 'deadline', exitCode, signal, durationMs, error: "the step's deadline (deadline_sec) was reached" };
    case null:
      break;
  }
  if (signal !== null) return { outcome: 'failed', reason: 'signal', exitCode, signal, durationMs, error: `killed by ${signal}` };
  if (exitCode !== null && req.successExitCodes.includes(exitCode)) return { outcome: 'succeeded', exitCode, durationMs, outputs: NO_OUTPUTS };
  const expected = req.successExitCodes.join(', ');
  return { outcome: 'failed', reason: 'exit_code', exitCode, signal, durationMs, error: `exit code ${exitCode} (expected ${expected})` };
}

/** The argv the step runs: `command` with `args`, or the script line for its shell. */
function argvOf(req: AttemptRequest): { file: string; args: readonly string[] } {
  if (req.shell === null) return { file: req.command, args: req.args };
  const [file, ...flags] = req.shell as [string, ...string[]];
  return { file, args: [...flags, req.command] };
}

/** Why a process could not start, in words (shared with precondition commands). */
export function spawnErrorMessage(err: NodeJS.ErrnoException, req: { command: string; shell?: readonly string[] | null; cwd: string }): string {
  const file = req.shell ? req.shell[0]! : req.command;
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
