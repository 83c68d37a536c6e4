/**
 * What happens to a step's fields once the run knows more (issue 13): a step that references
 * outputs, statuses or a `for_each` item is bound when it becomes ready ({@link bindStep}), and
 * a `for_each` step is expanded into its instances once its item list is known
 * ({@link expandForEach}). Pure: the run loop gives the values it knows through
 * {@link RunValueLookup}.
 */
import type { ForEachItem, ResolvedPlan, ResolvedStep } from './resolved-plan.js';
import { buildStep, resolveStepFields } from './resolve.js';
import { instanceIds } from './instance-id.js';
import { MAX_INSTANCES } from './matrix.js';
import { substitute, type Reference, type Resolver } from './substitute.js';

/** The value of an output or status reference, or why there is none (a sentence naming producer and key). */
export type RunValue = { value: string } | { missing: string };

/** Looks up `${steps.ID.outputs.KEY}` (fallback included) and `${steps.ID.status}` in the run. */
export type RunValueLookup = (ref: Extract<Reference, { kind: 'output' | 'status' }>) => RunValue;

/** A bound step, or the references that could not be resolved (reason `missing_output`). */
export type BindResult = { step: ResolvedStep } | { missing: string[] };

/**
 * Substitutes every field of a late step (`step.late` not null) from its source, with
 * variables, its matrix values, its item and what `lookup` gives. Steps without late fields
 * are returned as they are.
 */
export function bindStep(plan: Pick<ResolvedPlan, 'scope' | 'dir'>, step: ResolvedStep, lookup: RunValueLookup): BindResult {
  const late = step.late;
  if (late === null) return { step };
  const missing: string[] = [];
  const resolver = lateResolver(plan, late.matrix, late.item, lookup, missing);
  const bound = resolveStepFields(
    late.source,
    { index: step.index, planIndex: step.planIndex, kind: step.kind === 'matrix' ? 'command' : step.kind, id: step.id, name: step.name, dependsOn: step.dependsOn, undoes: step.undoes, instanceOf: step.instanceOf, matrix: step.matrix, item: late.item },
    plan.scope,
    plan.dir,
    (text) => substitute(text, resolver),
    null,
  );
  if (missing.length > 0) return { missing: [...new Set(missing)] };
  // Policy fields are the resolved step's (an instance's critical / on_failure, a for_each step's fan-out).
  return { step: { ...bound, critical: step.critical, onFailure: step.onFailure, fanOut: step.fanOut, forEach: step.forEach } };
}

function lateResolver(
  plan: Pick<ResolvedPlan, 'scope'>,
  matrix: Record<string, string> | null,
  item: ForEachItem | null,
  lookup: RunValueLookup,
  missing: string[],
): Resolver {
  const resolve: Resolver = (ref) => {
    switch (ref.kind) {
      case 'var':
        return plan.scope.vars.get(ref.name);
      case 'matrix': {
        const v = matrix?.[ref.key];
        // A matrix value may itself reference outputs.
        return v === undefined ? undefined : substitute(v, resolve);
      }
      case 'item':
        if (item === null) return ref.field === null ? plan.scope.vars.get('item') : undefined;
        if (ref.field === null) return typeof item === 'string' ? item : JSON.stringify(item);
        if (typeof item === 'string') {
          missing.push(`\${item.${ref.field}}: the item is the text ${JSON.stringify(item)}, not an object`);
          return '';
        }
        if (!Object.hasOwn(item, ref.field)) {
          missing.push(`\${item.${ref.field}}: the item ${JSON.stringify(item)} has no field "${ref.field}"`);
          return '';
        }
        return item[ref.field];
      case 'output':
      case 'status': {
        const r = lookup(ref);
        if ('value' in r) return r.value;
        missing.push(r.missing);
        return '';
      }
    }
  };
  return resolve;
}

/**
 * The instances of `node` (a for_each step) for its item list `text` (its `for_each` with
 * variables and outputs substituted: see {@link forEachText}): one per item, ids from
 * instance-id.ts, indices from `firstIndex` on, each depending on what `node` depends on.
 * @returns the instances, or why the list is unusable (not a JSON array, an item that is
 *   neither a string nor a flat object, more than 10,000 items)
 */
export function expandForEach(plan: Pick<ResolvedPlan, 'scope' | 'dir'>, node: ResolvedStep, text: string, firstIndex: number): { instances: ResolvedStep[]; items: ForEachItem[] } | { error: string } {
  const source = node.late?.source;
  if (!source) return { error: `step "${node.id}" has no for_each template` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: `for_each is not a JSON array: ${preview(text)}` };
  }
  if (!Array.isArray(value)) return { error: `for_each is not a JSON array: ${preview(text)}` };
  if (value.length > MAX_INSTANCES) return { error: `for_each has ${value.length} items; at most ${MAX_INSTANCES} are allowed` };
  const items: ForEachItem[] = [];
  for (let i = 0; i < value.length; i++) {
    const item = itemOf(value[i]);
    if (typeof item === 'object' && 'error' in item) return { error: `for_each item ${i}: ${item.error}` };
    items.push(item as ForEachItem);
  }
  const ids = instanceIds(node.id, items);
  const instances = items.map((item, k) =>
    buildStep(
      source,
      { index: firstIndex + k, planIndex: node.planIndex, kind: source.plan !== undefined ? 'plan' : 'command', id: ids[k]!, name: node.name + ids[k]!.slice(node.id.length), dependsOn: node.dependsOn, undoes: null, instanceOf: node.index, matrix: null, item },
      plan.scope,
      plan.dir,
    ),
  );
  return { instances, items };
}

/** The for_each text of a for_each step with variables and outputs substituted, or what is missing. */
export function forEachText(plan: Pick<ResolvedPlan, 'scope'>, node: ResolvedStep, lookup: RunValueLookup): { text: string } | { missing: string[] } {
  const missing: string[] = [];
  const text = substitute(node.forEach ?? '', lateResolver(plan, null, null, lookup, missing));
  return missing.length > 0 ? { missing } : { text };
}

/** A for_each item: a string, or an object whose values are strings, numbers or booleans (made strings). */
function itemOf(v: unknown): ForEachItem | { error: string } {
  if (typeof v === 'string') return v;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { error: `${preview(JSON.stringify(v))} is neither a string nor an object` };
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return { error: `field name ${JSON.stringify(k)} is not a valid name (^[A-Za-z_][A-Za-z0-9_]*$)` };
    if (typeof x === 'string') out[k] = x;
    else if (typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
    else return { error: `field "${k}" is not a string, number or boolean (items must be flat objects)` };
  }
  return out;
}

function preview(text: string): string {
  return text.length > 80 ? `${JSON.stringify(text.slice(0, 80))}…` : JSON.stringify(text);
}
