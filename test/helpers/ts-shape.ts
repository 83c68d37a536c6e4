/**
 * Reduces the TypeScript declaration of `EngineEvent` (src/engine/events.ts, read with the
 * TypeScript compiler API) and the JSON Schema of events (schemas/event.schema.json) to the
 * same textual "shape" per event type, so a test can compare them: property names, which are
 * required, and value types down to string literal unions. Refinements only the schema can
 * express (patterns, minimums, integer vs number, numeric enums) are reduced to `number` /
 * `string`.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { JsonSchema } from './event-schema.js';

/** Absolute path of src/engine/events.ts, where `EngineEvent` is declared. */
export const EVENTS_TS = fileURLToPath(new URL('../../src/engine/events.ts', import.meta.url));

/** Shape of every member of the `EngineEvent` union in `file`: a map from its `type` literal to its shape text. */
export function tsEventShapes(file = EVENTS_TS): Map<string, string> {
  const program = ts.createProgram([file], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`cannot read ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  const union = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === 'EngineEvent');
  if (!union) throw new Error('EngineEvent is not exported');
  const type = checker.getDeclaredTypeOfSymbol(union);
  const members = type.isUnion() ? type.types : [type];
  const out = new Map<string, string>();
  for (const member of members) {
    const tag = checker.getTypeOfSymbol(member.getProperty('type')!);
    if (!tag.isStringLiteral()) throw new Error(`an EngineEvent member has a non-literal type: ${checker.typeToString(member)}`);
    out.set(tag.value, describeTs(checker, member));
  }
  return out;
}

function describeTs(checker: ts.TypeChecker, t: ts.Type): string {
  if (t.flags & ts.TypeFlags.Null) return 'null';
  if (t.flags & ts.TypeFlags.Undefined) return 'undefined';
  if (t.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return 'boolean';
  if (t.flags & ts.TypeFlags.String) return 'string';
  if (t.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return 'number';
  if (t.isStringLiteral()) return JSON.stringify(t.value);
  if (t.isUnion()) return union(t.types.map((m) => describeTs(checker, m)));
  if (checker.isArrayType(t)) return `array<${describeTs(checker, checker.getTypeArguments(t as ts.TypeReference)[0]!)}>`;
  if (t.flags & ts.TypeFlags.Object) {
    const props = checker.getPropertiesOfType(t);
    const index = checker.getIndexInfoOfType(t, ts.IndexKind.String);
    if (props.length === 0 && index) return `record<${describeTs(checker, index.type)}>`;
    return object(
      props.map((p) => {
        const optional = (p.flags & ts.SymbolFlags.Optional) !== 0;
        return [p.name + (optional ? '?' : ''), describeTs(checker, checker.getTypeOfSymbol(p))];
      }),
    );
  }
  throw new Error(`unsupported TypeScript type in events.ts: ${checker.typeToString(t)}`);
}

/** Shape of every event type in the schema's `oneOf`: a map from its `type` const to its shape text. */
export function schemaEventShapes(schema: JsonSchema): Map<string, string> {
  const out = new Map<string, string>();
  for (const branch of schema.oneOf as JsonSchema[]) {
    const resolved = resolve(schema, branch);
    const tag = ((resolved.properties as Record<string, { const: string }>).type!).const;
    out.set(tag, describeSchema(schema, resolved));
  }
  return out;
}

function resolve(root: JsonSchema, s: JsonSchema): JsonSchema {
  if (typeof s.$ref !== 'string') return s;
  const name = s.$ref.replace(/^#\/\$defs\//, '');
  const target = root.$defs[name];
  if (!target) throw new Error(`unresolved $ref ${s.$ref}`);
  return resolve(root, target);
}

function describeSchema(root: JsonSchema, raw: JsonSchema): string {
  const s = resolve(root, raw);
  const alternatives = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (alternatives) return union(alternatives.map((a) => describeSchema(root, a)));
  if ('const' in s) return literal(s.const);
  if (Array.isArray(s.enum)) return union(s.enum.map(literal));
  const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
  return union(
    types.map((t) => {
      switch (t) {
        case 'string':
        case 'boolean':
        case 'null':
          return t;
        case 'integer':
        case 'number':
          return 'number';
        case 'array':
          return `array<${describeSchema(root, s.items as JsonSchema)}>`;
        case 'object': {
          const props = (s.properties ?? {}) as Record<string, JsonSchema>;
          const names = Object.keys(props);
          if (names.length === 0 && typeof s.additionalProperties === 'object') {
            return `record<${describeSchema(root, s.additionalProperties as JsonSchema)}>`;
          }
          if (s.additionalProperties !== false) return 'object(open: additionalProperties is not false)';
          const required = new Set((s.required ?? []) as string[]);
          return object(names.map((n) => [n + (required.has(n) ? '' : '?'), describeSchema(root, props[n]!)]));
        }
        default:
          throw new Error(`unsupported schema: ${JSON.stringify(s)}`);
      }
    }),
  );
}

function literal(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  return JSON.stringify(v);
}

function union(parts: string[]): string {
  // An optional property's type includes undefined; the `?` on its name says so already.
  const unique = [...new Set(parts)].filter((p) => p !== 'undefined').sort();
  return unique.length === 1 ? unique[0]! : unique.join(' | ');
}

function object(entries: [string, string][]): string {
  return `{ ${entries
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join('; ')} }`;
}
