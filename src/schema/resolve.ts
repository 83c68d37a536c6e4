/**
 * Builds the {@link ResolvedPlan} from a plan that passed every check: defaults applied (from
 * the schema's `default` keywords, plan-defaults.generated.ts), seconds turned into ms,
 * variables substituted, paths made absolute, and static matrices expanded into their
 * instances (issue 13). Fields that reference outputs or a `for_each` item are substituted
 * later, when the step becomes ready (bind-step.ts, with {@link resolveStepFields}).
 */
import os from 'node:os';
import path from 'node:path';
import type { Plan, Step } from './plan-file.generated.js';
import type { Precondition as PlanPrecondition } from './plan-file.generated.js';
import type { FanOut, ForEachItem, Precondition, ResolvedPlan, ResolvedStep, ResolveScope, RetryMatch } from './resolved-plan.js';
import type { StepGraph } from './checks.js';
import { instanceIds } from './instance-id.js';
import { matrixCombinations } from './matrix.js';
import { PLAN_DEFAULTS } from './plan-defaults.generated.js';
import { hasLateReference, substitute, substituteVars, varValue, type Resolver } from './substitute.js';
import { compileVarPattern } from './var-pattern.js';

const STEP = PLAN_DEFAULTS.step;

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
  const scope: ResolveScope = {
    vars,
    baseDir: g.working_dir === undefined ? ctx.cwd : path.resolve(ctx.cwd, sub(g.working_dir)),
    globalEnv: substituteMap(g.env, sub),
    defaultTimeoutSec: g.default_timeout_sec ?? PLAN_DEFAULTS.globals.default_timeout_sec,
    killGraceSec: g.kill_grace_sec ?? PLAN_DEFAULTS.globals.kill_grace_sec,
  };
  const planDir = path.dirname(ctx.path);

  // Plan step p becomes resolved step at[p]: itself, or (a matrix) the step that stands for
  // its instances, which come right before it.
  const n = plan.steps.length;
  const at = new Array<number>(n);
  const combos = new Array<Record<string, string>[] | null>(n).fill(null);
  let total = 0;
  for (let p = 0; p < n; p++) {
    const m = plan.steps[p]!.matrix;
    if (m !== undefined) {
      const r = matrixCombinations(m);
      if ('problem' in r) throw new Error(`resolvePlan: ${r.problem}`);
      combos[p] = r.combinations.map((c) => substituteMap(c, sub));
      total += combos[p]!.length;
    }
    at[p] = total++;
  }

  const steps: ResolvedStep[] = new Array<ResolvedStep>(total);
  for (let p = 0; p < n; p++) {
    const s = plan.steps[p]!;
    const dependsOn = ctx.graph.dependsOn[p]!.map((d) => at[d]!);
    const undoes = s.undoes === undefined ? null : s.undoes.map((id) => at[ctx.graph.ids.get(id)!]!);
    const combinations = combos[p];
    if (combinations === null) {
      const kind = s.for_each !== undefined ? 'for_each' : s.plan !== undefined ? 'plan' : 'command';
      steps[at[p]!] = buildStep(s, { index: at[p]!, planIndex: p, kind, id: s.id, name: s.name ?? s.id, dependsOn, undoes, instanceOf: null, matrix: null, item: null }, scope, planDir);
      continue;
    }
    const first = at[p]! - combinations.length;
    const ids = instanceIds(s.id, combinations);
    const members: number[] = [];
    combinations.forEach((combo, k) => {
      const index = first + k;
      members.push(index);
      const id = ids[k]!;
      steps[index] = buildStep(
        s,
        { index, planIndex: p, kind: s.plan !== undefined ? 'plan' : 'command', id, name: (s.name ?? s.id) + id.slice(s.id.length), dependsOn, undoes, instanceOf: at[p]!, matrix: combo, item: null },
        scope,
        planDir,
      );
    });
    steps[at[p]!] = groupStep(s, at[p]!, p, members);
  }

  const order: number[] = [];
  for (const p of ctx.graph.order) {
    const c = combos[p];
    if (c !== null) for (let k = c.length; k > 0; k--) order.push(at[p]! - k);
    order.push(at[p]!);
  }

  return {
    planId: plan.plan_id,
    version: plan.version,
    description: plan.description,
    metadata: (plan.metadata ?? {}) as Record<string, unknown>,
    path: ctx.path,
    sha256: ctx.sha256,
    dir: planDir,
    maxConcurrency: ctx.maxConcurrency ?? g.max_concurrency ?? os.availableParallelism(),
    killGraceMs: secondsToMs(scope.killGraceSec, false),
    timeoutMs: g.timeout_sec === undefined ? null : secondsToMs(g.timeout_sec, true),
    failFast: g.fail_fast ?? PLAN_DEFAULTS.globals.fail_fast,
    mutex: g.mutex === undefined ? null : { name: sub(g.mutex), onBusy: g.on_mutex_busy ?? PLAN_DEFAULTS.globals.on_mutex_busy },
    vars: Object.fromEntries(vars),
    secretNames: [...ctx.secretNames],
    steps,
    order,
    scope,
  };
}

