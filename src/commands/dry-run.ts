/**
 * `engine run PLAN --dry-run`: the execution order as levels (steps of one level can run
 * together), with each step's command as it would run, secrets masked. Runs nothing and
 * writes no state.
 */
import { planMasker } from '../engine/mask.js';
import { levels } from '../graph/dag.js';
import { formatDuration } from '../format.js';
import type { ResolvedPlan, ResolvedStep } from '../schema/resolved-plan.js';

/** Writes the dry-run report of `plan` to `write`. */
export function printDryRun(plan: ResolvedPlan, write: (text: string) => void): void {
  const mask = planMasker(plan);
  const byLevel = levels(plan.order, plan.steps.map((s) => s.dependsOn));
  const lines = [
    `plan ${plan.planId} ${plan.version}: ${plan.steps.length} steps in ${byLevel.length} levels, max concurrency ${plan.maxConcurrency} (dry run: nothing runs)`,
  ];
  const runPolicy = [
    plan.timeoutMs !== null ? `run timeout ${formatDuration(plan.timeoutMs)}` : '',
    plan.failFast ? 'fail_fast' : '',
    plan.mutex ? `run mutex "${mask(plan.mutex.name)}" (on_mutex_busy ${plan.mutex.onBusy})` : '',
  ].filter(Boolean);
  if (runPolicy.length > 0) lines.push(`run: ${runPolicy.join(', ')}`);
  byLevel.forEach((ids, k) => {
    lines.push(`level ${k + 1}: ${ids.map((i) => plan.steps[i]!.id).join(', ')}`);
    for (const i of ids) {
      const s = plan.steps[i]!;
      const cmd = s.shell ? `${s.shell.join(' ')} ${JSON.stringify(s.command)}` : [s.command, ...s.args.map(quoteArg)].join(' ');
      const notes = policyNotes(s, plan.killGraceMs).map(mask);
      lines.push(`  ${s.id}: ${mask(cmd)}${notes.length ? `  [${notes.join(', ')}]` : ''}`);
    }
  });
  write(lines.join('\n') + '\n');
}

/** A step's policy where it differs from the defaults, in the plan's own words. */
function policyNotes(s: ResolvedStep, planGraceMs: number): string[] {
  const r = s.retry;
  const retryOn = r.on === null ? '' : ` on ${r.on.map((m) => (m.kind === 'reason' ? m.reason : m.from === 0 && m.to === 255 ? 'exit:*' : m.from === m.to ? `exit:${m.from}` : `exit:${m.from}-${m.to}`)).join('|')}`;
  return [
    s.triggerRule !== 'all_success' ? `trigger_rule ${s.triggerRule}` : '',
    s.onFailure !== 'abort' ? `on_failure ${s.onFailure}` : '',
    s.critical ? '' : 'not critical',
    `timeout ${formatDuration(s.timeoutMs)}`,
    s.idleTimeoutMs !== null ? `idle timeout ${formatDuration(s.idleTimeoutMs)}` : '',
    r.deadlineMs !== null ? `deadline ${formatDuration(r.deadlineMs)}` : '',
    r.retries > 0
      ? `retries ${r.retries}${retryOn}, delay ${formatDuration(r.delayMs)}${r.backoff !== 1 ? ` ×${r.backoff}` : ''}${r.jitter === 'full' ? ' with full jitter' : ''}`
      : '',
    s.killSignal !== 'SIGTERM' || s.killGraceMs !== planGraceMs ? `stop with ${s.killSignal}, SIGKILL after ${formatDuration(s.killGraceMs)}` : '',
    s.mutex !== null ? `mutex "${s.mutex}"` : '',
    s.sources !== null ? `skipped when up to date (${s.sources.length} source glob${s.sources.length === 1 ? '' : 's'})` : '',
    s.preconditions.length > 0 ? `${s.preconditions.length} precondition(s)` : '',
  ].filter(Boolean);
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
