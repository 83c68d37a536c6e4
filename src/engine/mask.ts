/**
 * Masks secret variable values (vars declared `secret: true`) as `***` in any text that
 * leaves the engine: events, runs.db rows and console lines (issue 2).
 */

import type { ResolvedPlan } from '../schema/resolved-plan.js';

export type Masker = (text: string) => string;

/** The masker for a plan's secret variables (`secret: true`). */
export function planMasker(plan: Pick<ResolvedPlan, 'secretNames' | 'vars'>): Masker {
  return createMasker(plan.secretNames.map((n) => plan.vars[n] ?? ''));
}

/** A masker for these secret values; the identity when there are none. Longer values are
 * replaced first so a secret that contains another is masked whole. */
export function createMasker(secretValues: readonly string[]): Masker {
  const values = [...new Set(secretValues.filter((v) => v.length > 0))].sort(
    (a, b) => b.length - a.length,
  );
  if (values.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const v of values) {
      if (out.includes(v)) out = out.split(v).join('***');
    }
    return out;
  };
}
