/**
 * schemas/event.schema.json for tests: the schema as parsed JSON, its validator compiled with
 * Ajv, and the event types it lists.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/** Absolute path of schemas/event.schema.json. */
export const EVENT_SCHEMA_PATH = fileURLToPath(new URL('../../schemas/event.schema.json', import.meta.url));

/** A JSON Schema object as parsed JSON: any keywords, and `$defs` by name. */
export interface JsonSchema {
  [key: string]: unknown;
  $defs: Record<string, JsonSchema>;
}

/** The event schema, read and parsed afresh (callers may mutate their copy). */
export function eventSchema(): JsonSchema {
  return JSON.parse(readFileSync(EVENT_SCHEMA_PATH, 'utf8')) as JsonSchema;
}

/**
 * The event validator: Ajv 2020-12, strict, all errors, with the `discriminator` keyword on.
 * @returns the compiled function: true for a valid event, its `errors` set otherwise.
 */
export function eventValidator(): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true, discriminator: true });
  return ajv.compile(eventSchema());
}

/** Event types listed by the schema's oneOf (its `#/$defs/<type>` references), in schema order. */
export function schemaEventTypes(schema: JsonSchema = eventSchema()): string[] {
  return (schema.oneOf as { $ref: string }[]).map((r) => r.$ref.replace('#/$defs/', ''));
}
