/**
 * `engine run PLAN --dry-run`: the execution order as levels (steps of one level can run
 * together), with each step's command as it would run and its policy, secrets masked; as text
 * or (`--json`) one JSON object. Runs nothing and writes no state.
 */
import { planMasker } from '../engine/mask.js';
import { levels } from '../graph/dag.js';
import { count, formatDuration } from '../format.js';
import type { ResolvedPlan, ResolvedStep } from '../schema/resolved-plan.js';

/** A step in `run --dry-run --json`: what would run and under which policy. */
export interface DryRunStep {
  id: string;
  name: string;
  depends_on: string[];
  /** The executable, or the interpreter (`/bin/sh`) of a shell step. */
  command: string;
  /** The arguments, or the interpreter's (`-c`, the script line) of a shell step. */
  args: string[];
  /** The script line of a shell step, else null. */
  script: string | null;
  cwd: string;
  /** `command`, `plan`, `matrix` (its instances are steps of their own) or `for_each` (expanded at run time). */
  kind: ResolvedStep['kind'];
  /** An instance's matrix step, else null. */
  instance_of: string | null;
  /** A for_each step's item list as written, else null. */
  for_each: string | null;
  /** A plan step's child plan (absolute path) and the values it gives, else null. */
  plan: { path: string; vars: Record<string, string> } | null;
  policy: {
    timeout_sec: number;
    idle_timeout_sec: number | null;
    deadline_sec: number | null;
    retries: number;
    retry_delay_sec: number;
    retry_backoff: number;
    retry_max_delay_sec: number;
    retry_jitter: 'none' | 'full';
    kill_signal: string;
    kill_grace_sec: number;
    on_failure: ResolvedStep['onFailure'];
    critical: boolean;
    trigger_rule: ResolvedStep['triggerRule'];
    mutex: string | null;
    preconditions: number;
  };
}

export interface DryRunJson {
  plan_id: string;
  version: string;
  max_concurrency: number;
  steps: number;
  /** Each level: the steps that can run together once the levels before it are done. */
  levels: { level: number; steps: DryRunStep[] }[];
}

/** Writes the dry-run report of `plan` to `write`. */
export function printDryRun(plan: ResolvedPlan, write: (text: string) => void): void {
  const mask = planMasker(plan);
  const byLevel = levels(plan.order, plan.steps.map((s) => s.dependsOn));
  const lines = [
    `plan ${plan.planId} ${plan.version}: ${count(plan.steps.length, 'step')} in ${count(byLevel.length, 'level')}, max concurrency ${plan.maxConcurrency} (dry run: nothing runs)`,
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
      const notes = (s.kind === 'matrix' ? fanOutNotes(s) : policyNotes(s, plan.killGraceMs)).map(mask);
      lines.push(`  ${s.id}: ${mask(stepAction(plan, s))}${notes.length ? `  [${notes.join(', ')}]` : ''}`);
    }
  });
  write(lines.join('\n') + '\n');
}

/**
 * What a step does, in one line: its command line; for a plan step the plan it runs and the
 * values it gives; for a matrix step its instances; for a for_each step what it expands over
 * (at run time) and what each instance runs.
 */
export function stepAction(plan: Pick<ResolvedPlan, 'steps'>, s: ResolvedStep): string {
  const commandLine = (x: ResolvedStep): string =>
    x.kind === 'plan' && x.subPlan
      ? `runs plan ${x.subPlan.path}${Object.keys(x.subPlan.vars).length ? ` with ${Object.entries(x.subPlan.vars).map(([k, v]) => `${k}=${quoteArg(v)}`).join(' ')}` : ''}`
      : x.shell
        ? `${x.shell.join(' ')} ${JSON.stringify(x.command)}`
        : [x.command, ...x.args.map(quoteArg)].join(' ');
  switch (s.kind) {
    case 'matrix':
      return `matrix of ${count(s.dependsOn.length, 'instance')} (${s.dependsOn.map((d) => plan.steps[d]!.id).slice(0, 4).join(', ')}${s.dependsOn.length > 4 ? ', …' : ''})`;
    case 'for_each':
      return `for_each over ${s.forEach}: expands at run time into one instance per item, each: ${commandLine(s)}`;
    default:
      return commandLine(s);
  }
}

/** A matrix or for_each step's fan-out policy. */
function fanOutNotes(s: ResolvedStep): string[] {
  const f = s.fanOut;
  if (!f) return [];
  const t = 'count' in f.tolerated ? f.tolerated.count : `${f.tolerated.percent}%`;
  return [
    f.maxParallel !== null ? `max_parallel ${f.maxParallel}` : '',
    t !== 0 ? `tolerated_failures ${t}` : '',
    f.failFast ? 'fail_fast' : '',
    s.onFailure !== 'abort' ? `on_failure ${s.onFailure}` : '',
    s.critical ? '' : 'not critical',
  ].filter(Boolean);
}

