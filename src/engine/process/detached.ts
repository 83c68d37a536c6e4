/**
 * Processes the engine starts and does not supervise: the dashboard's `engine resume` (which
 * outlives the page's request) and the desktop's browser opener (`engine ui --open`). Steps
 * never come here: they go through the launchers and attempt-runner.ts. Kept in the process
 * stack so that it stays the only place that spawns and kills.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/**
 * Starts `file` with `args` (no shell: the arguments are passed as they are) as the leader of a
 * new process group, so a Ctrl-C at the terminal that started the engine does not reach it.
 * @param stdio as node:child_process has it: 'ignore', 'pipe' or open descriptors
 * @returns the child; an `error` event reports a program that could not be started
 */
export function startDetached(file: string, args: readonly string[], opts: { cwd?: string; stdio: StdioOptions }): ChildProcess {
  return spawn(file, args, { cwd: opts.cwd, detached: true, stdio: opts.stdio });
}
