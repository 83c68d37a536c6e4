/**
 * One process under supervision: launched in its own session and process group, stopped on
 * timeout or request (SIGTERM to the group, SIGKILL after the grace period, or SIGKILL at
 * once when forced), and its group killed when its main process exits, so nothing a step
 * started outlives it (what GitHub Actions calls "orphan process cleanup"; a step that must
 * leave a daemon running starts it in a new session, e.g. with setsid). Attempts
 * (attempt-runner.ts) and precondition commands (command-check.ts) both run this way, so they
 * time out, kill and report the same.
 */
import { setLongTimeout, type CancelTimer } from '../timer.js';
import { launcher, type LaunchRequest, type Launcher } from './launch.js';
import { signalProcess, signalProcessGroup } from './process-group.js';

/** Why the supervisor stopped the process, if it did. */
export type StopCause = 'timeout' | 'idle_timeout' | 'deadline' | 'cancel' | null;

/** How a supervised process ended. */
export type ProcessEnd =
  | { kind: 'exited'; exitCode: number | null; signal: NodeJS.Signals | null; stoppedBy: StopCause; durationMs: number }
  | { kind: 'spawn_error'; error: NodeJS.ErrnoException; durationMs: number };

export interface SupervisedProcess {
  /** pid of the main process (= its process group id); null when it could not start. */
  readonly pid: number | null;
  readonly ended: Promise<ProcessEnd>;
  /** Stops the process group: SIGTERM, then SIGKILL after the grace period; SIGKILL at once when `forced`. */
  stop(forced: boolean): void;
}

export interface SuperviseOptions {
  /** Stops the process (cause `timeout`) after this many ms; Infinity for never. */
  timeoutMs: number;
  /** Stops the process (cause `deadline`) after this many ms; null for never. */
  deadlineMs?: number | null;
  /** Stops the process (cause `idle_timeout`) once `outputSize()` (bytes written so far) has not
   * grown for `timeoutMs`: checked 4 times per `timeoutMs`, so the stop comes between 1 and 1.25
   * times `timeoutMs` after the last output. */
  idle?: { timeoutMs: number; outputSize: () => number } | null;
  /** First signal of a stop (default SIGTERM); SIGKILL follows after `killGraceMs`. */
  killSignal?: NodeJS.Signals;
  /** Time between the kill signal and SIGKILL, in ms. */
  killGraceMs: number;
  /** The launcher; the process's own (launch.ts) unless given. */
  launch?: Launcher;
  /**
   * Finds the process's descendants that left its process group (setsid): a timeout or a stop
   * signals them too. Called only when stopping.
   */
  escapes?: () => number[];
}

/** Launches `req` and supervises it. Never throws: a launch failure resolves as `spawn_error`. */
export function supervise(req: LaunchRequest, opts: SuperviseOptions): SupervisedProcess {
  const startedAt = performance.now();
  const elapsed = (): number => Math.round(performance.now() - startedAt);
  let onExit: (code: number | null, signal: NodeJS.Signals | null) => void = () => {};
  let onError: (err: NodeJS.ErrnoException) => void = () => {};
  let pid: number | null;
  try {
    pid = (opts.launch ?? launcher()).launch(
      req,
      (code, signal) => onExit(code, signal),
      (err) => onError(err),
    );
  } catch (err) {
    return {
      pid: null,
      ended: Promise.resolve({ kind: 'spawn_error', error: err as NodeJS.ErrnoException, durationMs: elapsed() }),
      stop: () => {},
    };
  }

  let stoppedBy: StopCause = null;
  let cancelKill: CancelTimer | undefined;
  const signalAll = (signal: NodeJS.Signals): void => {
    signalProcessGroup(pid!, signal);
    for (const escaped of opts.escapes?.() ?? []) signalProcess(escaped, signal);
  };
  const stop = (why: Exclude<StopCause, null>, forced: boolean): void => {
    if (pid === null) return;
    stoppedBy ??= why;
    if (forced) {
      signalAll('SIGKILL');
      return;
    }
    signalAll(opts.killSignal ?? 'SIGTERM');
    cancelKill ??= setLongTimeout(() => signalAll('SIGKILL'), opts.killGraceMs);
  };
  const timers: CancelTimer[] = [setLongTimeout(() => stop('timeout', false), opts.timeoutMs)];
  if (opts.deadlineMs != null) timers.push(setLongTimeout(() => stop('deadline', false), opts.deadlineMs));
  if (opts.idle) timers.push(watchIdle(opts.idle, () => stop('idle_timeout', false)));
  const cancelTimeout = (): void => timers.forEach((cancel) => cancel());

  const ended = new Promise<ProcessEnd>((resolve) => {
    let settled = false;
    const finish = (end: ProcessEnd): void => {
      if (settled) return;
      settled = true;
      cancelTimeout();
      cancelKill?.();
      resolve(end);
    };
    onError = (error) => finish({ kind: 'spawn_error', error, durationMs: elapsed() });
    onExit = (exitCode, signal) => {
      // Whatever the main process left in its group goes with it; once the process was being
      // stopped, so does what escaped the group (no grace is left to wait for).
      if (pid !== null) {
        if (stoppedBy !== null) signalAll('SIGKILL');
        else signalProcessGroup(pid, 'SIGKILL');
      }
      finish({ kind: 'exited', exitCode, signal, stoppedBy, durationMs: elapsed() });
    };
  });
  return { pid, ended, stop: (forced) => stop('cancel', forced) };
}

/**
 * Calls `onIdle` once `outputSize()` has stayed the same for `timeoutMs`, checking every
 * quarter of it: one timer per watched attempt, nothing for the others. Returns a cancel.
 */
function watchIdle(idle: { timeoutMs: number; outputSize: () => number }, onIdle: () => void): CancelTimer {
  const every = Math.max(10, idle.timeoutMs / 4);
  // The output starts empty (a fresh log file, nothing piped yet): no read at spawn time.
  let lastSize = 0;
  let lastChange = performance.now();
  let cancel: CancelTimer = () => {};
  const tick = (): void => {
    const size = idle.outputSize();
    const now = performance.now();
    if (size !== lastSize) {
      lastSize = size;
      lastChange = now;
    } else if (now - lastChange >= idle.timeoutMs) {
      onIdle();
      return;
    }
    cancel = setLongTimeout(tick, every);
  };
  cancel = setLongTimeout(tick, every);
  return () => cancel();
}
