/**
 * Duplicate property names in JSON objects. `JSON.parse` keeps the last of them silently, so
 * `"command"` written twice in a step would run the second command; the loader reports them
 * like unknown properties instead.
 *
 * One linear pass over text that `JSON.parse` accepted; it runs on every load, so it is
 * written for speed (about 2 ms per MB): strings are skipped with `indexOf`, and a name is
 * compared with the names before it in the same object by length and a hash computed while
 * checking it for escapes, so no string is allocated unless two names look alike. An object
 * with many names switches to a Map.
 */
import { pointer } from './json-source.js';
import { QUOTE, BACKSLASH, COMMA, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET } from './json-chars.js';

/** A property name that occurs a second (or later) time in the same object. */
export interface DuplicateKey {
  /** The name, unescaped. */
  name: string;
  /** JSON pointer of the member (the object's pointer plus the name). */
  pointer: string;
  /** 0-based offset of this occurrence's opening quote. */
  offset: number;
  /** 0-based offset of the first occurrence's opening quote. */
  firstOffset: number;
}

/** Above this many names, an object's names are looked up in a Map rather than compared one by one. */
const LINEAR_SCAN_MAX = 16;

/**
 * Every repeated property name in `text`, in text order. `text` must be valid JSON (what
 * `JSON.parse` accepted); on anything else the result is unspecified, but it never throws.
 */
export function findDuplicateKeys(text: string): DuplicateKey[] {
  return new DuplicateScan(text).run();
}

/**
 * The scan's state: a stack of open containers and, for the objects among them, the names
 * seen so far, as one stack of (opening quote offset, closing quote offset, hash) triples that
 * each object truncates back to where it started when it closes.
 */
class DuplicateScan {
  private readonly found: DuplicateKey[] = [];
  // Per open container (index = depth - 1).
  private readonly isObject: boolean[] = [];
  private readonly firstName: number[] = [];
  private readonly index: number[] = [];
  /** Offset of the opening quote of the current member's name (pointers of duplicates only). */
  private readonly current: number[] = [];
  private readonly byName: (Map<string, number> | undefined)[] = [];
  // The names of the open objects.
  private readonly nameStart: number[] = [];
  private readonly nameEnd: number[] = [];
  private readonly nameHash: number[] = [];
  /** Number of names in use in the arrays above (they are never shrunk: V8 would trim and
   * regrow their storage on every object). */
  private names = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  run(): DuplicateKey[] {
    const text = this.text;
    const n = text.length;
    let expectName = false;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        const end = stringEnd(text, i);
        if (expectName) {
          this.name(i, end);
          expectName = false;
        }
        i = end;
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.open(c === OPEN_BRACE);
        expectName = c === OPEN_BRACE;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.close();
        expectName = false; // an empty `{}` expected a name that never came
      } else if (c === COMMA) {
        const d = this.depth - 1;
        if (this.isObject[d]) expectName = true;
        else this.index[d]!++;
      }
      i++;
    }
    return this.found;
  }

  private open(isObject: boolean): void {
    const d = this.depth++;
    this.isObject[d] = isObject;
    this.firstName[d] = this.names;
    this.index[d] = 0;
    this.byName[d] = undefined;
  }

  private close(): void {
    const d = --this.depth;
    if (d < 0) return;
    this.names = this.firstName[d]!;
    this.byName[d] = undefined;
  }

  /** The name `text[start, end)` (quotes included) of a member of the innermost object. */
  private name(start: number, end: number): void {
    const d = this.depth - 1;
    this.current[d] = start;
    const hash = nameHash(this.text, start, end);
    const map = this.byName[d];
    let first: number | undefined;
    if (map !== undefined) {
      const name = nameAt(this.text, start);
      first = map.get(name);
      if (first === undefined) map.set(name, start);
    } else {
      first = this.earlierName(d, start, end, hash);
    }
    if (first !== undefined) {
      const name = nameAt(this.text, start);
      this.found.push({ name, pointer: this.pointerOf(name), offset: start, firstOffset: first });
      return;
    }
    const k = this.names++;
    this.nameStart[k] = start;
    this.nameEnd[k] = end;
    this.nameHash[k] = hash;
    if (map === undefined && this.names - this.firstName[d]! > LINEAR_SCAN_MAX) this.switchToMap(d);
  }

  /** Offset of an earlier name of object `d` equal to this one, if any. */
  private earlierName(d: number, start: number, end: number, hash: number): number | undefined {
    for (let k = this.firstName[d]!; k < this.names; k++) {
      if (this.nameHash[k] !== hash) continue;
      const other = this.nameStart[k]!;
      // Same hash: equal raw text settles it; otherwise compare the unescaped names.
      if (this.nameEnd[k]! - other === end - start && this.text.startsWith(this.text.slice(start, end), other)) return other;
      if (nameAt(this.text, other) === nameAt(this.text, start)) return other;
    }
    return undefined;
  }

  private switchToMap(d: number): void {
    const map = new Map<string, number>();
    for (let k = this.firstName[d]!; k < this.names; k++) map.set(nameAt(this.text, this.nameStart[k]!), this.nameStart[k]!);
    this.byName[d] = map;
  }

  /** Pointer of member `name` of the innermost object, from the containers above it. */
  private pointerOf(name: string): string {
    const tokens: (string | number)[] = [];
    for (let d = 0; d < this.depth - 1; d++) tokens.push(this.isObject[d] ? nameAt(this.text, this.current[d]!) : this.index[d]!);
    tokens.push(name);
    return pointer(...tokens);
  }
}

/** `i` at an opening quote: the index after the closing quote. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q === -1) return text.length;
    if (text.charCodeAt(q - 1) !== BACKSLASH) return q + 1;
    let backslashes = 1;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/**
 * A hash of the unescaped name of the string `text[start, end)`: of its characters when it
 * has no escape, else of the unescaped name, so that `"a\u0062"` and `"ab"` hash alike.
 */
function nameHash(text: string, start: number, end: number): number {
  let h = 0;
  for (let k = start + 1; k < end - 1; k++) {
    const c = text.charCodeAt(k);
    if (c === BACKSLASH) return stringHash(nameAt(text, start));
    h = (Math.imul(h, 31) + c) | 0;
  }
  return h;
}

function stringHash(s: string): number {
  let h = 0;
  for (let k = 0; k < s.length; k++) h = (Math.imul(h, 31) + s.charCodeAt(k)) | 0;
  return h;
}

/** The unescaped name of the string whose opening quote is at `start`. */
function nameAt(text: string, start: number): string {
  const end = stringEnd(text, start);
  const raw = text.slice(start + 1, end - 1);
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end)) as string) : raw;
}
