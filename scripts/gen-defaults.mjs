// Generates src/schema/plan-defaults.generated.ts from the `default` keywords of
// schemas/plan.schema.json, so a default is written once (in the schema, where editors show
// it) and resolution (src/schema/resolve.ts) uses the same value.
// test/schema/generated-defaults.test.ts fails when they drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `$defs` whose properties' defaults are generated, and the name each gets. */
const DEFS = { Globals: 'globals', Executor: 'executor', Step: 'step', VarDecl: 'var' };

export function generatePlanDefaults() {
  const schema = JSON.parse(readFileSync(`${root}schemas/plan.schema.json`, 'utf8'));
  const lines = [
    '/* Generated from schemas/plan.schema.json by scripts/gen-defaults.mjs; do not edit. */',
    '',
    '/** The `default` of every plan property that has one, by where it appears. */',
    'export const PLAN_DEFAULTS = {',
  ];
  for (const [def, name] of Object.entries(DEFS)) {
    lines.push(`  ${name}: {`);
    for (const [prop, spec] of Object.entries(schema.$defs[def].properties)) {
      if (typeof spec === 'object' && spec !== null && 'default' in spec) {
        lines.push(`    ${prop}: ${JSON.stringify(spec.default)},`);
      }
    }
    lines.push('  },');
  }
  lines.push('} as const;', '');
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(`${root}src/schema/plan-defaults.generated.ts`, generatePlanDefaults());
}
