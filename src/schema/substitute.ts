/**
 * `${NAME}` substitution in plan strings. Plain string replacement: values are inserted as
 * they are (never re-scanned, never passed through a shell), so a value with spaces or `;`
 * stays inside the one argument it was written in.
 *
 * Syntax: `${NAME}` with NAME matching {@link VAR_NAME_PATTERN} is replaced by the variable's
 * value; `$${` writes a literal `${` (so `$${HOME}` becomes the text `${HOME}`); any other `$`
 * is literal. A `${` that does not start a valid reference is an error (it is almost always a
 * shell-style `${X:-y}` meant literally: write `$${X:-y}`).
 */

/** Names of variables: `^[A-Za-z_][A-Za-z0-9_]*$`. */
export const VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A reference that could not be substituted. `text` is what the string contains there. */
export type SubstitutionIssue =
  | { kind: 'unknown'; name: string; text: string }
  | { kind: 'malformed'; text: string };

/**
 * Replaces references in `text` with values from `values`. References to names not in
 * `values` and malformed `${` are left as written and reported through `onIssue` (if given).
 * Returns `text` itself (no allocation) when it contains no `${`. A hand-written scan, not a
 * regex: this runs on every argument of every step.
 */
export function substituteVars(
  text: string,
  values: ReadonlyMap<string, string>,
  onIssue?: (issue: SubstitutionIssue) => void,
): string {
  if (!text.includes('${')) return text;
  let out = '';
  let last = 0; // text[last..] is not copied to out yet
  let k = text.indexOf('$');
  while (k !== -1) {
    const next = text.charCodeAt(k + 1);
    if (next === DOLLAR && text.charCodeAt(k + 2) === OPEN) {
      out += text.slice(last, k) + '${';
      last = k + 3;
      k = text.indexOf('$', last);
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
    if (j > k + 2 && text.charCodeAt(j) === CLOSE) {
      const ref = text.slice(k, j + 1);
      const name = text.slice(k + 2, j);
      const value = values.get(name);
      if (value === undefined) onIssue?.({ kind: 'unknown', name, text: ref });
      out += text.slice(last, k) + (value ?? ref);
      last = j + 1;
      k = text.indexOf('$', last);
      continue;
    }
    if (onIssue) {
      const close = text.indexOf('}', k);
      const end = close === -1 || close - k > 40 ? Math.min(text.length, k + 20) : close + 1;
      onIssue({ kind: 'malformed', text: text.slice(k, end) });
    }
    k = text.indexOf('$', k + 2);
  }
  return out + text.slice(last);
}

/**
 * True when every `${` in `text` starts a reference to a name in `values` (or is escaped as
 * `$${`): what {@link substituteVars} would do without reporting an issue. Allocation-free, for
 * checking many strings quickly.
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

const DOLLAR = 0x24;
const OPEN = 0x7b;
const CLOSE = 0x7d;

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}
