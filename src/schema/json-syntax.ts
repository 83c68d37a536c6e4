/**
 * Finds the first syntax error in a text that `JSON.parse` rejected, with a message saying
 * what was expected there. Strict JSON (RFC 8259): no comments, no trailing commas, no single
 * quotes, no NaN. Iterative, with an explicit stack, so 10,000 unclosed `[` cost a few
 * microseconds and never the call stack; it runs only on the failure path.
 */
import { QUOTE, BACKSLASH, COMMA, COLON, MINUS, DOT, SLASH, OPEN_BRACE, CLOSE_BRACE, OPEN_BRACKET, CLOSE_BRACKET } from './json-chars.js';

/** Where and why a text is not JSON. */
export interface SyntaxErrorAt {
  /** 0-based offset (UTF-16 code units) of the offending character, or the text's length
   * when the text ends too early. */
  offset: number;
  /** What is wrong, in lower case, without position (e.g. `expected ':' after property name`). */
  message: string;
}

/** What the scanner expects next. */
const enum Expect {
  /** A value (start of the text, after `:` or after `,` in an array). */
  Value,
  /** A value or `]` (just after `[`). */
  ValueOrClose,
  /** A property name or `}` (just after `{`). */
  KeyOrClose,
  /** A property name (after `,` in an object). */
  Key,
  /** `:` after a property name. */
  Colon,
  /** `,` or the container's closer, or the end of the text at the top level. */
  CommaOrClose,
}

/**
 * The first syntax error in `text`, or undefined when `text` is valid JSON.
 * Never throws.
 */
export function findSyntaxError(text: string): SyntaxErrorAt | undefined {
  /** Offsets of the `{` and `[` that are still open, innermost last. */
  const open: number[] = [];
  let expect = Expect.Value;
  let i = 0;
  for (;;) {
    i = skipWhitespace(text, i);
    if (i >= text.length) return expect === Expect.CommaOrClose && open.length === 0 ? undefined : endOfText(text, open);
    const c = text.charCodeAt(i);
    if (c === SLASH && (text[i + 1] === '/' || text[i + 1] === '*')) return { offset: i, message: 'comments are not allowed in JSON' };
    switch (expect) {
      case Expect.Value:
      case Expect.ValueOrClose: {
        if (c === CLOSE_BRACKET && expect === Expect.ValueOrClose) {
          open.pop();
          expect = Expect.CommaOrClose;
          i++;
          break;
        }
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          open.push(i);
          expect = c === OPEN_BRACE ? Expect.KeyOrClose : Expect.ValueOrClose;
          i++;
          break;
        }
        const end = scanScalar(text, i);
        if (typeof end !== 'number') return end;
        i = end;
        expect = Expect.CommaOrClose;
        break;
      }
      case Expect.KeyOrClose:
      case Expect.Key: {
        if (c === CLOSE_BRACE && expect === Expect.KeyOrClose) {
          open.pop();
          expect = Expect.CommaOrClose;
          i++;
          break;
        }
        if (c !== QUOTE) {
          const why = c === CLOSE_BRACE ? ' (a trailing comma is not allowed)' : quoteHint(c);
          return { offset: i, message: `expected a property name in double quotes${why}` };
        }
        const end = scanString(text, i);
        if (typeof end !== 'number') return end;
        i = end;
        expect = Expect.Colon;
        break;
      }
      case Expect.Colon:
        if (c !== COLON) return { offset: i, message: "expected ':' after property name" };
        i++;
        expect = Expect.Value;
        break;
      case Expect.CommaOrClose: {
        const top = open.length === 0 ? undefined : text.charCodeAt(open[open.length - 1]!);
        if (top === undefined) return { offset: i, message: 'unexpected text after the end of the JSON value' };
        const inObject = top === OPEN_BRACE;
        if (c === COMMA) {
          i++;
          expect = inObject ? Expect.Key : Expect.Value;
          if (!inObject && text.charCodeAt(skipWhitespace(text, i)) === CLOSE_BRACKET) {
            return { offset: skipWhitespace(text, i), message: 'expected a value (a trailing comma is not allowed)' };
          }
          break;
        }
        if (c === (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) {
          open.pop();
          i++;
          break;
        }
        return { offset: i, message: inObject ? "expected ',' or '}' after property value" : "expected ',' or ']' after array element" };
      }
    }
  }
}

