/**
 * Test helpers for plan loading: plan files in real temp directories (./temp-dirs.ts
 * `tempDir`), and a `loadPlan` wrapper that returns the PlanError's problems instead of
 * throwing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadPlan, type LoadPlanOptions } from '../../src/schema/load-plan.js';
import { PlanError, type Problem } from '../../src/schema/problems.js';
import type { ResolvedPlan } from '../../src/schema/resolved-plan.js';

/** Writes `content` (an object is written as 2-space JSON) to `dir/name`; returns the text. */
export function writeJson(dir: string, name: string, content: unknown): string {
  const text = typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`;
  writeFileSync(path.join(dir, name), text);
  return text;
}

/** A minimal valid plan object (plan_id `p`) with the given steps and extra top-level fields. */
export function plan(steps: object[], extra: object = {}): object {
  return { plan_id: 'p', version: '1', ...extra, steps };
}

/** Options for loadPlan with test defaults (cwd = dir, plan file 'plan.json'). */
export function options(dir: string, more: Partial<LoadPlanOptions> = {}): LoadPlanOptions {
  return { path: 'plan.json', varArgs: [], runId: 'run-1', stateDir: path.join(dir, '.state'), cwd: dir, ...more };
}

/** Writes `content` as dir/plan.json and loads it; returns the resolved plan (throws what loadPlan throws). */
export function load(dir: string, content: unknown, more: Partial<LoadPlanOptions> = {}): ResolvedPlan {
  writeJson(dir, 'plan.json', content);
  return loadPlan(options(dir, more));
}

/** Writes `content` as dir/plan.json, loads it expecting a PlanError, returns its problems.
 * Fails the test if loading succeeds or throws anything else. */
export function problemsOf(dir: string, content: unknown, more: Partial<LoadPlanOptions> = {}): Problem[] {
  writeJson(dir, 'plan.json', content);
  return problemsOfLoad(options(dir, more));
}

/** Runs loadPlan(opts) expecting a PlanError; returns its problems (throws anything else, or when it loads). */
export function problemsOfLoad(opts: LoadPlanOptions): Problem[] {
  try {
    loadPlan(opts);
  } catch (err) {
    if (err instanceof PlanError) return err.problems;
    throw err;
  }
  throw new Error('expected loadPlan to throw a PlanError');
}

/** 1-based line and column of the `nth` (0-based) occurrence of `needle` in `text`; throws when there are fewer. */
export function positionOf(text: string, needle: string, nth = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at === -1) throw new Error(`${JSON.stringify(needle)} occurs fewer than ${nth + 1} times`);
  }
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}
