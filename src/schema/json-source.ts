/**
 * JSON text handling for plan and vars files: parsing with a readable syntax-error message and
 * offset, JSON pointers (RFC 6901), and mapping a pointer back to a 1-based line:column.
 *
 * The happy path only calls {@link parseJson} (plain `JSON.parse`). Positions are computed on
 * the failure path only: {@link JsonSource} indexes the text lazily, the first time a position
 * is asked for, so a valid 10 MB plan never pays for it. Every scan of the text here is
 * iterative: a file of 10,000 nested `[` must not exhaust the call stack.
 */
import { findSyntaxError } from './json-syntax.js';
import { QUOTE, BACKSLASH, COMMA, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET } from './json-chars.js';

/** A 1-based line and column (column counted in UTF-16 code units, as editors mostly do). */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Result of {@link parseJson}: the value, or where and why the text is not JSON. */
export type JsonParseResult =
  | { ok: true; value: unknown }
  | {
      ok: false;
      /** 0-based offset (UTF-16 code units) into the text of the syntax error. */
      offset: number;
      /** Readable message starting with `invalid JSON: `, without position or stack. */
      message: string;
    };

/** Which part of a JSON member a position refers to: its value, or its property name. */
export type PositionTarget = 'value' | 'key';

/**
 * Parses strict JSON (no comments, no trailing commas). Never throws.
 *
 * When `JSON.parse` rejects the text, {@link findSyntaxError} says where and what was expected
 * (V8's own messages name no position for several errors, and some echo the whole input).
 */
export function parseJson(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const found = findSyntaxError(text);
    if (found) return { ok: false, offset: found.offset, message: `invalid JSON: ${found.message}` };
    // Not reachable while both follow RFC 8259; keep a bounded message just in case.
    const v8 = err instanceof Error ? err.message : String(err);
    return { ok: false, offset: 0, message: `invalid JSON: ${v8.length > 120 ? `${v8.slice(0, 120)}...` : v8}` };
  }
}

/** Escapes one reference token for a JSON pointer (`~` → `~0`, `/` → `~1`). */
export function escapePointerToken(token: string | number): string {
  const s = String(token);
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}

/** Builds a JSON pointer from unescaped tokens: `pointer('steps', 0, 'id')` → `/steps/0/id`. */
export function pointer(...tokens: (string | number)[]): string {
  let out = '';
  for (const t of tokens) out += `/${escapePointerToken(t)}`;
  return out;
}

/** Splits a JSON pointer into unescaped tokens; '' gives []. */
export function parsePointer(ptr: string): string[] {
  if (ptr === '') return [];
  return ptr
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The text of one JSON file, able to turn offsets and JSON pointers into line:column.
 * Construction is free; a line index and per-container member indexes are built on first use.
 *
 * Pointer lookup scans the text itself rather than building a syntax tree (jsonc-parser's
 * parseTree takes ~0.8 s on a 14 MB plan): each container on the way is indexed once (offsets
 * of its members), so locating any number of problems costs at most one pass over the text.
 * It expects syntactically valid JSON (pointers only exist once JSON.parse succeeded); on
 * anything else it returns a best-effort position or undefined, never throws.
 */
export class JsonSource {
  private lineStarts: number[] | undefined;
  private readonly containers = new Map<number, Members>();

  /** @param text the file's text, BOM already stripped (offsets refer to this text). */
  constructor(readonly text: string) {}

  /** 1-based line:column of a 0-based offset (clamped to the text). */
  positionOfOffset(offset: number): SourcePosition {
    const starts = (this.lineStarts ??= computeLineStarts(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: Math.max(0, offset - starts[lo]!) + 1 };
  }

  /**
   * Position of the value a JSON pointer names (or, with target 'key', of its property name
   * when the value is an object member). When the pointer goes past what the document holds,
   * the deepest existing ancestor is used. Undefined when the text holds no JSON value.
   */
  locate(ptr: string, target: PositionTarget = 'value'): SourcePosition | undefined {
    const text = this.text;
    let off = skipWs(text, 0);
    if (off >= text.length) return undefined;
    let keyOff: number | undefined;
    let exact = true;
    for (const token of parsePointer(ptr)) {
      const c = text.charCodeAt(off);
      const members = c === OPEN_BRACE || c === OPEN_BRACKET ? this.members(off) : undefined;
      const next =
        members === undefined
          ? undefined
          : Array.isArray(members)
            ? /^(0|[1-9][0-9]*)$/.test(token)
              ? { key: undefined, value: members[Number(token)] }
              : undefined
            : members.get(token);
      if (next?.value === undefined) {
        exact = false;
        break;
      }
      off = next.value;
      keyOff = next.key;
    }
    return this.positionOfOffset(exact && target === 'key' && keyOff !== undefined ? keyOff : off);
  }

  /** Offsets of the members of the object or array starting at `start` (cached). */
  private members(start: number): Members {
    let m = this.containers.get(start);
    if (!m) {
      m = indexContainer(this.text, start);
      this.containers.set(start, m);
    }
    return m;
  }
}

/** Array: offsets of the elements. Object: name → offsets of the name and of the value. */
type Members = number[] | Map<string, { key: number; value: number }>;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWs(text: string, i: number): number {
  while (i < text.length && isWs(text.charCodeAt(i))) i++;
  return i;
}

/** `i` at an opening quote; returns the index after the closing quote. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** `i` at the start of a value; returns the index just after it. Iterative. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const ch = text.charCodeAt(j);
      if (ch === QUOTE) {
        j = skipString(text, j);
        continue;
      }
      if (ch === OPEN_BRACE || ch === OPEN_BRACKET) depth++;
      else if ((ch === CLOSE_BRACE || ch === CLOSE_BRACKET) && --depth === 0) return j + 1;
      j++;
    }
    return j;
  }
  let j = i;
  while (j < text.length) {
    const ch = text.charCodeAt(j);
    if (ch === COMMA || ch === CLOSE_BRACE || ch === CLOSE_BRACKET || isWs(ch)) break;
    j++;
  }
  return j;
}

function indexContainer(text: string, start: number): Members {
  const isObject = text.charCodeAt(start) === OPEN_BRACE;
  const close = isObject ? CLOSE_BRACE : CLOSE_BRACKET;
  const items: number[] = [];
  const members = new Map<string, { key: number; value: number }>();
  let i = skipWs(text, start + 1);
  while (i < text.length && text.charCodeAt(i) !== close) {
    if (isObject) {
      if (text.charCodeAt(i) !== QUOTE) break;
      const keyEnd = skipString(text, i);
      let name = text.slice(i + 1, keyEnd - 1);
      if (name.includes('\\')) {
        try {
          name = JSON.parse(text.slice(i, keyEnd)) as string;
        } catch {
          break;
        }
      }
      const colon = skipWs(text, keyEnd);
      const value = skipWs(text, colon + 1);
      members.set(name, { key: i, value }); // the last of duplicate names wins, as in JSON.parse
      i = value;
    } else {
      items.push(i);
    }
    const end = skipValue(text, i);
    if (end === i) break; // not a value: malformed text, stop
    i = skipWs(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipWs(text, i + 1);
  }
  return isObject ? members : items;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}
