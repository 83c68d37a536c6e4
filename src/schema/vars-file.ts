/**
 * Reading a `--vars-file`: a JSON object mapping variable names to string values, or, when
 * the file is not JSON (it does not parse as JSON and does not start with `{` or `[`),
 * `.env` lines `KEY=VALUE` (dotenv.ts). It may be a pipe (`… | engine run plan.json --vars-file /dev/stdin`), so
 * secrets need not touch disk; it is read once either way.
 */
import path from 'node:path';
import { DotenvSource, parseDotenv } from './dotenv.js';
import { readInputFile } from './input-file.js';
import { escapePointerToken } from './json-source.js';
import { decodeUtf8, readJsonFile } from './json-file.js';
import type { ProblemList } from './problem-list.js';
import { preview } from './validate-schema.js';

/**
 * Reads and checks a vars file. `label` is the path as the user gave it (used in problems),
 * resolved against `cwd`. Reports into `problems` (file `label`): a file that is missing,
 * unreadable, not a file or pipe, or too large; bytes that are not UTF-8; invalid JSON or
 * `.env` syntax (with line:column); duplicate keys; a JSON top level that is not an object;
 * and values that are not strings or contain a NUL character (those keys are left out).
 * Whether keys are declared is checked by resolveVars. Never throws.
 * @returns the string values, or undefined when the file could not be read or parsed
 */
export function readVarsFile(label: string, cwd: string, problems: ProblemList): Map<string, string> | undefined {
  const abs = path.resolve(cwd, label);
  const read = readInputFile('vars file', abs);
  if (!read.ok) {
    problems.add({ file: label, pointer: '', at: 'none', message: read.message });
    return undefined;
  }
  const decoded = decodeUtf8(read.bytes);
  if (!decoded.invalid && isDotenv(decoded.text)) return readDotenv(label, decoded.text, problems);
  const file = readJsonFile('vars file', label, abs, problems, read.bytes);
  if (!file) return undefined;
  const data = file.value;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.add({
      file: label,
      pointer: '',
      message: `a vars file must be a JSON object mapping variable names to string values, got ${preview(data)}`,
    });
    return undefined;
  }
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(data)) {
    const pointer = `/${escapePointerToken(key)}`;
    if (typeof value !== 'string') {
      problems.add({ file: label, pointer, message: `value of ${JSON.stringify(key)} must be a string, got ${preview(value)}` });
    } else {
      addValue(out, label, key, value, problems);
    }
  }
  return out;
}

/** Not JSON: neither parses as JSON nor starts like a JSON object or array. An empty file is JSON's error. */
function isDotenv(text: string): boolean {
  if (/^\s*([{[]|$)/.test(text)) return false;
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
}

function readDotenv(label: string, text: string, problems: ProblemList): Map<string, string> | undefined {
  const parsed = parseDotenv(text);
  problems.addSource(label, new DotenvSource(text, parsed.entries));
  for (const e of parsed.errors) problems.add({ file: label, pointer: '', at: { offset: e.offset }, message: e.message });
  if (parsed.errors.length > 0) return undefined;
  const out = new Map<string, string>();
  const first = new Map<string, number>();
  for (const e of parsed.entries) {
    const earlier = first.get(e.key);
    if (earlier !== undefined) {
      problems.add({ file: label, pointer: '', at: { offset: e.keyOffset }, message: `duplicate key "${e.key}" (first at line ${earlier})` });
      continue;
    }
    first.set(e.key, lineOf(text, e.keyOffset));
    addValue(out, label, e.key, e.value, problems);
  }
  return out;
}

function addValue(out: Map<string, string>, label: string, key: string, value: string, problems: ProblemList): void {
  if (value.includes('\0')) {
    // The value is not shown: it may be a secret.
    problems.add({ file: label, pointer: `/${escapePointerToken(key)}`, message: `value of ${JSON.stringify(key)} contains a NUL character (\\u0000), which no command can receive` });
  } else {
    out.set(key, value);
  }
}

function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
