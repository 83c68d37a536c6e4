/** The last lines of a step's log file, for the run summary and `engine show`. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Longest line shown in a log tail: a longer one shows its end, after `…`. */
const TAIL_LINE_MAX = 240;

/**
 * Last `maxLines` lines of a log file, reading at most its last 8 KiB; [] when the file is
 * missing or empty. A line cut by that window (or longer than {@link TAIL_LINE_MAX}) shows its
 * end after `…`, so a log that is one long line is not mistaken for an empty one.
 */
export function readLogTail(path: string, maxLines: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 8192);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (len < size && lines.length > 0) lines[0] = `…${lines[0]}`;
    return lines.slice(-maxLines).map((l) => (l.length > TAIL_LINE_MAX ? `…${l.slice(-TAIL_LINE_MAX)}` : l));
  } finally {
    closeSync(fd);
  }
}
