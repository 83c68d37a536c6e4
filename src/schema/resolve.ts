/**
 * Builds the {@link ResolvedPlan} from a plan that passed every check: defaults applied (from
 * the schema's `default` keywords, plan-defaults.generated.ts), seconds turned into ms,
 * variables substituted, paths made absolute.
 */
import os from 'node:os';
import path from 'node:path';
import type { Plan } from './plan-file.generated.js';
import type { Precondition as PlanPrecondition } from './plan-file.generated.js';
import type { Precondition, ResolvedPlan, ResolvedStep, RetryMatch } from './resolved-plan.js';
import type { StepGraph } from './checks.js';
import { PLAN_DEFAULTS } from './plan-defaults.generated.js';
import { substituteVars } from './substitute.js';
import { compileVarPattern } from './var-pattern.js';

const STEP = PLAN_DEFAULTS.step;
/** `runs_on` left out: any worker (or the engine's process when the run has no executor). */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** Everything besides the plan that goes into a {@link ResolvedPlan}. */
export interface ResolveContext {
  /** Absolute path of the plan file. */
  path: string;
  /** sha256 (hex) of the plan file's bytes. */
  sha256: string;
  /** Directory relative `globals.working_dir` resolves against (the engine's cwd). */
  cwd: string;
  /** `--max-concurrency`, overriding `globals.max_concurrency`. */
  maxConcurrency: number | undefined;
  /** Every variable's value, built-ins included. */
  vars: ReadonlyMap<string, string>;
  secretNames: string[];
  /** From checkSteps; `order` must be defined. */
  graph: StepGraph;
}

/**
 * Resolves a valid plan. The plan must conform to the schema and have passed the semantic
 * checks (it is trusted, not re-checked); substitution of unknown names leaves them as written.
 * @throws Error if `ctx.graph.order` is undefined (the plan has a cycle)
 */
export function resolvePlan(plan: Plan, ctx: ResolveContext): ResolvedPlan {
  if (!ctx.graph.order) throw new Error('resolvePlan: the plan has a dependency cycle');
  const vars = ctx.vars;
  const sub = (s: string) => substituteVars(s, vars);
  const g = plan.globals ?? {};
  const globalEnv = substituteMap(g.env, vars);
  const baseDir = g.working_dir === undefined ? ctx.cwd : path.resolve(ctx.cwd, sub(g.working_dir));
  const defaultTimeoutSec = g.default_timeout_sec ?? PLAN_DEFAULTS.globals.default_timeout_sec;
  const globalEnvEmpty = Object.keys(globalEnv).length === 0;

  const steps: ResolvedStep[] = new Array<ResolvedStep>(plan.steps.length);
  for (let i = 0; i < plan.steps.length; i++) {
    const s = plan.steps[i]!;
    const stepEnv = s.env === undefined ? undefined : substituteMap(s.env, vars);
    const env = stepEnv === undefined ? { ...globalEnv } : globalEnvEmpty ? stepEnv : { ...globalEnv, ...stepEnv };
    steps[i] = {
      id: s.id,
      index: i,
      name: s.name ?? s.id,
      command: sub(s.command),
      args: (s.args ?? STEP.args).map(sub),
      shell: shellArgv(s.shell ?? STEP.shell),
      dependsOn: ctx.graph.dependsOn[i]!,
      timeoutMs: secondsToMs(s.timeout_sec ?? defaultTimeoutSec, true),
      idleTimeoutMs: s.idle_timeout_sec === undefined ? null : secondsToMs(s.idle_timeout_sec, true),
      killSignal: s.kill_signal ?? STEP.kill_signal,
      killGraceMs: secondsToMs(s.kill_grace_sec ?? g.kill_grace_sec ?? PLAN_DEFAULTS.globals.kill_grace_sec, false),
      retry: {
        retries: s.retries ?? STEP.retries,
        delayMs: secondsToMs(s.retry_delay_sec ?? STEP.retry_delay_sec, false),
        backoff: s.retry_backoff ?? STEP.retry_backoff,
        maxDelayMs: secondsToMs(s.retry_max_delay_sec ?? STEP.retry_max_delay_sec, false),
        on: s.retry_on === undefined ? null : s.retry_on.map(retryMatch),
        jitter: s.retry_jitter ?? STEP.retry_jitter,
        deadlineMs: s.deadline_sec === undefined ? null : secondsToMs(s.deadline_sec, true),
      },
      critical: s.critical ?? STEP.critical,
      onFailure: s.on_failure ?? STEP.on_failure,
      triggerRule: s.trigger_rule ?? STEP.trigger_rule,
      cwd: s.cwd === undefined ? baseDir : path.resolve(baseDir, sub(s.cwd)),
      env,
      successExitCodes: [...(s.success_exit_codes ?? STEP.success_exit_codes)],
      preconditions: s.preconditions === undefined ? [] : s.preconditions.map((p) => resolvePrecondition(p, sub)),
      undoes: s.undoes === undefined ? null : s.undoes.map((id) => ctx.graph.ids.get(id)!),
      mutex: s.mutex === undefined ? null : sub(s.mutex),
      sources: s.sources === undefined ? null : s.sources.map(sub),
      generates: (s.generates ?? []).map(sub),
      runsOn: s.runs_on ?? NO_LABELS,
    };
  }

  return {
    planId: plan.plan_id,
    version: plan.version,
    description: plan.description,
    metadata: (plan.metadata ?? {}) as Record<string, unknown>,
    path: ctx.path,
    sha256: ctx.sha256,
    dir: path.dirname(ctx.path),
    maxConcurrency: ctx.maxConcurrency ?? g.max_concurrency ?? os.availableParallelism(),
    killGraceMs: secondsToMs(g.kill_grace_sec ?? PLAN_DEFAULTS.globals.kill_grace_sec, false),
    timeoutMs: g.timeout_sec === undefined ? null : secondsToMs(g.timeout_sec, true),
    failFast: g.fail_fast ?? PLAN_DEFAULTS.globals.fail_fast,
    mutex: g.mutex === undefined ? null : { name: sub(g.mutex), onBusy: g.on_mutex_busy ?? PLAN_DEFAULTS.globals.on_mutex_busy },
    vars: Object.fromEntries(vars),
    secretNames: [...ctx.secretNames],
    executor: g.executor === undefined ? null : { type: g.executor.type, url: g.executor.url === undefined ? null : sub(g.executor.url), queue: g.executor.queue ?? PLAN_DEFAULTS.executor.queue },
    steps,
    order: ctx.graph.order,
  };
}

