/**
 * Finding and reading an attempt's log file. The file is named by run id, step id and attempt
 * number that runs.db knows, and its path is built from the state directory (never taken from a
 * request or from a column), then checked to resolve inside the state directory (no symlink out).
 */
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { stepLogPath } from '../state/store/paths.js';
import { HttpError } from './http-util.js';
import type { Queries } from './queries.js';

/** An attempt's log file, with the attempt's status when it was looked up. */
export interface AttemptLog {
  path: string;
  running: boolean;
}

/**
 * The log of attempt `attempt` of step `stepId` of run `runId`.
 * @throws HttpError 404 when runs.db has no such attempt or its file is missing, 400 for ids
 *   that cannot be file names, 403 when the file resolves outside the state directory
 */
export function attemptLog(stateDir: string, q: Queries | null, runId: string, stepId: string, attempt: number): AttemptLog {
  const status = q?.attemptStatus(runId, stepId, attempt);
  if (status === undefined) throw new HttpError(404, `no attempt ${attempt} of step ${stepId} in run ${runId}`);
  let path: string;
  try {
    path = stepLogPath(stateDir, runId, stepId, attempt);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new HttpError(404, `the log file of attempt ${attempt} of step ${stepId} is missing`);
  }
  if (!real.startsWith(realpathSync(stateDir) + sep)) throw new HttpError(403, 'the log file is outside the state directory');
  return { path: real, running: status === 'running' };
}

/** A byte range [start, end) of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The range a `Range` header asks for in a file of `size` bytes: `bytes=A-B`, `bytes=A-` or
 * `bytes=-N` (the last N bytes). Null when there is no usable header (then the whole file is
 * sent, as HTTP allows); `'unsatisfiable'` when it starts past the end.
 */
export function requestedRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (m === null || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || last < start) return 'unsatisfiable';
  return { start, end: last + 1 };
}

/**
 * How many leading bytes of `buf` are whole UTF-8 characters: a chunk cut there never splits
 * a character, so each chunk decodes on its own.
 */
export function wholeUtf8Length(buf: Buffer): number {
  const n = buf.length;
  // A character is at most 4 bytes: look back at most 3 for the start of the last one.
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const width = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + width <= n ? n : i;
  }
  return n;
}
