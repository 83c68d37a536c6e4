/**
 * Processes in tests: whether a process still runs (one check, zombies counted as gone), pid
 * files written by steps, waiting for a condition (one polling loop), and ending what a test
 * left behind.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * True when process `pid` no longer runs: `kill(pid, 0)` fails with ESRCH, or (Linux) the
 * process has terminated and only its zombie entry is left. The zombie case matters for
 * grandchildren orphaned by a killed step: they are re-parented to PID 1, and in some
 * containers PID 1 never reaps them, so their (dead) entry stays visible to kill(pid, 0).
 * Throws on other errors of kill(2), such as EPERM.
 */
export function isProcessGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw err;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name (which may itself contain spaces or ')').
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' || state === 'X';
  } catch {
    // No /proc (macOS), or the entry vanished between the two checks: ask kill(2) again.
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }
}

/**
 * Reads a pid a step wrote to a file (one number, surrounding white space allowed).
 * @returns the pid, or undefined while the file is missing, empty or not a positive integer.
 */
export function readPidFile(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const n = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Reads pids written one per line (any white space separates them) to a file that must exist.
 * @returns the pids in file order.
 */
export function readPids(path: string): number[] {
  return readFileSync(path, 'utf8')
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
}

/** Thrown by {@link waitFor} when its condition did not hold in time. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/**
 * Polls `check` every `intervalMs` ms until it returns a value other than undefined or false;
 * an exception thrown by `check` counts as "not yet" (its message is kept for the timeout
 * error). Options: `timeoutMs` (default 10,000 ms), `intervalMs` (default 25 ms).
 * @returns that value. Rejects with a {@link WaitTimeoutError} naming `what` once more than
 * `timeoutMs` ms have passed.
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  { timeoutMs = 10_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined | false;
    let error: unknown;
    try {
      value = await check();
    } catch (err) {
      error = err;
    }
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${error ? `: ${(error as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * {@link waitFor} as a yes/no answer: waits until `pred` is true, for `ms` ms at most
 * (default 2,000 ms).
 * @returns true once `pred` held, false when the time ran out.
 */
export async function eventually(pred: () => boolean, ms = 2000): Promise<boolean> {
  try {
    return await waitFor(pred, 'a condition', { timeoutMs: ms });
  } catch (err) {
    if (err instanceof WaitTimeoutError) return false;
    throw err;
  }
}

/**
 * Pids of live processes whose working directory is `dir` or below it (Linux /proc).
 * @returns the pids, in /proc order; an empty list where there is no /proc.
 */
export function processesIn(dir: string): number[] {
  if (!existsSync('/proc')) return [];
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cwd: string;
    try {
      // A directory removed since shows as "<path> (deleted)".
      cwd = readlinkSync(`/proc/${name}/cwd`).replace(/ \(deleted\)$/, '');
    } catch {
      continue;
    }
    if ((cwd === dir || cwd.startsWith(`${dir}/`)) && !isProcessGone(Number(name))) found.push(Number(name));
  }
  return found;
}

/**
 * Ends a step's process group that a SIGKILLed engine left behind (SIGKILL to `-stepPid`),
 * then waits (10 s at most) until the step's process is gone. Resolves to nothing.
 */
export async function killOrphanedStep(stepPid: number): Promise<void> {
  try {
    process.kill(-stepPid, 'SIGKILL');
  } catch {
    // already gone
  }
  await waitFor(() => isProcessGone(stepPid), 'the orphaned step to end');
}
