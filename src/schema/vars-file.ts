/**
 * Reading a `--vars-file`: a JSON object mapping variable names to string values.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { JsonSource, escapePointerToken, parseJson, stripBom } from './json-source.js';
import type { ProblemList } from './problem-list.js';
import { preview } from './validate-schema.js';

/**
 * Reads and checks a vars file. `label` is the path as the user gave it (used in problems),
 * resolved against `cwd`. Reports into `problems` (file `label`): a missing or unreadable file,
 * invalid JSON (with line:column), a top level that is not an object, and values that are not
 * strings (those keys are left out). Whether keys are declared is checked by resolveVars.
 * Never throws.
 * @returns the string values, or undefined when the file could not be read or parsed
 */
export function readVarsFile(label: string, cwd: string, problems: ProblemList): Map<string, string> | undefined {
  const abs = path.resolve(cwd, label);
  let text: string;
  try {
    text = stripBom(readFileSync(abs, 'utf8'));
  } catch (err) {
    problems.add({ file: label, pointer: '', at: 'none', message: readErrorMessage('vars file', abs, err) });
    return undefined;
  }
  problems.addSource(label, new JsonSource(text));
  const parsed = parseJson(text);
  if (!parsed.ok) {
    problems.add({ file: label, pointer: '', at: { offset: parsed.offset }, message: parsed.message });
    return undefined;
  }
  const data = parsed.value;
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
    if (typeof value === 'string') out.set(key, value);
    else {
      problems.add({
        file: label,
        pointer: `/${escapePointerToken(key)}`,
        message: `value of ${JSON.stringify(key)} must be a string, got ${preview(value)}`,
      });
    }
  }
  return out;
}

/** "<what> not found: <abs>" and the like, from a read error; no stack. */
export function readErrorMessage(what: string, abs: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `${what} not found: ${abs}`;
  if (code === 'EISDIR') return `${what} is a directory: ${abs}`;
  if (code === 'EACCES' || code === 'EPERM') return `${what} is not readable (permission denied): ${abs}`;
  const msg = err instanceof Error ? err.message : String(err);
  return `cannot read ${what} ${abs}: ${msg}`;
}
