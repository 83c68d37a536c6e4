/**
 * `.env` syntax for `--vars-file` (a file that is not JSON): one `KEY=VALUE` a line, as
 * docker compose and the dotenv libraries read it:
 *
 * - blank lines and lines starting with `#` are comments; `export KEY=VALUE` is allowed;
 * - spaces around the key and the `=` are ignored; an unquoted value ends at the end of its
 *   line or at ` #` (a comment), and its surrounding spaces are dropped;
 * - `'single quotes'` keep everything as written; `"double quotes"` understand `\n`, `\r`,
 *   `\t`, `\"`, `\\` and `\$`; either kind may span lines; after the closing quote only
 *   spaces and a comment may follow.
 *
 * Nothing is expanded: `${X}` in a value is those four characters, like every value given on
 * the command line. A key given twice is a problem, as in a JSON vars file.
 */
import { JsonSource, parsePointer, type PositionTarget, type SourcePosition } from './json-source.js';

/** One `KEY=VALUE`, with where its key and value start (0-based offsets into the text). */
export interface DotenvEntry {
  key: string;
  value: string;
  keyOffset: number;
  valueOffset: number;
}

export interface DotenvParse {
  entries: DotenvEntry[];
  /** Syntax errors, each at an offset. */
  errors: { offset: number; message: string }[];
}

const KEY = /[A-Za-z_][A-Za-z0-9_.-]*/y;
const DOUBLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

/** Parses `.env` text (BOM already stripped). Never throws. */
export function parseDotenv(text: string): DotenvParse {
  const entries: DotenvEntry[] = [];
  const errors: DotenvParse['errors'] = [];
  let i = 0;
  const skipSpaces = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const toLineEnd = (): void => {
    while (i < text.length && text[i] !== '\n') i++;
  };
  while (i < text.length) {
    skipSpaces();
    if (i >= text.length) break;
    if (text[i] === '\n' || text[i] === '\r') {
      i++;
      continue;
    }
    if (text[i] === '#') {
      toLineEnd();
      continue;
    }
    if (text.startsWith('export ', i)) {
      i += 'export '.length;
      skipSpaces();
    }
    KEY.lastIndex = i;
    const m = KEY.exec(text);
    if (!m) {
      errors.push({ offset: i, message: 'invalid .env line: expected KEY=VALUE (a key is letters, digits and _, not starting with a digit)' });
      toLineEnd();
      continue;
    }
    const keyOffset = i;
    i += m[0].length;
    skipSpaces();
    if (text[i] !== '=') {
      errors.push({ offset: i, message: `invalid .env line: expected "=" after ${m[0]}` });
      toLineEnd();
      continue;
    }
    i++;
    skipSpaces();
    const valueOffset = i;
    const quote = text[i];
    let value: string;
    if (quote === '"' || quote === "'") {
      const close = closingQuote(text, i + 1, quote);
      if (close === -1) {
        errors.push({ offset: i, message: `unterminated ${quote === '"' ? 'double' : 'single'}-quoted value of ${m[0]}` });
        break;
      }
      const raw = text.slice(i + 1, close);
      value = quote === '"' ? raw.replace(/\\(.)/gs, (all, c: string) => DOUBLE_ESCAPES[c] ?? all) : raw;
      i = close + 1;
      skipSpaces();
      if (i < text.length && text[i] !== '\n' && text[i] !== '\r' && text[i] !== '#') {
        errors.push({ offset: i, message: `unexpected text after the quoted value of ${m[0]} (only a # comment may follow)` });
        toLineEnd();
        continue;
      }
      toLineEnd();
    } else {
      const start = i;
      toLineEnd();
      let raw = text.slice(start, i).replace(/\r$/, '');
      const comment = raw.search(/[ \t]#/);
      if (comment !== -1) raw = raw.slice(0, comment);
      value = raw.trim();
    }
    entries.push({ key: m[0], value, keyOffset, valueOffset });
  }
  return { entries, errors };
}

/** Offset of the quote that closes one opened before `from` (`\` escapes in double quotes), or -1. */
function closingQuote(text: string, from: number, quote: string): number {
  for (let j = from; j < text.length; j++) {
    if (quote === '"' && text[j] === '\\') j++;
    else if (text[j] === quote) return j;
  }
  return -1;
}

/** A `.env` file's text, positioning problems at `/KEY` (its key, or its value). */
export class DotenvSource extends JsonSource {
  private readonly byKey = new Map<string, DotenvEntry>();

  constructor(text: string, entries: readonly DotenvEntry[]) {
    super(text);
    for (const e of entries) if (!this.byKey.has(e.key)) this.byKey.set(e.key, e);
  }

  override locate(ptr: string, target: PositionTarget = 'value'): SourcePosition | undefined {
    const [key] = parsePointer(ptr);
    const e = key === undefined ? undefined : this.byKey.get(key);
    if (!e) return undefined;
    return this.positionOfOffset(target === 'key' ? e.keyOffset : e.valueOffset);
  }
}
