// Generates src/schema/plan-file.generated.ts from schemas/plan.schema.json, so the plan
// file's TypeScript types have one source. test/schema/generated-types.test.ts fails when they drift.
import { compileFromFile } from 'json-schema-to-typescript';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export async function generatePlanTypes() {
  return compileFromFile(`${root}schemas/plan.schema.json`, {
    bannerComment:
      '/* Generated from schemas/plan.schema.json by scripts/gen-types.mjs; do not edit. */',
    additionalProperties: false,
    style: { singleQuote: true },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(`${root}src/schema/plan-file.generated.ts`, await generatePlanTypes());
}
