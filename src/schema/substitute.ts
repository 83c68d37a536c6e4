/**
 * `${…}` substitution in plan strings. Plain string replacement: values are inserted as they
 * are (never re-scanned, never passed through a shell), so a value with spaces or `;` stays
 * inside the one argument it was written in.
 *
 * References ({@link Reference}):
 * - `${NAME}`: a variable (NAME matches {@link VAR_NAME_PATTERN});
 * - `${matrix.KEY}`: the value of a matrix axis in a matrix instance (issue 13);
 * - `${item}`, `${item.FIELD}`: the item of a `for_each` instance, or a field of an object item
 *   (outside a for_each step `${item}` is the variable `item`, if the plan declares one);
 * - `${steps.ID.outputs.KEY}`: an output of an earlier step, with an optional fallback
 *   `${steps.ID.outputs.KEY:-text}` (`:-` alone gives the empty string) used when the output
 *   does not exist; `${steps.ID.status}`: how that step ended. ID is a step id, or a matrix
 *   instance's id such as `test[os=linux,py=3.11]`.
 *
 * `$${` writes a literal `${` (so `$${HOME}` becomes the text `${HOME}`); any other `$` is
 * literal. A `${` that does not start a valid reference is an error (it is almost always a
 * shell-style `${X:-y}` meant literally: write `$${X:-y}`).
 */

/** Names of variables, matrix keys, item fields and output keys: `^[A-Za-z_][A-Za-z0-9_]*$`. */
export const VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A parsed `${…}` reference. */
export type Reference =
  | { kind: 'var'; name: string }
  | { kind: 'matrix'; key: string }
  | { kind: 'item'; field: string | null }
  | { kind: 'output'; step: string; key: string; fallback: string | null }
  | { kind: 'status'; step: string };

/** A reference that could not be substituted. `text` is what the string contains there. */
export type SubstitutionIssue =
  /** A variable not among the values. */
  | { kind: 'unknown'; name: string; text: string }
  /** A matrix, item or steps reference the resolver left alone. */
  | { kind: 'unresolved'; ref: Exclude<Reference, { kind: 'var' }>; text: string }
  | { kind: 'malformed'; text: string };

/** The text for a reference, or undefined to leave it as written (then it is reported). */
export type Resolver = (ref: Reference) => string | undefined;

/**
 * Replaces every reference in `text` with what `resolve` gives. References it leaves alone
 * and malformed `${` stay as written and are reported through `onIssue` (if given). Returns
 * `text` itself (no allocation) when it contains no `${`. A hand-written scan, not a regex:
 * this runs on every argument of every step.
 */
export function substitute(text: string, resolve: Resolver, onIssue?: (issue: SubstitutionIssue) => void): string {
  if (!text.includes('${')) return text;
  let out = '';
  let last = 0; // text[last..] is not copied to out yet
  scan(text, (k, end, ref) => {
    if (ref === ESCAPE) {
      out += text.slice(last, k) + '${';
      last = end;
      return;
    }
    if (ref === null) {
      if (onIssue) {
        const close = text.indexOf('}', k);
        const stop = close === -1 || close - k > 40 ? Math.min(text.length, k + 20) : close + 1;
        onIssue({ kind: 'malformed', text: text.slice(k, stop) });
      }
      return;
    }
    const written = text.slice(k, end);
    const value = resolve(ref);
    if (value === undefined && onIssue) {
      onIssue(ref.kind === 'var' ? { kind: 'unknown', name: ref.name, text: written } : { kind: 'unresolved', ref, text: written });
    }
    out += text.slice(last, k) + (value ?? written);
    last = end;
  });
  return last === 0 ? text : out + text.slice(last);
}

/**
 * {@link substitute} with variables only: `${NAME}` from `values`; matrix, item and steps
 * references are left as written (and reported as `unresolved`).
 */
export function substituteVars(text: string, values: ReadonlyMap<string, string>, onIssue?: (issue: SubstitutionIssue) => void): string {
  return substitute(text, (ref) => varValue(ref, values), onIssue);
}

/**
 * A variable's value for `ref`, or undefined. `${item}` outside a for_each step is the
 * variable named `item`, when the plan declares one (inside a for_each step it is the item).
 */
export function varValue(ref: Reference, values: ReadonlyMap<string, string>): string | undefined {
  if (ref.kind === 'var') return values.get(ref.name);
  if (ref.kind === 'item' && ref.field === null) return values.get('item');
  return undefined;
}

/**
 * Calls `visit` with each reference of `text` (null for a malformed `${`, with the text there),
 * in order; escapes are skipped. Allocation-free for strings without `${`.
 */
export function forEachReference(text: string, visit: (ref: Reference | null, written: string) => void): void {
  if (!text.includes('${')) return;
  scan(text, (k, end, ref) => {
    if (ref === ESCAPE) return;
    if (ref !== null) {
      visit(ref, text.slice(k, end));
      return;
    }
    const close = text.indexOf('}', k);
    visit(null, text.slice(k, close === -1 || close - k > 40 ? Math.min(text.length, k + 20) : close + 1));
  });
}

/**
 * True when every `${` in `text` starts a variable reference to a name in `values` (or is
 * escaped as `$${`): what {@link substituteVars} would do without reporting an issue.
 * Allocation-free for plain variable references, for checking many strings quickly.
 */
