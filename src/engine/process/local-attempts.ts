/**
 * The attempt port for local processes: attempts run through attempt-runner.ts, and their log
 * files are created ahead of time in libuv's thread pool (log-prefetch.ts), so starting a step
 * does not wait for the file system on the main thread.
 */
import type { AttemptPort } from '../attempt.js';
import { startAttempt } from './attempt-runner.js';
import type { Launcher } from './launch.js';
import { LogPrefetch } from './log-prefetch.js';

/**
 * @param cgroup the run's cgroup (containment.ts), or null
 * @param prefetchWindow log files prepared at once (each holds a descriptor). Steps start
 *   roughly, not exactly, in plan order: a 1,000-step layered plan needed a window of 64 for
 *   every start to find its file ready.
 */
export function localAttempts(prefetchWindow: number, cgroup: string | null, launch?: Launcher): AttemptPort {
  const logs = new LogPrefetch(prefetchWindow);
  return {
    logs,
    start: (req) => startAttempt({ ...req, logFd: logs.take(req.logPath), cgroup }, launch),
  };
}
