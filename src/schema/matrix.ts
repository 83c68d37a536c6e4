/**
 * The combinations of a step's `matrix` (issue 13), as GitHub Actions' `strategy.matrix` has
 * them with one deliberate difference: the cartesian product of the axes (first axis varying
 * slowest), minus every combination an `exclude` entry matches (an entry matches when each key
 * it names has its value), then each `include` entry as a combination of its own, in order,
 * unless it equals one already there. GitHub's `include` may instead extend existing
 * combinations with extra keys depending on how it overlaps them, which changes what a plan
 * means when an axis gains a value; here an include always adds exactly one instance.
 */
import type { Step } from './plan-file.generated.js';

/** Most instances a matrix (or a for_each list) may have. */
export const MAX_INSTANCES = 10_000;

export type MatrixSpec = NonNullable<Step['matrix']>;

/**
 * The combinations of `matrix`, keys in the order written (axes, then an include entry's own
 * keys). Values are as written (substitution happens later).
 * @returns the combinations, or a problem with the JSON pointer suffix (below the step's
 *   `/matrix`) it concerns: an exclude entry naming a key that is no axis, or no combination
 *   at all, or more than {@link MAX_INSTANCES}
 */
export function matrixCombinations(matrix: MatrixSpec): { combinations: Record<string, string>[] } | { problem: string; at: string } {
  const axes: [string, string[]][] = [];
  for (const [key, values] of Object.entries(matrix)) {
    if (key === 'include' || key === 'exclude') continue;
    axes.push([key, values as string[]]);
  }
  const axisNames = new Set(axes.map(([k]) => k));
  const exclude = (matrix.exclude ?? []) as Record<string, string>[];
  for (let j = 0; j < exclude.length; j++) {
    const unknown = Object.keys(exclude[j]!).find((k) => !axisNames.has(k));
    if (unknown !== undefined) return { problem: `exclude entry names "${unknown}", which is not an axis of the matrix (axes: ${[...axisNames].join(', ') || 'none'})`, at: `/exclude/${j}` };
  }
  let size = axes.length === 0 ? 0 : 1;
  for (const [, values] of axes) size *= values.length;
  if (size > MAX_INSTANCES * 10) return { problem: `the matrix has ${size} combinations; at most ${MAX_INSTANCES} instances are allowed`, at: '' };
  const out: Record<string, string>[] = [];
  const seen = new Set<string>();
  if (size > 0) {
    const index = new Array<number>(axes.length).fill(0);
    for (let n = 0; n < size; n++) {
      const combo: Record<string, string> = {};
      for (let a = 0; a < axes.length; a++) combo[axes[a]![0]] = axes[a]![1][index[a]!]!;
      if (!exclude.some((e) => matches(e, combo))) {
        out.push(combo);
        seen.add(keyOf(combo));
      }
      for (let a = axes.length - 1; a >= 0; a--) {
        if (++index[a]! < axes[a]![1].length) break;
        index[a] = 0;
      }
    }
  }
  for (const entry of (matrix.include ?? []) as Record<string, string>[]) {
    const combo = { ...entry };
    const k = keyOf(combo);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(combo);
  }
  if (out.length === 0) return { problem: 'the matrix has no combinations (an axis is empty, or exclude removes every one, and include adds none)', at: '' };
  if (out.length > MAX_INSTANCES) return { problem: `the matrix has ${out.length} combinations; at most ${MAX_INSTANCES} instances are allowed`, at: '' };
  return { combinations: out };
}

function matches(entry: Record<string, string>, combo: Record<string, string>): boolean {
  for (const k in entry) if (combo[k] !== entry[k]) return false;
  return true;
}

function keyOf(combo: Record<string, string>): string {
  return JSON.stringify(Object.entries(combo).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
