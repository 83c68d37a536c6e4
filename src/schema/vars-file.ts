/**
 * Reading a `--vars-file`: a JSON object mapping variable names to string values. It may be
 * a pipe (`… | engine run plan.json --vars-file /dev/stdin`), so secrets need not touch disk.
 */
import path from 'node:path';
import { escapePointerToken } from './json-source.js';
import { readJsonFile } from './json-file.js';
import type { ProblemList } from './problem-list.js';
import { preview } from './validate-schema.js';

/**
 * Reads and checks a vars file. `label` is the path as the user gave it (used in problems),
 * resolved against `cwd`. Reports into `problems` (file `label`): a file that is missing,
 * unreadable, not a file or pipe, or too large; bytes that are not UTF-8; invalid JSON (with
 * line:column); duplicate keys; a top level that is not an object; and values that are not
 * strings or contain a NUL character (those keys are left out). Whether keys are declared is
 * checked by resolveVars. Never throws.
 * @returns the string values, or undefined when the file could not be read or parsed
 */
export function readVarsFile(label: string, cwd: string, problems: ProblemList): Map<string, string> | undefined {
  const file = readJsonFile('vars file', label, path.resolve(cwd, label), problems);
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
    } else if (value.includes('\0')) {
      // The value is not shown: it may be a secret.
      problems.add({ file: label, pointer, message: `value of ${JSON.stringify(key)} contains a NUL character (\\u0000), which no command can receive` });
    } else {
      out.set(key, value);
    }
  }
  return out;
}