export function referencesResolve(text: string, values: ReadonlyMap<string, string>): boolean {
  let k = text.indexOf('${');
  while (k !== -1) {
    // A `$` right before `${` makes it the escape `$${` (no token ends with `$`, so that `$`
    // cannot belong to an earlier token).
    if (k > 0 && text.charCodeAt(k - 1) === DOLLAR) {
      k = text.indexOf('${', k + 2);
      continue;
    }
    let j = k + 2;
    if (!isNameStart(text.charCodeAt(j))) return false;
    j++;
    while (isNameChar(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) !== CLOSE || !values.has(text.slice(k + 2, j))) return false;
    k = text.indexOf('${', j + 1);
  }
  return true;
}

/** True when `text` has a steps, matrix or item reference (which resolve substitutes later). */
export function hasLateReference(text: string): boolean {
  return text.includes('${steps.') || text.includes('${item') || text.includes('${matrix.');
}

const ESCAPE = 1 as const;
const ITEM: Reference = { kind: 'item', field: null };

/**
 * Walks the `$` tokens of `text`: `visit(start, end, ref)` for each escape (`ref` ESCAPE), each
 * reference, and each malformed `${` (`ref` null, `end` = start + 2).
 */
function scan(text: string, visit: (start: number, end: number, ref: Reference | null | typeof ESCAPE) => void): void {
  let k = text.indexOf('$');
  while (k !== -1) {
    const next = text.charCodeAt(k + 1);
    if (next === DOLLAR && text.charCodeAt(k + 2) === OPEN) {
      visit(k, k + 3, ESCAPE);
      k = text.indexOf('$', k + 3);
      continue;
    }
    if (next !== OPEN) {
      k = text.indexOf('$', k + 1);
      continue;
    }
    let j = k + 2;
    if (isNameStart(text.charCodeAt(j))) {
      j++;
      while (isNameChar(text.charCodeAt(j))) j++;
    }
    const c = text.charCodeAt(j);
    if (j > k + 2 && c === CLOSE) {
      const name = text.slice(k + 2, j);
      visit(k, j + 1, name === 'item' ? ITEM : { kind: 'var', name });
      k = text.indexOf('$', j + 1);
      continue;
    }
    if (j > k + 2 && c === DOT) {
      const parsed = parseDotted(text, text.slice(k + 2, j), j + 1);
      if (parsed) {
        visit(k, parsed.end, parsed.ref);
        k = text.indexOf('$', parsed.end);
        continue;
      }
    }
    visit(k, k + 2, null);
    k = text.indexOf('$', k + 2);
  }
}

/** `matrix.KEY}`, `item.FIELD}`, `steps.ID.outputs.KEY[:-text]}` or `steps.ID.status}` after
 * `${head.` (at `from`); null when malformed. `end` is the index after the closing `}`. */
function parseDotted(text: string, head: string, from: number): { ref: Reference; end: number } | null {
  if (head === 'matrix' || head === 'item') {
    let j = from;
    if (!isNameStart(text.charCodeAt(j))) return null;
    j++;
    while (isNameChar(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) !== CLOSE) return null;
    const name = text.slice(from, j);
    return { ref: head === 'matrix' ? { kind: 'matrix', key: name } : { kind: 'item', field: name }, end: j + 1 };
  }
  if (head !== 'steps') return null;
  // ID: step-id characters, then optionally one `[…]` (an instance id), then `.outputs.` or `.status`.
  let j = from;
  while (isIdChar(text.charCodeAt(j))) j++;
  if (text.charCodeAt(j) === OPEN_BRACKET) {
    const close = text.indexOf(']', j);
    if (close === -1) return null;
    const inner = text.slice(j + 1, close);
    if (inner.includes('}') || inner.includes('[')) return null;
    j = close + 1;
    if (text.charCodeAt(j) !== DOT) return null;
    return parseStepTail(text, from, j);
  }
  // Step ids may contain dots: the id ends at the last `.outputs.`/`.status` that completes a reference.
  const close = text.indexOf('}', from);
  if (close === -1) return null;
  for (let dot = text.lastIndexOf('.', j); dot > from; dot = text.lastIndexOf('.', dot - 1)) {
    const r = parseStepTail(text, from, dot);
    if (r) return r;
  }
  return null;
}

/** The reference when text[from..dot) is the step id and text[dot..] is `.outputs.KEY…}` or `.status}`. */
function parseStepTail(text: string, from: number, dot: number): { ref: Reference; end: number } | null {
  if (dot <= from) return null;
  const step = text.slice(from, dot);
  if (text.startsWith('.status}', dot)) return { ref: { kind: 'status', step }, end: dot + 8 };
  if (!text.startsWith('.outputs.', dot)) return null;
  let j = dot + 9;
  const keyStart = j;
  if (!isNameStart(text.charCodeAt(j))) return null;
  j++;
  while (isNameChar(text.charCodeAt(j))) j++;
  const key = text.slice(keyStart, j);
  if (text.charCodeAt(j) === CLOSE) return { ref: { kind: 'output', step, key, fallback: null }, end: j + 1 };
  if (text.charCodeAt(j) !== COLON || text.charCodeAt(j + 1) !== DASH) return null;
  const close = text.indexOf('}', j + 2);
  if (close === -1) return null;
  return { ref: { kind: 'output', step, key, fallback: text.slice(j + 2, close) }, end: close + 1 };
}

const DOLLAR = 0x24;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const DOT = 0x2e;
const COLON = 0x3a;
const DASH = 0x2d;
const OPEN_BRACKET = 0x5b;

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

/** Characters of a step id: `[A-Za-z0-9_.-]`. */
function isIdChar(c: number): boolean {
  return isNameChar(c) || c === DOT || c === DASH;
}
