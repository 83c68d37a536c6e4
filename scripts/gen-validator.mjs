// Generates src/schema/plan-validator.generated.js: the plan schema compiled by Ajv ahead of
// time (Ajv's "standalone" code), so the engine never loads Ajv or compiles the schema at run
// time. That saves ~50 ms of start-up and ~15 MB of resident memory, and a smaller engine
// spawns steps faster (fork cost grows with resident memory; see docs/BENCHMARKS.md).
// test/schema/generated-validator.test.ts fails when this file is stale.
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const VALIDATOR_PATH = `${root}src/schema/plan-validator.generated.js`;

export function generatePlanValidator() {
  const schema = JSON.parse(readFileSync(`${root}schemas/plan.schema.json`, 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true, code: { source: true, esm: true } });
  // Regular expressions are checked by the loader (src/schema/checks.ts), with its own message.
  ajv.addFormat('regex', true);
  // `tsType` tells scripts/gen-types.mjs the TypeScript type of a property it cannot express.
  ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
  // Ajv's ESM output still require()s its small runtime helpers: turn those into imports
  // (with the file extension Node's ESM loader needs).
  const imports = [];
  const code = standaloneCode
    .default(ajv, ajv.compile(schema))
    .replace(/require\("(ajv\/dist\/runtime\/[a-z0-9]+)"\)/g, (_, mod) => {
      const name = `runtime${imports.length}`;
      imports.push(`import ${name} from "${mod}.js";`);
      return `cjs(${name})`;
    });
  // A CommonJS module's default import is its module.exports under Node, but may already be
  // its `default` export under bundlers (vitest): accept both.
  const cjs = 'const cjs = (m) => (typeof m === "function" ? { default: m } : m);';
  return `// Generated from schemas/plan.schema.json by scripts/gen-validator.mjs; do not edit.\n// @ts-nocheck\n${imports.join('\n')}\n${cjs}\n${code}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(VALIDATOR_PATH, generatePlanValidator());
}
