import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatePlanTypes } from '../../scripts/gen-types.mjs';

describe('plan types', () => {
  it('are exactly what schemas/plan.schema.json generates (run npm run gen after editing the schema)', async () => {
    const committed = readFileSync(new URL('../../src/schema/plan-file.generated.ts', import.meta.url), 'utf8');
    expect(await generatePlanTypes()).toBe(committed);
  });
});
