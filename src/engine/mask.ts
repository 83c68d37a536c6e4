/**
 * Masks secret variable values (vars declared `secret: true`) as `***` in any text that
 * leaves the engine: events, runs.db rows, console lines (issue 2), and (through
 * process/redactor.ts) the output of steps that received a secret (issue 11).
 *
 * Not only the value itself is masked but its common encodings ({@link secretVariants}): a
 * step that logs a token base64-encoded (an HTTP Basic header), URL-encoded (a query string)
 * or JSON-escaped (a config dump) does not reveal it either. What is not caught, as GitHub
 * Actions documents for its own masking: a secret printed transformed in any other way
 * (reversed, hashed, split with other text in between, in another encoding).
 */

import type { ResolvedPlan } from '../schema/resolved-plan.js';

export type Masker = (text: string) => string;

/** What a masked value is replaced with. */
export const MASK = '***';

/** Lines of a multi-line secret shorter than this are not masked on their own (they would mask common text such as `}`). */
const MIN_LINE_LENGTH = 4;

/** The secret values of a plan's secret variables (non-empty ones). */
export function planSecrets(plan: Pick<ResolvedPlan, 'secretNames' | 'vars'>): string[] {
  return plan.secretNames.map((n) => plan.vars[n] ?? '').filter((v) => v.length > 0);
}

/** The masker for a plan's secret variables (`secret: true`). */
export function planMasker(plan: Pick<ResolvedPlan, 'secretNames' | 'vars'>): Masker {
  return createMasker(planSecrets(plan));
}

/**
 * The texts that reveal `secret`: the value; each line of a multi-line value (at least
 * {@link MIN_LINE_LENGTH} characters); its URL encoding (encodeURIComponent, and with `+` for
 * spaces as forms write it); its JSON string escaping; its base64 encoding on its own; and at each of the
 * three alignments it can have inside a longer base64 text (the characters that depend on the
 * neighbouring bytes are left out), as standard and URL-safe base64.
 */
export function secretVariants(secret: string): string[] {
  if (secret === '') return [];
  const out = new Set<string>([secret]);
  const lines = secret.split(/\r?\n/);
  if (lines.length > 1) for (const l of lines) if (l.trim().length >= MIN_LINE_LENGTH) out.add(l.trim());
  const url = encodeURIComponent(secret);
  out.add(url);
  out.add(url.replace(/%20/g, '+'));
  out.add(JSON.stringify(secret).slice(1, -1));
  const bytes = Buffer.from(secret, 'utf8');
  // The whole value encoded on its own (`base64 <<< "$TOKEN"`), with and without padding.
  const whole = bytes.toString('base64');
  out.add(whole);
  out.add(whole.replace(/=+$/, ''));
  for (let offset = 0; offset < 3; offset++) {
    const b64 = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters 0..k-1 mix the zero padding with the secret; the last characters mix in
    // what follows the secret (or '=' padding).
    const start = offset === 0 ? 0 : offset === 1 ? 2 : 3;
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = b64.slice(start, end);
    if (core.length >= MIN_LINE_LENGTH) {
      out.add(core);
      out.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...out].filter((v) => v.length > 0);
}

/** A masker for these secret values (and their variants); the identity when there are none.
 * Longer texts are replaced first so a secret that contains another is masked whole. */
export function createMasker(secretValues: readonly string[]): Masker {
  const values = [...new Set(secretValues.flatMap(secretVariants))].sort((a, b) => b.length - a.length);
  if (values.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const v of values) {
      if (out.includes(v)) out = out.split(v).join(MASK);
    }
    return out;
  };
}