/** A step's policy where it differs from the defaults, in the plan's own words. */
function policyNotes(s: ResolvedStep, planGraceMs: number): string[] {
  if (s.kind === 'plan') return [s.triggerRule !== 'all_success' ? `trigger_rule ${s.triggerRule}` : '', s.instanceOf !== null ? '' : s.onFailure !== 'abort' ? `on_failure ${s.onFailure}` : '', s.instanceOf !== null || s.critical ? '' : 'not critical'].filter(Boolean);
  const r = s.retry;
  const retryOn = r.on === null ? '' : ` on ${r.on.map((m) => (m.kind === 'reason' ? m.reason : m.from === 0 && m.to === 255 ? 'exit:*' : m.from === m.to ? `exit:${m.from}` : `exit:${m.from}-${m.to}`)).join('|')}`;
  return [
    // A for_each step's fan-out notes say its on_failure and critical already.
    s.kind === 'for_each' ? fanOutNotes(s).join(', ') : '',
    s.triggerRule !== 'all_success' ? `trigger_rule ${s.triggerRule}` : '',
    // An instance's own failure only counts towards its matrix's tolerance (not a policy of its own).
    s.kind !== 'for_each' && s.instanceOf === null && s.onFailure !== 'abort' ? `on_failure ${s.onFailure}` : '',
    s.kind === 'for_each' || s.instanceOf !== null || s.critical ? '' : 'not critical',
    `timeout ${formatDuration(s.timeoutMs)}`,
    s.idleTimeoutMs !== null ? `idle timeout ${formatDuration(s.idleTimeoutMs)}` : '',
    r.deadlineMs !== null ? `deadline ${formatDuration(r.deadlineMs)}` : '',
    r.retries > 0
      ? `retries ${r.retries}${retryOn}, delay ${formatDuration(r.delayMs)}${r.backoff !== 1 ? ` ×${r.backoff}` : ''}${r.jitter === 'full' ? ' with full jitter' : ''}`
      : '',
    s.killSignal !== 'SIGTERM' || s.killGraceMs !== planGraceMs ? `stop with ${s.killSignal}, SIGKILL after ${formatDuration(s.killGraceMs)}` : '',
    s.mutex !== null ? `mutex "${s.mutex}"` : '',
    s.sources !== null ? `skipped when up to date (${s.sources.length} source glob${s.sources.length === 1 ? '' : 's'})` : '',
    s.preconditions.length > 0 ? count(s.preconditions.length, 'precondition') : '',
  ].filter(Boolean);
}

/** The dry run as one JSON object (`run --dry-run --json`). */
export function dryRunJson(plan: ResolvedPlan): DryRunJson {
  const mask = planMasker(plan);
  const byLevel = levels(plan.order, plan.steps.map((s) => s.dependsOn));
  const sec = (ms: number | null): number | null => (ms === null ? null : ms / 1000);
  const step = (s: ResolvedStep): DryRunStep => ({
    id: s.id,
    name: s.name,
    depends_on: s.dependsOn.map((d) => plan.steps[d]!.id),
    command: s.shell ? s.shell[0]! : mask(s.command),
    args: s.shell ? [...s.shell.slice(1), mask(s.command)] : s.args.map(mask),
    script: s.shell ? mask(s.command) : null,
    cwd: mask(s.cwd),
    kind: s.kind,
    instance_of: s.instanceOf === null ? null : plan.steps[s.instanceOf]!.id,
    for_each: s.forEach === null ? null : mask(s.forEach),
    plan: s.subPlan === null ? null : { path: s.subPlan.path, vars: Object.fromEntries(Object.entries(s.subPlan.vars).map(([k, v]) => [k, mask(v)])) },
    policy: {
      timeout_sec: s.timeoutMs / 1000,
      idle_timeout_sec: sec(s.idleTimeoutMs),
      deadline_sec: sec(s.retry.deadlineMs),
      retries: s.retry.retries,
      retry_delay_sec: s.retry.delayMs / 1000,
      retry_backoff: s.retry.backoff,
      retry_max_delay_sec: s.retry.maxDelayMs / 1000,
      retry_jitter: s.retry.jitter,
      kill_signal: s.killSignal,
      kill_grace_sec: s.killGraceMs / 1000,
      on_failure: s.onFailure,
      critical: s.critical,
      trigger_rule: s.triggerRule,
      mutex: s.mutex === null ? null : mask(s.mutex),
      preconditions: s.preconditions.length,
    },
  });
  return {
    plan_id: plan.planId,
    version: plan.version,
    max_concurrency: plan.maxConcurrency,
    steps: plan.steps.length,
    levels: byLevel.map((ids, k) => ({ level: k + 1, steps: ids.map((i) => step(plan.steps[i]!)) })),
  };
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
