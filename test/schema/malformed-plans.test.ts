/**
 * The malformed-input corpus (test/schema/malformed-plan-cases.ts), loaded in-process with
 * loadPlan from real files. Every case must end in a PlanError, never another error or a
 * crash, within its time bound; every problem must name its place (a line and column in a
 * file that could be read, the flag for the command line) and carry no stack trace; and the
 * problem the case is about must be there, at the expected pointer and position.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/engine/retry.js';
import type { Problem } from '../../src/schema/problems.js';
import { formatProblem } from '../../src/schema/problems.js';
import { load, options, problemsOfLoad } from '../helpers/plan-files.js';
import { tempDir } from '../helpers/temp-dirs.js';
import { CASES, type At, type Content } from './malformed-plan-cases.js';

/** Writes `content` as dir/name and returns its text as the loader sees it (for positions). */
function write(dir: string, name: string, content: Content): string {
  const value = typeof content === 'function' ? content() : content;
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
  writeFileSync(path.join(dir, name), bytes);
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** 1-based line and column that `at` names in `text`. */
function position(text: string, at: Exclude<At, 'none'>): { line: number; column: number } {
  if (typeof at === 'string' && at !== 'end') {
    const [line, column] = at.split(':').map(Number);
    return { line: line!, column: column! };
  }
  let offset = text.length;
  if (typeof at === 'object') {
    const nth = at.nth ?? 0;
    offset = nth === -1 ? text.lastIndexOf(at.needle) : text.split(at.needle, nth + 1).slice(0, nth + 1).join(at.needle).length;
    if (offset === -1 || offset >= text.length) throw new Error(`needle ${JSON.stringify(at.needle.slice(0, 40))} (#${nth}) is not in the text`);
    offset += at.skip ?? 0;
  }
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** A file-level problem (the file could not be read at all) has no position. */
const FILE_LEVEL = /^(plan|vars) file /;
const COMMAND_LINE = '<command line>';

function checkPlace(p: Problem): void {
  const shown = formatProblem(p).slice(0, 300);
  expect(p.message, shown).not.toMatch(/internal error|\n\s+at |Maximum call stack/);
  if (p.file === COMMAND_LINE) expect(p.message, shown).toMatch(/^--[a-z-]+|^value of variable /);
  else if (!FILE_LEVEL.test(p.message)) expect(p.line, `${shown}: no line:column`).toBeGreaterThan(0);
}

describe('malformed plans, vars files and --var arguments', () => {
  it('has a corpus of at least 200 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(200);
  });

  it.each(CASES)('reports $name', (c) => {
    const dir = tempDir();
    const texts = new Map<string, string>([['plan.json', write(dir, 'plan.json', c.plan)]]);
    if (c.vars !== undefined) texts.set('vars.json', write(dir, 'vars.json', c.vars));
    const varsFile = c.varsPath ?? (c.vars !== undefined ? 'vars.json' : undefined);

    const t0 = performance.now();
    const problems = problemsOfLoad(options(dir, { path: c.path ?? 'plan.json', varArgs: c.varArgs ?? [], varsFile }));
    expect(performance.now() - t0).toBeLessThan(c.maxMs ?? 2000);

    problems.forEach(checkPlace);
    const file = c.expect.file ?? c.path ?? 'plan.json';
    const pointer = c.expect.pointer ?? '';
    const listed = problems.map((p) => formatProblem(p).slice(0, 300)).join('\n');
    const found = problems.filter((p) => p.file === file && p.pointer === pointer && c.expect.message.test(p.message));
    expect(found.length, `no problem in ${file} at ${JSON.stringify(pointer)} matching ${c.expect.message}; got:\n${listed}`).toBeGreaterThan(0);
    const at = c.expect.at;
    const where = (p: Problem) => (p.line === undefined ? 'none' : `${p.line}:${p.column}`);
    if (at !== undefined) {
      const wanted = at === 'none' ? 'none' : Object.values(position(texts.get(file)!, at)).join(':');
      expect(found.map(where)).toContain(wanted);
    }
    if (c.expect.notShown) expect(listed).not.toContain(c.expect.notShown);
  });
});

describe('odd but valid input', () => {
  const steps = '"steps": [{"id": "a", "command": "true"}]';

  it('loads a plan with 10,000 levels of nesting in metadata', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    expect(load(tempDir(), `{"plan_id": "p", "version": "1", "metadata": {"deep": ${deep}}, ${steps}}`).steps).toHaveLength(1);
  });

  it('loads a plan with a byte order mark and CRLF line endings', () => {
    expect(load(tempDir(), `\uFEFF{\r\n"plan_id": "p",\r\n"version": "1",\r\n${steps}\r\n}\r\n`).planId).toBe('p');
  });

  it('keeps "__proto__" as a plain environment variable name', () => {
    const plan = load(tempDir(), `{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true", "env": {"__proto__": "x"}}]}`);
    expect(Object.getOwnPropertyDescriptor(plan.steps[0]!.env, '__proto__')?.value).toBe('x');
  });

  it('caps the retry delay of the largest backoff at 365 days when the plan gives no maximum', () => {
    const plan = load(tempDir(), { plan_id: 'p', version: '1', steps: [{ id: 'a', command: 'false', retries: 10_000, retry_delay_sec: 1, retry_backoff: 1000 }] });
    expect(retryDelayMs(plan.steps[0]!.retry, 10_000)).toBe(31_536_000_000);
  });

  it('accepts the largest values the schema allows', () => {
    const year = 31_536_000;
    const step = { id: 'x'.repeat(200), command: 'true', retries: 10_000, timeout_sec: year, retry_delay_sec: year, retry_backoff: 1000, retry_max_delay_sec: year, success_exit_codes: [0, 255] };
    const plan = load(tempDir(), { plan_id: 'p', version: '1', globals: { max_concurrency: 10_000, default_timeout_sec: year, kill_grace_sec: year }, steps: [step] });
    expect(plan.steps[0]!.retry.retries).toBe(10_000);
    expect(plan.maxConcurrency).toBe(10_000);
  });
});
