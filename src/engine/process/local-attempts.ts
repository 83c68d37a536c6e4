/**
 * The attempt port for local processes: attempts run through attempt-runner.ts, and their log
 * files are created ahead of time in libuv's thread pool (log-prefetch.ts), so starting a step
 * does not wait for the file system on the main thread; their outputs files are recycled
 * (output-files.ts).
 */
import type { AttemptPort } from '../attempt.js';
import { startAttempt } from './attempt-runner.js';
import type { Launcher } from './launch.js';
import { LogPrefetch } from './log-prefetch.js';
import { OutputFiles } from './output-files.js';

/**
 * @param cgroup the run's cgroup (containment.ts), or null
 * @param outputSpares outputs files kept for reuse (output-files.ts): about the attempts that run at once
 * @param prefetchWindow log files prepared at once (each holds a descriptor). Steps start
 *   roughly, not exactly, in plan order: a 1,000-step layered plan needed a window of 64 for
 *   every start to find its file ready.
 */
export function localAttempts(prefetchWindow: number, outputSpares: number, cgroup: string | null, launch?: Launcher): AttemptPort {
  const logs = new LogPrefetch(prefetchWindow);
  // Outputs files (ENGINE_OUTPUT) are recycled: output-files.ts says why.
  const outputs = new OutputFiles(outputSpares);
  return {
    logs: {
      get hasRoom() {
        return logs.hasRoom;
      },
      want: (logPath, outputPath) => {
        logs.want(logPath);
        if (outputPath !== undefined) outputs.want(outputPath);
      },
      take: (logPath) => logs.take(logPath),
      drop: (logPath) => logs.drop(logPath),
      discard: () => {
        logs.discard();
        outputs.discard();
      },
    },
    start: (req) => startAttempt({ ...req, logFd: logs.take(req.logPath), outputFiles: outputs, cgroup }, launch),
  };
}
