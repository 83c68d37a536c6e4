import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatePlanDefaults } from '../../scripts/gen-defaults.mjs';
import { loadPlan } from '../../src/schema/load-plan.js';
import { PLAN_DEFAULTS } from '../../src/schema/plan-defaults.generated.js';
import { workspacesForThisFile, plan } from '../helpers/cli.js';

const workspace = workspacesForThisFile();

describe('plan defaults', () => {
  it('are exactly what the default keywords of schemas/plan.schema.json generate (run npm run gen after editing the schema)', () => {
    const committed = readFileSync(new URL('../../src/schema/plan-defaults.generated.ts', import.meta.url), 'utf8');
    expect(generatePlanDefaults()).toBe(committed);
  });

  it('are what resolution gives a step and globals that leave every field out', () => {
    const ws = workspace();
    const path = ws.writePlan(plan([{ id: 'a', command: 'true' }]));
    const resolved = loadPlan({ path, varArgs: [], runId: 'r', stateDir: ws.stateDir, cwd: ws.dir });
    const step = resolved.steps[0]!;
    const d = PLAN_DEFAULTS.step;
    expect(step).toMatchObject({
      args: d.args,
      shell: d.shell ? ['/bin/sh', '-c'] : null,
      dependsOn: d.depends_on,
      critical: d.critical,
      onFailure: d.on_failure,
      triggerRule: d.trigger_rule,
      successExitCodes: d.success_exit_codes,
      timeoutMs: PLAN_DEFAULTS.globals.default_timeout_sec * 1000,
      retry: { retries: d.retries, delayMs: d.retry_delay_sec * 1000, backoff: d.retry_backoff },
    });
    expect(resolved.killGraceMs).toBe(PLAN_DEFAULTS.globals.kill_grace_sec * 1000);
  });
});
