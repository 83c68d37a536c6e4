/**
 * Signals to a step's whole process tree. Every step is spawned as the leader of its own
 * process group (detached: setsid), so one kill(-pgid) reaches its children and
 * grandchildren too, unless they deliberately started a new session of their own.
 */

/** Sends `signal` to process group `pgid`. Returns false when the group no longer exists. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
