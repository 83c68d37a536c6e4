/**
 * Reading step log files for `engine logs`: whole files, or (when following a live run) the
 * bytes appended since the last read, optionally split into `[step] `-prefixed lines.
 */
import { closeSync, openSync, readSync } from 'node:fs';
export { FileTail } from '../state/store/file-tail.js';
import { StringDecoder } from 'node:string_decoder';

/** Size of one read from a log file. */
const CHUNK_BYTES = 64 * 1024;

/** Writes text or bytes to stdout, resolving when they are handed to the OS (backpressure). */
export type Output = (chunk: string | Uint8Array) => Promise<void>;

export const stdoutOutput: Output = (chunk) =>
  new Promise((resolve, reject) => {
    process.stdout.write(chunk, (err) => (err ? reject(err) : resolve()));
  });

/**
 * Splits bytes into lines and puts `prefix` in front of each complete one; an unfinished last
 * line waits for more bytes (or {@link end}). Multi-byte UTF-8 characters split across chunks
 * are decoded whole.
 */
export class LinePrefixer {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(readonly prefix: string) {}

  /** The complete lines among what was seen so far, prefixed, each ending with a newline. */
  push(chunk: Buffer): string {
    const text = this.partial + this.decoder.write(chunk);
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline === -1) {
      this.partial = text;
      return '';
    }
    this.partial = text.slice(lastNewline + 1);
    return prefixLines(this.prefix, text.slice(0, lastNewline + 1));
  }

  /** The unfinished last line, prefixed and ended with a newline ('' when there is none). */
  end(): string {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? '' : `${this.prefix}${rest}\n`;
  }
}

/** `prefix` before every line of `text` (which ends with a newline). */
function prefixLines(prefix: string, text: string): string {
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => `${prefix}${l}\n`)
    .join('');
}

/**
 * Copies a whole file to `out`; returns whether it ended with a newline (true for an empty
 * file), or null when the file does not exist.
 */
export async function copyFile(path: string, out: Output): Promise<boolean | null> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let endsWithNewline = true;
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      endsWithNewline = buf[n - 1] === 0x0a;
      // A copy: `out` may hold on to it while the next read reuses `buf`.
      await out(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return endsWithNewline;
}