/** Who a resolved step is, as opposed to what its fields say. */
export interface StepIdentity {
  index: number;
  planIndex: number;
  kind: 'command' | 'plan' | 'for_each';
  id: string;
  name: string;
  dependsOn: number[];
  undoes: number[] | null;
  instanceOf: number | null;
  matrix: Record<string, string> | null;
  item: ForEachItem | null;
}

/**
 * A command, plan or for_each step (or an instance): fields substituted with what is known
 * now. One that references outputs or an item keeps its source for bind-step.ts.
 */
export function buildStep(s: Step, who: StepIdentity, scope: ResolveScope, planDir: string): ResolvedStep {
  const late = who.kind === 'for_each' || who.item !== null || isLate(s, who.matrix);
  const resolver: Resolver = (ref) => {
    if (ref.kind === 'matrix') return who.matrix?.[ref.key];
    // In a for_each step ${item} is the item (bound later), never a variable.
    if (ref.kind === 'item' && (who.kind === 'for_each' || who.item !== null)) return undefined;
    return varValue(ref, scope.vars);
  };
  return resolveStepFields(s, who, scope, planDir, (text) => substitute(text, resolver), late ? { source: s, matrix: who.matrix, item: who.item } : null);
}

/** True when a field of `s` (or a matrix value it uses) references outputs, statuses or an item. */
function isLate(s: Step, matrix: Record<string, string> | null): boolean {
  if (matrix !== null && Object.values(matrix).some(hasLateReference)) return true;
  const texts: string[] = [];
  if (s.command !== undefined) texts.push(s.command);
  if (s.cwd !== undefined) texts.push(s.cwd);
  if (s.mutex !== undefined) texts.push(s.mutex);
  if (s.args) texts.push(...s.args);
  if (s.env) texts.push(...Object.values(s.env));
  if (s.vars) texts.push(...Object.values(s.vars));
  if (s.sources) texts.push(...s.sources);
  if (s.generates) texts.push(...s.generates);
  if (s.preconditions) for (const p of s.preconditions) preconditionTexts(p, texts);
  return texts.some((t) => t.includes('${steps.') || t.includes('${item'));
}

function preconditionTexts(p: PlanPrecondition, out: string[]): void {
  for (const v of [p.command, p.value, p.equals, p.matches]) if (v !== undefined) out.push(v);
  if (p.args) out.push(...p.args);
  if (p.in) out.push(...p.in);
  if (p.not) preconditionTexts(p.not, out);
}

/**
 * Every field of a step from its plan entry `s`, with `sub` substituting text: at resolve
 * time (variables and matrix values) and again by bind-step.ts when the step becomes ready
 * (outputs, statuses, items too).
 */
