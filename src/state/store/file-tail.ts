/** Reading a growing log file: the bytes appended since the last read (`engine logs -f`, `--output`). */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Size of one read from a log file. */
const CHUNK_BYTES = 64 * 1024;

/**
 * A log file read incrementally: each {@link readNew} yields the bytes written since the
 * previous one. A file that does not exist (yet) reads as empty.
 */
export class FileTail {
  private offset = 0;

  constructor(readonly path: string) {}

  /** Chunks appended since the last call, in order (none when nothing is new). */
  *readNew(): Generator<Buffer> {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) this.offset = 0; // truncated and rewritten: start over
      while (this.offset < size) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - this.offset));
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n === 0) break;
        this.offset += n;
        yield n === buf.length ? buf : buf.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
  }
}
