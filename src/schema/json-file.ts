/**
 * Reading a plan file or a vars file as JSON, reporting every way it can be unusable into a
 * {@link ProblemList}: the file itself (see input-file.ts), bytes that are not UTF-8, syntax
 * errors and duplicate property names, each with its place.
 */
import { findDuplicateKeys } from './duplicate-keys.js';
import { readInputFile, type InputFileKind } from './input-file.js';
import { JsonSource, parseJson } from './json-source.js';
import type { ProblemList } from './problem-list.js';
import { preview } from './validate-schema.js';

/** A JSON file that could be read and parsed (its duplicate keys, if any, are reported). */
export interface JsonFile {
  /** The file's bytes as read (for its sha256). */
  bytes: Buffer;
  /** The parsed value; for a repeated name, the last occurrence's value (as `JSON.parse`). */
  value: unknown;
}

/**
 * Reads and parses the `kind` at `abs`; `label` is the path as the user gave it, the file of
 * every problem. Registers the text with `problems` for positions. `preread`: the file's bytes
 * when the caller has read them already (`engine resume` hashes them first). Never throws.
 * @returns the file, or undefined when it could not be read, decoded or parsed (reported)
 */
export function readJsonFile(kind: InputFileKind, label: string, abs: string, problems: ProblemList, preread?: Buffer): JsonFile | undefined {
  let bytes = preread;
  if (bytes === undefined) {
    const read = readInputFile(kind, abs);
    if (!read.ok) {
      problems.add({ file: label, pointer: '', at: 'none', message: read.message });
      return undefined;
    }
    bytes = read.bytes;
  }
  const decoded = decodeUtf8(bytes);
  const source = new JsonSource(decoded.text);
  problems.addSource(label, source);
  if (decoded.invalid) {
    problems.add({ file: label, pointer: '', at: { offset: decoded.invalid.offset }, message: decoded.invalid.message });
    return undefined;
  }
  const parsed = parseJson(decoded.text);
  if (!parsed.ok) {
    problems.add({ file: label, pointer: '', at: { offset: parsed.offset }, message: parsed.message });
    return undefined;
  }
  reportDuplicateKeys(source, label, problems);
  return { bytes, value: parsed.value };
}

/** Each repeated name, at the repeat: `duplicate key "plan_id" (first at line 2)`. */
function reportDuplicateKeys(source: JsonSource, label: string, problems: ProblemList): void {
  for (const d of findDuplicateKeys(source.text)) {
    const first = source.positionOfOffset(d.firstOffset);
    const here = source.positionOfOffset(d.offset);
    const where = first.line === here.line ? `line ${first.line}, column ${first.column}` : `line ${first.line}`;
    problems.add({ file: label, pointer: d.pointer, at: { offset: d.offset }, message: `duplicate key ${preview(d.name)} (first at ${where})` });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The text of UTF-8 `bytes` without a leading byte order mark. When they are not valid UTF-8,
 * `text` is a lossy decoding (for positions) and `invalid` says where the first invalid byte
 * is (an offset into `text`) and what it is: a file in Latin-1 or UTF-16 must not turn into
 * U+FFFD in a command argument.
 */
export function decodeUtf8(bytes: Buffer): { text: string; invalid?: { offset: number; message: string } } {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    const bad = firstInvalidUtf8Byte(bytes);
    const prefix = bytes.subarray(0, bad).toString('utf8');
    const bom = prefix.startsWith('\uFEFF') ? 1 : 0;
    const byte = `0x${bytes[bad]!.toString(16).padStart(2, '0')}`;
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    const hint = utf16 ? 'the file is UTF-16; save it as UTF-8' : 'save the file as UTF-8';
    return {
      text: bytes.toString('utf8').slice(bom),
      invalid: { offset: prefix.length - bom, message: `invalid UTF-8: byte ${byte} at byte offset ${bad} (${hint})` },
    };
  }
}

/** Offset of the first byte of the first invalid UTF-8 sequence in `b` (`b` must be invalid). */
function firstInvalidUtf8Byte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > b.length) return i;
    for (let k = 1; k < len; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong 3- and 4-byte forms, UTF-16 surrogates and code points above U+10FFFF.
    const c1 = b[i + 1]!;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i;
    i += len;
  }
  return Math.max(0, b.length - 1);
}
