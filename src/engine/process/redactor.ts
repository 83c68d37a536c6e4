/**
 * Redacts secret values from a byte stream (a step's output on its way to its log file): every
 * occurrence of a secret or of one of its encodings (mask.ts: secretVariants) becomes `***`,
 * also when the process wrote it in two pieces. Memory is bounded: a chunk is processed and
 * handed on, keeping back only the last (longest pattern - 1) bytes, which may be the start of
 * a secret continued by the next chunk.
 *
 * Matching uses Buffer#indexOf (native, memmem-like) once per pattern per chunk; a step has a
 * handful of patterns, and this was measured in `npm run bench` (case `redact`) well above
 * the 200 MB/s the issue asks for.
 */
import { MASK, secretVariants } from '../mask.js';

const MASK_BYTES = Buffer.from(MASK);

export class Redactor {
  private readonly patterns: Buffer[];
  /** Bytes kept back: they may begin a secret that the next chunk completes. */
  private tail: Buffer = Buffer.alloc(0);
  private readonly keep: number;

  /** @param secrets secret values (empty ones are ignored); their variants are redacted too */
  constructor(secrets: readonly string[]) {
    const texts = [...new Set(secrets.flatMap(secretVariants))];
    this.patterns = texts.map((t) => Buffer.from(t, 'utf8')).sort((a, b) => b.length - a.length);
    this.keep = Math.max(0, (this.patterns[0]?.length ?? 1) - 1);
  }

  /** True when there is nothing to redact. */
  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** The redacted bytes of `chunk` that can be written now (possibly empty). */
  push(chunk: Buffer): Buffer {
    const buf = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    // Bytes from `safe` on could be the start of a secret that continues in the next chunk.
    const safe = Math.max(0, buf.length - this.keep);
    const { out, consumed } = this.redact(buf, safe);
    this.tail = Buffer.from(buf.subarray(consumed));
    return out;
  }

  /** What is left at the end of the stream, redacted. */
  end(): Buffer {
    const { out } = this.redact(this.tail, this.tail.length);
    this.tail = Buffer.alloc(0);
    return out;
  }

  /**
   * Redacts `buf`, emitting its bytes up to `safe` or, when a match starts before `safe`, to
   * that match's end. Overlapping matches: the earliest wins, then the longest.
   */
  private redact(buf: Buffer, safe: number): { out: Buffer; consumed: number } {
    const matches: [start: number, end: number][] = [];
    for (const p of this.patterns) {
      for (let at = buf.indexOf(p); at !== -1 && at < safe; at = buf.indexOf(p, at + 1)) matches.push([at, at + p.length]);
    }
    if (matches.length === 0) return { out: buf.subarray(0, safe), consumed: safe };
    matches.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const parts: Buffer[] = [];
    let pos = 0;
    for (const [start, end] of matches) {
      if (start < pos) {
        pos = Math.max(pos, end); // overlaps the match just redacted: one mask covers both
        continue;
      }
      parts.push(buf.subarray(pos, start), MASK_BYTES);
      pos = end;
    }
    const consumed = Math.max(pos, safe);
    parts.push(buf.subarray(pos, consumed));
    return { out: Buffer.concat(parts), consumed };
  }
}