export function resolveStepFields(
  s: Step,
  who: StepIdentity,
  scope: ResolveScope,
  planDir: string,
  sub: (text: string) => string,
  late: ResolvedStep['late'],
): ResolvedStep {
  const stepEnv = s.env === undefined ? undefined : substituteMap(s.env, sub);
  const globalEnvEmpty = Object.keys(scope.globalEnv).length === 0;
  const env = stepEnv === undefined ? { ...scope.globalEnv } : globalEnvEmpty ? stepEnv : { ...scope.globalEnv, ...stepEnv };
  return {
    id: who.id,
    index: who.index,
    kind: who.kind,
    planIndex: who.planIndex,
    instanceOf: who.instanceOf,
    fanOut: who.kind === 'for_each' ? fanOutOf(s) : null,
    matrix: who.matrix,
    forEach: who.kind === 'for_each' ? s.for_each! : null,
    late,
    subPlan: s.plan === undefined ? null : { path: path.resolve(planDir, sub(s.plan)), vars: substituteMap(s.vars, sub) },
    secretOutputs: s.secret_outputs ?? [],
    name: who.name,
    command: s.command === undefined ? '' : sub(s.command),
    args: (s.args ?? STEP.args).map(sub),
    shell: shellArgv(s.shell ?? STEP.shell),
    dependsOn: who.dependsOn,
    timeoutMs: secondsToMs(s.timeout_sec ?? scope.defaultTimeoutSec, true),
    idleTimeoutMs: s.idle_timeout_sec === undefined ? null : secondsToMs(s.idle_timeout_sec, true),
    killSignal: s.kill_signal ?? STEP.kill_signal,
    killGraceMs: secondsToMs(s.kill_grace_sec ?? scope.killGraceSec, false),
    retry: {
      retries: s.retries ?? STEP.retries,
      delayMs: secondsToMs(s.retry_delay_sec ?? STEP.retry_delay_sec, false),
      backoff: s.retry_backoff ?? STEP.retry_backoff,
      maxDelayMs: secondsToMs(s.retry_max_delay_sec ?? STEP.retry_max_delay_sec, false),
      on: s.retry_on === undefined ? null : s.retry_on.map(retryMatch),
      jitter: s.retry_jitter ?? STEP.retry_jitter,
      deadlineMs: s.deadline_sec === undefined ? null : secondsToMs(s.deadline_sec, true),
    },
    // An instance's own failure only counts towards its matrix's tolerance: the matrix step
    // carries the step's critical / on_failure for the run.
    critical: who.instanceOf !== null ? false : (s.critical ?? STEP.critical),
    onFailure: who.instanceOf !== null ? 'continue' : (s.on_failure ?? STEP.on_failure),
    triggerRule: s.trigger_rule ?? STEP.trigger_rule,
    cwd: s.cwd === undefined ? scope.baseDir : path.resolve(scope.baseDir, sub(s.cwd)),
    env,
    successExitCodes: [...(s.success_exit_codes ?? STEP.success_exit_codes)],
    preconditions: s.preconditions === undefined ? [] : s.preconditions.map((p) => resolvePrecondition(p, sub)),
    undoes: who.undoes,
    mutex: s.mutex === undefined ? null : sub(s.mutex),
    sources: s.sources === undefined ? null : s.sources.map(sub),
    generates: (s.generates ?? []).map(sub),
  };
}

/** The step that stands for a static matrix's instances (`members`): it runs nothing. */
function groupStep(s: Step, index: number, planIndex: number, members: number[]): ResolvedStep {
  return {
    id: s.id,
    index,
    kind: 'matrix',
    planIndex,
    instanceOf: null,
    fanOut: fanOutOf(s),
    matrix: null,
    forEach: null,
    late: null,
    subPlan: null,
    secretOutputs: [],
    name: s.name ?? s.id,
    command: '',
    args: [],
    shell: null,
    dependsOn: members,
    timeoutMs: 0,
    idleTimeoutMs: null,
    killSignal: 'SIGTERM',
    killGraceMs: 0,
    retry: { retries: 0, delayMs: 0, backoff: 1, maxDelayMs: 0, on: null, jitter: 'none', deadlineMs: null },
    critical: s.critical ?? STEP.critical,
    onFailure: s.on_failure ?? STEP.on_failure,
    triggerRule: 'all_done',
    cwd: '',
    env: {},
    successExitCodes: [],
    preconditions: [],
    undoes: null,
    mutex: null,
    sources: null,
    generates: [],
  };
}

/** `max_parallel`, `tolerated_failures` and `fail_fast` of a matrix or for_each step. */
export function fanOutOf(s: Step): FanOut {
  const t = s.tolerated_failures ?? STEP.tolerated_failures;
  return {
    maxParallel: s.max_parallel ?? null,
    tolerated: typeof t === 'number' ? { count: t } : { percent: Number(t.slice(0, -1)) },
    failFast: s.fail_fast ?? STEP.fail_fast,
  };
}

/** How many of `total` instances may fail under `tolerated` (a percentage rounds down). */
export function toleratedCount(tolerated: FanOut['tolerated'], total: number): number {
  return 'count' in tolerated ? tolerated.count : Math.floor((tolerated.percent * total) / 100 + 1e-9);
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

function substituteMap(map: Record<string, string> | undefined, sub: (s: string) => string): Record<string, string> {
  // Object.fromEntries defines own properties, so a key like "__proto__" stays a plain key.
  if (map === undefined) return {};
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, sub(v)]));
}

/** A checked precondition entry, substituted, as the engine evaluates it. */
function resolvePrecondition(p: PlanPrecondition, sub: (s: string) => string): Precondition {
  if (p.not !== undefined) {
    const check = resolvePrecondition(p.not, sub);
    return { kind: 'not', label: p.description ?? `not (${check.label})`, check };
  }
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
  if (p.in !== undefined) {
    return { kind: 'in', label: p.description ?? `${raw} in ${JSON.stringify(p.in)}`, value, allowed: p.in.map(sub) };
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
