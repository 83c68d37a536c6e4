/**
 * `engine run PLAN --dry-run`: the execution order as levels (steps of one level can run
 * together), with each step's command as it would run, secrets masked. Runs nothing and
 * writes no state.
 */
import { planMasker } from '../engine/mask.js';
import { levels } from '../graph/dag.js';
import type { ResolvedPlan } from '../schema/resolved-plan.js';

/** Writes the dry-run report of `plan` to `write`. */
export function printDryRun(plan: ResolvedPlan, write: (text: string) => void): void {
  const mask = planMasker(plan);
  const byLevel = levels(plan.order, plan.steps.map((s) => s.dependsOn));
  const lines = [
    `plan ${plan.planId} ${plan.version}: ${plan.steps.length} steps in ${byLevel.length} levels, max concurrency ${plan.maxConcurrency} (dry run: nothing runs)`,
  ];
  byLevel.forEach((ids, k) => {
    lines.push(`level ${k + 1}: ${ids.map((i) => plan.steps[i]!.id).join(', ')}`);
    for (const i of ids) {
      const s = plan.steps[i]!;
      const cmd = s.shell ? `sh -c ${JSON.stringify(s.command)}` : [s.command, ...s.args.map(quoteArg)].join(' ');
      const notes = [
        s.triggerRule !== 'all_success' ? `trigger_rule ${s.triggerRule}` : '',
        s.onFailure !== 'abort' ? `on_failure ${s.onFailure}` : '',
        s.critical ? '' : 'not critical',
        s.retry.retries > 0 ? `retries ${s.retry.retries}` : '',
        s.preconditions.length > 0 ? `${s.preconditions.length} precondition(s)` : '',
      ].filter(Boolean);
      lines.push(`  ${s.id}: ${mask(cmd)}${notes.length ? `  [${notes.join(', ')}]` : ''}`);
    }
  });
  write(lines.join('\n') + '\n');
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
