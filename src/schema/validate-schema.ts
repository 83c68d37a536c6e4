/**
 * Validates a parsed plan against schemas/plan.schema.json (JSON Schema 2020-12) with Ajv and
 * turns Ajv's errors into readable messages with JSON pointers.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import generatedValidator from './plan-validator.generated.js';
import { escapePointerToken, type PositionTarget } from './json-source.js';
import { closestName } from './did-you-mean.js';
import { compileVarPattern } from './var-pattern.js';

/** One schema violation: where (pointer into the plan), what, and which part to point at. */
export interface SchemaProblem {
  pointer: string;
  message: string;
  /** 'key' for problems about a property's name (unknown or invalid), else 'value'. */
  at: PositionTarget;
}

/**
 * The compiled plan validator: Ajv's standalone code for schemas/plan.schema.json, generated
 * at build time by scripts/gen-validator.mjs (strict, allErrors, verbose: errors carry the
 * offending data and schema, used for messages), so neither Ajv nor a schema compile is paid
 * at run time. The schema's `"format": "regex"` is checked by {@link validatePlanSchema}.
 */
export function planValidator(): ValidateFunction {
  return generatedValidator as unknown as ValidateFunction;
}

/** Validates parsed plan JSON; [] when it conforms. Never throws on any input. */
export function validatePlanSchema(data: unknown): SchemaProblem[] {
  const validate = planValidator();
  const out: SchemaProblem[] = regexFormatProblems(data);
  if (validate(data)) return out;
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const p = describeError(e);
    if (!p) continue;
    const key = `${p.pointer}\0${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

type VerboseError = ErrorObject & { propertyName?: string };

function describeError(e: VerboseError): SchemaProblem | undefined {
  const at = e.instancePath;
  const params = e.params as Record<string, unknown>;
  // propertyNames: Ajv reports the inner failure (with propertyName set) and then a generic
  // "property name must be valid"; the inner one is the informative one.
  if (e.keyword === 'propertyNames') return undefined;
  if (e.propertyName !== undefined) {
    const ptr = `${at}/${escapePointerToken(e.propertyName)}`;
    const name = preview(e.propertyName);
    if (at.endsWith('/env')) {
      return { pointer: ptr, message: `invalid environment variable name ${name} (must not be empty or contain "=" or a NUL character)`, at: 'key' };
    }
    const what = at === '/vars' ? 'variable name' : 'property name';
    const rule = e.keyword === 'pattern' ? ` (must match ${String(params.pattern)})` : '';
    return { pointer: ptr, message: `invalid ${what} ${name}${rule}`, at: 'key' };
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = String(params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const list = allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
      const guess = closestName(prop, allowed);
      const hint = guess === undefined ? list : `; did you mean ${JSON.stringify(guess)}?${list}`;
      return { pointer: `${at}/${escapePointerToken(prop)}`, message: `unknown property ${preview(prop)}${hint}`, at: 'key' };
    }
    case 'required':
      return { pointer: at, message: `missing required property ${JSON.stringify(String(params.missingProperty))}`, at: 'value' };
    case 'type':
      return { pointer: at, message: `expected ${withArticle(String(params.type))}, got ${preview(e.data)}`, at: 'value' };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { pointer: at, message: `must be one of ${allowed}, got ${preview(e.data)}`, at: 'value' };
    }
    case 'const':
      return { pointer: at, message: `must be ${JSON.stringify(params.allowedValue)}, got ${preview(e.data)}`, at: 'value' };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { pointer: at, message: `must be ${String(params.comparison)} ${String(params.limit)}, got ${preview(e.data)}`, at: 'value' };
    case 'maxLength':
      return { pointer: at, message: `must be at most ${String(params.limit)} characters long, got ${(e.data as string).length}`, at: 'value' };
    case 'minLength':
      return {
        pointer: at,
        message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`,
        at: 'value',
      };
    case 'minItems':
      return {
        pointer: at,
        message: params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} items`,
        at: 'value',
      };
    case 'pattern': {
      const what = /^\/steps\/\d+\/id$/.test(at) ? 'step id' : 'value';
      return { pointer: at, message: `invalid ${what} ${preview(e.data)} (must match ${String(params.pattern)})`, at: 'value' };
    }
    case 'format':
      return { pointer: at, message: `must be a valid ${String(params.format)}, got ${preview(e.data)}`, at: 'value' };
    default:
      return { pointer: at, message: e.message ?? `fails schema keyword ${e.keyword}`, at: 'value' };
  }
}

/** The schema's `"format": "regex"` (on `vars.*.pattern`), checked with {@link compileVarPattern},
 * the same rule the loader uses when it tests values against the patterns. */
function regexFormatProblems(data: unknown): SchemaProblem[] {
  const vars = (data as { vars?: unknown } | null)?.vars;
  if (typeof vars !== 'object' || vars === null) return [];
  const out: SchemaProblem[] = [];
  for (const [name, decl] of Object.entries(vars)) {
    const pattern = (decl as { pattern?: unknown } | null)?.pattern;
    if (typeof pattern !== 'string') continue;
    const err = compileVarPattern(pattern);
    if (!(err instanceof SyntaxError)) continue;
    const why = err.message.replace(/^Invalid regular expression: /, '');
    out.push({ pointer: `/vars/${escapePointerToken(name)}/pattern`, message: `invalid regular expression: ${why}`, at: 'value' });
  }
  return out;
}

function withArticle(type: string): string {
  // Ajv joins union types with ','.
  return type
    .split(',')
    .map((t) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`))
    .join(' or ');
}

/** Short description of a JSON value for messages: primitives as JSON, containers by kind. */
export function preview(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  // JSON.parse turns a number such as 1e400 into Infinity, which JSON.stringify shows as null.
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a number too large to represent';
  const s = JSON.stringify(v);
  if (s === undefined) return typeof v;
  if (s.length <= 60) return s;
  return typeof v === 'string' ? `${s.slice(0, 56)}..."` : `${s.slice(0, 57)}...`;
}
