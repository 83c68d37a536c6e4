/**
 * Masks secret variable values (vars declared `secret: true`) as `***` in any text that
 * leaves the engine: events, runs.db rows and console lines (issue 2).
 */

export type Masker = (text: string) => string;

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