/**
 * Seconds → whole milliseconds (rounded, so 0.1 s is 100 ms, not 100.00000000000001).
 * With `positive`, a value > 0 never rounds down to 0 ms.
 */
export function secondsToMs(sec: number, positive: boolean): number {
  const ms = Math.round(sec * 1000);
  return positive && sec > 0 && ms === 0 ? 1 : ms;
}

/** The interpreter argv for `shell`: `true` is POSIX sh; a name or path runs that shell with
 * `-e -o pipefail`, so a failing command or pipeline stage fails the step (issue 14). */
function shellArgv(shell: boolean | string): readonly string[] | null {
  if (shell === false) return null;
  if (shell === true) return ['/bin/sh', '-c'];
  return [shell, '-e', '-o', 'pipefail', '-c'];
}

/** A checked `retry_on` entry: `exit:N`, `exit:N-M`, `exit:*` or a failure reason. */
function retryMatch(entry: string): RetryMatch {
  if (!entry.startsWith('exit:')) return { kind: 'reason', reason: entry as Extract<RetryMatch, { kind: 'reason' }>['reason'] };
  const spec = entry.slice(5);
  if (spec === '*') return { kind: 'exit', from: 0, to: 255 };
  const [from, to = from] = spec.split('-').map(Number) as [number, number?];
  return { kind: 'exit', from, to };
}

function substituteMap(map: Record<string, string> | undefined, vars: ReadonlyMap<string, string>): Record<string, string> {
  // Object.fromEntries defines own properties, so a key like "__proto__" stays a plain key.
  if (map === undefined) return {};
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, substituteVars(v, vars)]));
}

/** A checked precondition entry, substituted, as the engine evaluates it. */
function resolvePrecondition(p: PlanPrecondition, sub: (s: string) => string): Precondition {
  if (p.command !== undefined) {
    const command = sub(p.command);
    const args = (p.args ?? []).map(sub);
    return { kind: 'command', label: p.description ?? [command, ...args].join(' '), command, args };
  }
  const value = sub(p.value ?? '');
  const raw = p.value ?? '';
  if (p.equals !== undefined) {
    return { kind: 'equals', label: p.description ?? `${raw} equals ${JSON.stringify(p.equals)}`, value, expected: sub(p.equals) };
  }
  if (p.matches !== undefined) {
    const label = p.description ?? `${raw} matches /${p.matches}/`;
    const pattern = compileVarPattern(sub(p.matches));
    // A pattern built from variables can only be compiled now; an invalid one never holds.
    if (pattern instanceof SyntaxError) return { kind: 'matches', label: `${label} (invalid regular expression)`, value, pattern: /(?!)/ };
    return { kind: 'matches', label, value, pattern };
  }
  return { kind: 'not_empty', label: p.description ?? `${raw} is not empty`, value };
}
