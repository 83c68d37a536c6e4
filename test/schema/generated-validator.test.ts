import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatePlanValidator, VALIDATOR_PATH } from '../../scripts/gen-validator.mjs';

describe('plan validator', () => {
  it('is exactly what schemas/plan.schema.json compiles to (run npm run gen after editing the schema)', () => {
    expect(generatePlanValidator()).toBe(readFileSync(VALIDATOR_PATH, 'utf8'));
  });
});
