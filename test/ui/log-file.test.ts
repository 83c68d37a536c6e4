/** Byte ranges of log files, and where a streamed chunk may be cut (src/ui/log-file.ts). */
import { describe, expect, it } from 'vitest';
import { requestedRange, wholeUtf8Length } from '../../src/ui/log-file.js';

describe('requestedRange', () => {
  it('reads bytes=A-B, bytes=A- and bytes=-N of a 10-byte file', () => {
    expect(requestedRange('bytes=2-4', 10)).toEqual({ start: 2, end: 5 });
    expect(requestedRange('bytes=7-', 10)).toEqual({ start: 7, end: 10 });
    expect(requestedRange('bytes=-3', 10)).toEqual({ start: 7, end: 10 });
    expect(requestedRange('bytes=-30', 10)).toEqual({ start: 0, end: 10 });
    expect(requestedRange('bytes=5-99', 10)).toEqual({ start: 5, end: 10 });
  });

  it('says unsatisfiable for a start past the end, and ignores headers it does not understand', () => {
    expect(requestedRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(requestedRange('bytes=-0', 10)).toBe('unsatisfiable');
    expect(requestedRange('bytes=4-2', 10)).toBe('unsatisfiable');
    expect(requestedRange(undefined, 10)).toBeNull();
    expect(requestedRange('bytes=0-1,4-5', 10)).toBeNull();
    expect(requestedRange('lines=1-2', 10)).toBeNull();
  });
});

describe('wholeUtf8Length', () => {
  it('keeps a chunk that ends on a character boundary whole', () => {
    expect(wholeUtf8Length(Buffer.from('abc'))).toBe(3);
    expect(wholeUtf8Length(Buffer.from('añ€😀'))).toBe(Buffer.byteLength('añ€😀'));
  });

  it('cuts before a character whose bytes are not all there yet', () => {
    for (const ch of ['ñ', '€', '😀']) {
      const bytes = Buffer.from(`ab${ch}`);
      for (let missing = 1; missing < Buffer.byteLength(ch); missing++) {
        expect(wholeUtf8Length(bytes.subarray(0, bytes.length - missing)), `${ch} -${missing}`).toBe(2);
      }
    }
  });
});