function skipWhitespace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** The text ended while a value, a name or a closer was still expected. */
function endOfText(text: string, open: readonly number[]): SyntaxErrorAt {
  if (skipWhitespace(text, 0) >= text.length) return { offset: text.length, message: 'the file is empty (expected a JSON value)' };
  if (open.length === 0) return { offset: text.length, message: 'unexpected end of the file (expected a value)' };
  const innermost = open[open.length - 1]!;
  const { line, column } = lineColumn(text, innermost);
  const closer = text.charCodeAt(innermost) === OPEN_BRACE ? '}' : ']';
  const more = open.length > 1 ? ` (${open.length} brackets are open)` : '';
  return {
    offset: text.length,
    message: `unexpected end of the file: expected '${closer}' for the '${text[innermost]}' at line ${line}, column ${column}${more}`,
  };
}

/** 1-based line and column of `offset` (only for messages; the problem list positions the error). */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = text.indexOf('\n'); k !== -1 && k < offset; k = text.indexOf('\n', k + 1)) {
    line++;
    lineStart = k + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** A string, number or literal starting at `i`: the index after it, or the error. */
function scanScalar(text: string, i: number): number | SyntaxErrorAt {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return scanString(text, i);
  if (c === MINUS || isDigit(c)) return scanNumber(text, i);
  for (const literal of ['true', 'false', 'null']) if (text.startsWith(literal, i)) return i + literal.length;
  return { offset: i, message: unexpected(text, i) };
}

/** `i` at an opening quote: the index after the closing one, or the first error inside. */
function scanString(text: string, i: number): number | SyntaxErrorAt {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c < 0x20) return { offset: j, message: `control character ${codePoint(c)} in a string (write it as an escape such as \\n or \\u0001)` };
    if (c !== BACKSLASH) continue;
    const e = text[j + 1];
    if (e === undefined) break;
    if (e === 'u') {
      if (!/^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) return { offset: j, message: 'invalid \\u escape (expected 4 hex digits)' };
      j += 5;
    } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
      j++;
    } else {
      return { offset: j, message: `invalid escape sequence ${JSON.stringify(`\\${e}`)}` };
    }
  }
  return { offset: i, message: 'unterminated string (no closing double quote)' };
}

/** `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` */
function scanNumber(text: string, i: number): number | SyntaxErrorAt {
  const start = i;
  const bad = (): SyntaxErrorAt => ({ offset: start, message: `invalid number ${JSON.stringify(token(text, start))}` });
  if (text.charCodeAt(i) === MINUS) i++;
  if (text.charCodeAt(i) === 0x30) i++;
  else if (isDigit(text.charCodeAt(i))) while (isDigit(text.charCodeAt(i))) i++;
  else return bad();
  if (text.charCodeAt(i) === DOT) {
    i++;
    if (!isDigit(text.charCodeAt(i))) return bad();
    while (isDigit(text.charCodeAt(i))) i++;
  }
  if ((text.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    if (!isDigit(text.charCodeAt(i))) return bad();
    while (isDigit(text.charCodeAt(i))) i++;
  }
  // "01" or "1x": the number must end where a separator or whitespace starts.
  if (isDigit(text.charCodeAt(i)) || /[A-Za-z_.]/.test(text[i] ?? '')) return bad();
  return i;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Up to 30 characters of the word starting at `i`, for messages. */
function token(text: string, i: number): string {
  const m = /^[^\s,:[\]{}"]{1,30}/.exec(text.slice(i, i + 31));
  return m ? m[0] : text.slice(i, i + 1);
}

/** The message for a character that cannot start a value. */
function unexpected(text: string, i: number): string {
  const c = text.charCodeAt(i);
  if (c === 0xfeff) return 'unexpected byte order mark (U+FEFF) inside the file';
  if (c < 0x20 || c === 0x7f) return `unexpected control character ${codePoint(c)}`;
  if (c === 0x27) return "strings must be in double quotes, not single quotes";
  if (c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COMMA || c === COLON) return `expected a value, got '${text[i]}'`;
  const word = token(text, i);
  if (/^(NaN|-?Infinity|undefined)$/.test(word)) return `${word} is not a JSON value (JSON has no ${word}; use a number, a string or null)`;
  return `unexpected ${JSON.stringify(word)} (expected a value: an object, array, string, number, true, false or null)`;
}

function quoteHint(c: number): string {
  return c === 0x27 ? ' (not single quotes)' : '';
}

function codePoint(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}
