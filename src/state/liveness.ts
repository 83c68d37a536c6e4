/**
 * Whether a recorded engine pid still names a live engine process on this host. A pid can be
 * reused by an unrelated process after the engine died, so on Linux the process's command
 * line must also look like Node running the engine; elsewhere a live pid counts as alive.
 */
import { readFileSync } from 'node:fs';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  return /node|engine/.test(cmdline);
}
