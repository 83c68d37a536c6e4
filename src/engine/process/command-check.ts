/**
 * Runs a precondition command (issue 3) on the same process stack as attempts (supervised.ts):
 * own process group, the step's timeout with SIGTERM then SIGKILL after the grace period, the
 * whole tree killed on cancel, and the same wording (`timed out after 5s`, `command not
 * found: x`). Its output goes to a temporary file that is unlinked as soon as it is open (the
 * descriptor keeps it alive until the check ends); the last line of it explains a failed check.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration } from '../../format.js';
import type { CheckPort, CheckResult } from '../attempt.js';
import { spawnErrorMessage } from './attempt-runner.js';
import type { Launcher } from './launch.js';
import { supervise, type ProcessEnd } from './supervised.js';

/** Bytes read from the end of a failed check's output for its last line. */
const TAIL_BYTES = 4096;

/** The check port for local processes; `launch` defaults to the process's launcher. */
export function commandChecks(launch?: Launcher): CheckPort {
  return (req) => {
    let fd: number;
    try {
      const path = join(tmpdir(), `engine-check-${randomBytes(8).toString('hex')}`);
      fd = openSync(path, 'wx+', 0o600);
      unlinkSync(path);
    } catch (err) {
      return { result: Promise.resolve({ holds: false, why: `cannot create its output file: ${(err as Error).message}` }), cancel: () => {} };
    }
    const proc = supervise(
      { file: req.command, args: req.args, cwd: req.cwd, env: req.env, outFd: fd },
      { timeoutMs: req.timeoutMs, killGraceMs: req.killGraceMs, ...(launch ? { launch } : {}) },
    );
    const result = proc.ended.then((end): CheckResult => {
      try {
        return judge(end, req, () => lastLine(fd));
      } finally {
        closeSync(fd);
      }
    });
    return { result, cancel: () => proc.stop(false) };
  };
}

function judge(end: ProcessEnd, req: { command: string; cwd: string; timeoutMs: number }, output: () => string): CheckResult {
  if (end.kind === 'spawn_error') return { holds: false, why: spawnErrorMessage(end.error, req) };
  if (end.stoppedBy === 'cancel') return { holds: false, why: 'cancelled' };
  if (end.stoppedBy === 'timeout') return { holds: false, why: `timed out after ${formatDuration(req.timeoutMs)}` };
  if (end.signal === null && end.exitCode === 0) return { holds: true };
  const how = end.signal !== null ? `killed by ${end.signal}` : `exit code ${end.exitCode}`;
  const last = output();
  return { holds: false, why: last ? `${how}: ${last}` : how };
}

/** The last non-empty line of what the check wrote (its end only), trimmed. */
function lastLine(fd: number): string {
  const size = fstatSync(fd).size;
  const len = Math.min(size, TAIL_BYTES);
  const buf = Buffer.alloc(len);
  readSync(fd, buf, 0, len, size - len);
  return buf.toString('utf8').trim().split('\n').at(-1)?.trim() ?? '';
}
