/**
 * Launching a step's process: the one operation the executor needs from the OS, with two
 * implementations that behave the same and differ in cost.
 *
 * - `posix_spawn` (native/posix_spawn.c, built at install on Linux): posix_spawn(3), which
 *   does not copy the engine's page tables, and a pidfd watched by the event loop. The main
 *   thread waits 0.15-0.25 ms per process (until the child has exec'd), whatever the engine's
 *   memory; make and ninja spawn this way too.
 * - `child_process` (node:child_process): fork + exec. About 1.1-1.5 ms per process here and
 *   more as the engine's memory grows (docs/PERFORMANCE.md).
 *
 * Both: PATH looked up in the child's environment, cwd set, stdin /dev/null, stdout and stderr
 * onto one descriptor, a new session and process group (the child's pid is its group id),
 * default signal dispositions. The environment variable `ENGINE_SPAWN` picks one:
 * `posix_spawn`, `child_process`, or unset/`auto` (posix_spawn when it is built and the kernel
 * has pidfds, Linux 5.4+).
 */
import { UserError } from '../../errors.js';
import { childProcessLauncher } from './launch-child-process.js';
import { loadPosixSpawnLauncher } from './launch-posix-spawn.js';

export interface LaunchRequest {
  /** Command: a path, or a name looked up on `env.PATH`. */
  file: string;
  args: readonly string[];
  /** Absolute working directory. */
  cwd: string;
  /** The complete environment of the process (undefined values are left out). */
  env: NodeJS.ProcessEnv;
  /** Descriptor that becomes the process's stdout and stderr. The caller keeps and closes it. */
  outFd: number;
}

/** Called once when the process has exited: an exit code, or the signal that killed it. */
export type ExitListener = (exitCode: number | null, signal: NodeJS.Signals | null) => void;

export interface Launcher {
  readonly name: 'posix_spawn' | 'child_process';
  /**
   * Starts the process and returns its pid (= its process group id).
   * @throws NodeJS.ErrnoException (`code` ENOENT, EACCES, ENOTDIR, ...) when it cannot start.
   *   child_process reports some of these to `onError` after returning instead (pid null);
   *   then `onExit` is never called.
   */
  launch(req: LaunchRequest, onExit: ExitListener, onError: (err: NodeJS.ErrnoException) => void): number | null;
  /**
   * A pipe `[readFd, writeFd]`, both ends close-on-exec, for a process whose output the engine
   * reads (redaction): the write end is given as `outFd`, then closed by the caller.
   * @throws NodeJS.ErrnoException when no pipe can be made (out of descriptors)
   */
  pipe(): [readFd: number, writeFd: number];
}

let chosen: Launcher | undefined;

/**
 * The launcher for this process, chosen once (see the module comment).
 * @throws UserError (exit 2) when ENGINE_SPAWN names an unknown launcher, or `posix_spawn`
 *   when it is not available here (with the reason).
 */
export function launcher(): Launcher {
  if (chosen) return chosen;
  const wanted = process.env.ENGINE_SPAWN ?? 'auto';
  if (wanted === 'child_process') return (chosen = childProcessLauncher);
  if (wanted !== 'auto' && wanted !== 'posix_spawn' && wanted !== '') {
    throw new UserError(`ENGINE_SPAWN=${wanted}: expected posix_spawn, child_process or auto`);
  }
  const native = loadPosixSpawnLauncher();
  if ('launcher' in native) return (chosen = native.launcher);
  if (wanted === 'posix_spawn') {
    throw new UserError(`ENGINE_SPAWN=posix_spawn: ${native.unavailable}`);
  }
  return (chosen = childProcessLauncher);
}
