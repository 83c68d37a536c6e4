/**
 * Ids of matrix and `for_each` instances (issue 13): `STEP[KEY=VALUE,…]` for a matrix
 * combination or an object item, `STEP[VALUE]` for a string item, e.g. `test[os=linux,py=3.11]`
 * or `lint[src%2Fmain.ts]`. Deterministic (keys in the order written), readable, and safe as a
 * file name: characters of a value other than `A-Z a-z 0-9 _ . -` are percent-encoded (UTF-8,
 * upper-case hex), so an id never holds `/`, a space or a separator of its own. An id longer
 * than {@link MAX_INSTANCE_ID_LENGTH}, or one an earlier item of the same list already took
 * (a repeated item), is `STEP[#N]` with N the item's 0-based position instead.
 *
 * On a command line the brackets are glob characters for some shells (zsh refuses an
 * unmatched one): quote the id there, `--target 'test[os=linux,py=3.11]'`.
 */

/** Longest id, in characters (ids name log files; see the schema's limit on `id`). */
export const MAX_INSTANCE_ID_LENGTH = 200;

/** `value` with every character outside `A-Za-z0-9_.-` percent-encoded. */
export function encodeIdValue(value: string): string {
  if (/^[A-Za-z0-9_.-]*$/.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The bracket part of an instance id for a combination or object item: `[k=v,…]`. */
function pairsPart(values: Record<string, string>): string {
  return `[${Object.entries(values)
    .map(([k, v]) => `${k}=${encodeIdValue(v)}`)
    .join(',')}]`;
}

/**
 * Assigns ids to the instances of step `stepId`, one per entry of `items` (a matrix combination
 * or object item: `[k=v,…]`; a string item: `[v]`), in order, with the fallbacks above.
 */
export function instanceIds(stepId: string, items: readonly (string | Record<string, string>)[]): string[] {
  const used = new Set<string>();
  return items.map((item, i) => {
    let id = `${stepId}${typeof item === 'string' ? `[${encodeIdValue(item)}]` : pairsPart(item)}`;
    if (id.length > MAX_INSTANCE_ID_LENGTH || used.has(id)) id = `${stepId}[#${i}]`;
    used.add(id);
    return id;
  });
}

/** The step id an instance id belongs to (`test` of `test[os=linux]`), or null for a plain id. */
export function instanceBase(id: string): string | null {
  if (!id.endsWith(']')) return null;
  const open = id.indexOf('[');
  return open > 0 ? id.slice(0, open) : null;
}
