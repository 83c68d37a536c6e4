/**
 * Turns a plan file plus variables into a {@link ResolvedPlan}, or throws a {@link PlanError}
 * listing every problem found at once.
 *
 * Steps: read the file (sha256 of its bytes; see json-file.ts for what is refused) →
 * `JSON.parse` and a scan for duplicate keys → schema validation (Ajv) →
 * semantic checks on steps and the DAG → variable resolution (`--var`, vars file, defaults,
 * built-ins) → `${NAME}` reference checks (and NUL characters) → resolution. Checks after a failed one still run
 * when they can do so safely; line:column positions are computed only when something is
 * reported.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { checkMutexes, checkNulCharacters, checkReferences, checkSteps, isObject, type StepGraph } from './checks.js';
import { didYouMean } from './did-you-mean.js';
import { pointer } from './json-source.js';
import { matrixCombinations, type MatrixSpec } from './matrix.js';
import { substitute, substituteVars, varValue } from './substitute.js';
import { checkDataReferences, checkStepKinds } from './data-checks.js';
import { readJsonFile } from './json-file.js';
import type { Plan } from './plan-file.generated.js';
import { COMMAND_LINE, ProblemList } from './problem-list.js';
import { PlanError } from './problems.js';
import type { ResolvedPlan } from './resolved-plan.js';
import { resolvePlan } from './resolve.js';
import { validatePlanSchema } from './validate-schema.js';
import { parseVarArgs, resolveVars, varsFromEnvironment } from './vars.js';
import { readVarsFile } from './vars-file.js';

/** Inputs of {@link loadPlan}: the plan file and what the command line gave. */
export interface LoadPlanOptions {
  /** Plan file path as the user gave it; relative paths resolve against `cwd`. */
  path: string;
  /** Raw `--var` arguments, each `KEY=VALUE` (the value may contain `=`). */
  varArgs: string[];
  /** Path of a `--vars-file` (a JSON object of string values), if given; relative paths
   * resolve against `cwd`. */
  varsFile?: string;
  /** Run id, the value of `${RUN_ID}`. */
  runId: string;
  /** Absolute state directory, the value of `${STATE_DIR}`. */
  stateDir: string;
  /** Directory the engine was invoked in; relative `working_dir`/`cwd` resolve against it. */
  cwd: string;
  /** `--max-concurrency` from the command line; overrides `globals.max_concurrency`. */
  maxConcurrency?: number;
  /** The plan file's bytes when the caller has read them already (`engine resume` hashes them
   * first); the file is not read again. */
  bytes?: Buffer;
  /** `engine resume`: the variable values the run recorded (see vars.ts for precedence). */
  recordedVars?: ReadonlyMap<string, string>;
  /** The environment, for `ENGINE_VAR_NAME` values (none when absent). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A plan loaded to be looked at (`validate`, `graph`, `run --dry-run` aside): it may lack required values. */
export interface InspectedPlan {
  plan: ResolvedPlan;
  /** Required variables without a value; their references show as `${NAME}`. */
  unsetVars: string[];
}

/**
 * Loads, validates and resolves a plan. Synchronous.
 *
 * Problems name the file as the user gave it (`opts.path`, `opts.varsFile`, or
 * `<command line>` for `--var`/`--max-concurrency`), a JSON pointer, and the 1-based
 * line:column of the offending value (of the property name for unknown properties); they
 * are ordered by file, then position.
 *
 * @throws PlanError with every problem found (never any other error for bad input)
 */
export function loadPlan(opts: LoadPlanOptions): ResolvedPlan {
  return load(opts, false).plan;
}

/**
 * {@link loadPlan} for `engine validate` and `engine graph`: every check but the one that
 * required variables have a value; those are returned instead.
 * @throws PlanError with every other problem found
 */
export function inspectPlan(opts: LoadPlanOptions): InspectedPlan {
  return load(opts, true);
}

/** The checks after variable resolution, for a plan and for each plan its steps run. */
function checkPlanData(data: unknown, graph: StepGraph | undefined, values: ReadonlyMap<string, string>, label: string, problems: ProblemList): void {
  checkReferences(data, new Set(values.keys()), label, problems);
  const stepsData = isObject(data) ? data.steps : undefined;
  const combos = checkStepKinds(stepsData, label, problems);
  if (graph) checkDataReferences(stepsData, graph, combos, values, label, problems);
  checkMutexes(data, label, problems);
  // A NUL can only be in a parsed string as the escape \u0000: most plans skip the check.
  if (problems.source(label)?.text.includes('\\u0000')) checkNulCharacters(data, label, problems);
}

/** What a parent needs to know of a child plan: the variables it declares. */
interface ChildInfo {
  declared: Record<string, { default?: unknown; required?: unknown }>;
}

/**
 * Loads and checks every plan the steps of `data` run (`"plan": "deploy.json"`, relative to
 * `absPath`'s directory; one per matrix combination when the path uses matrix values), with
 * problems located in the child's own file, and checks each step's `vars` against the child's
 * declarations: every name declared, every required one without a default given. A plan that
 * runs itself, directly or through others, is a cycle. Each child file is read once (`seen`).
 */
function checkChildPlans(
  data: unknown,
  absPath: string,
  file: string,
  values: ReadonlyMap<string, string>,
  ctx: { cwd: string; stateDir: string; runId: string },
  problems: ProblemList,
  chain: readonly string[],
  seen: Map<string, ChildInfo | null>,
): void {
  if (!isObject(data) || !Array.isArray(data.steps)) return;
  const label = (abs: string) => (abs === absPath ? file : path.relative(ctx.cwd, abs) || abs);
  data.steps.forEach((step: unknown, i) => {
    if (!isObject(step) || typeof step.plan !== 'string') return;
    const at = pointer('steps', i, 'plan');
    const raw = step.plan;
    if (raw.includes('${steps.') || raw.includes('${item')) {
      problems.add({ file: label(absPath), pointer: at, message: 'the plan path cannot use outputs or for_each items (it is checked before the run starts); use variables or matrix values' });
      return;
    }
    const m = isObject(step.matrix) ? matrixCombinations(step.matrix as MatrixSpec) : null;
    const combos = m && 'combinations' in m ? m.combinations : [null];
    const paths = new Set(combos.map((c) => substitute(raw, (ref) => (ref.kind === 'matrix' ? (c?.[ref.key] === undefined ? undefined : substituteVars(c[ref.key]!, values)) : varValue(ref, values)))));
    for (const text of paths) {
      if (text.includes('${')) continue; // an unknown reference, reported by the reference checks
      const childAbs = path.resolve(path.dirname(absPath), text);
      if (chain.includes(childAbs)) {
        const cycle = [...chain.slice(chain.indexOf(childAbs)), childAbs].map(label).join(' -> ');
        problems.add({ file: label(absPath), pointer: at, message: `plan cycle: ${cycle} (a plan cannot run itself, directly or through other plans)` });
        continue;
      }
      if (!existsSync(childAbs)) {
        problems.add({ file: label(absPath), pointer: at, message: `plan file not found: ${childAbs}` });
        continue;
      }
      let info = seen.get(childAbs);
      if (info === undefined) {
        info = checkChild(childAbs, label(childAbs), ctx, problems, [...chain, childAbs], seen);
        seen.set(childAbs, info);
      }
      if (info === null) continue;
      checkChildVars(step, i, info, label(absPath), label(childAbs), problems);
    }
  });
}

/** Reads and checks one child plan (and, recursively, its children); null when unreadable. */
function checkChild(
  absPath: string,
  childLabel: string,
  ctx: { cwd: string; stateDir: string; runId: string },
  problems: ProblemList,
  chain: readonly string[],
  seen: Map<string, ChildInfo | null>,
): ChildInfo | null {
  const file = readJsonFile('plan file', childLabel, absPath, problems);
  if (!file) return null;
  const data = file.value;
  for (const p of validatePlanSchema(data)) problems.add({ file: childLabel, ...p });
  const graph = checkSteps(isObject(data) ? data.steps : undefined, childLabel, problems);
  // Values come from the parent step at run time: here only names matter.
  const { values } = resolveVars(
    { planFile: childLabel, declared: isObject(data) ? data.vars : undefined, cli: new Map(), varsFileUnreadable: false, allowUnset: true, builtins: { RUN_ID: ctx.runId, PLAN_DIR: path.dirname(absPath), STATE_DIR: ctx.stateDir } },
    problems,
  );
  checkPlanData(data, graph, values, childLabel, problems);
  checkChildPlans(data, absPath, childLabel, values, ctx, problems, chain, seen);
  const declared = isObject(data) && isObject(data.vars) ? (data.vars as ChildInfo['declared']) : {};
  return { declared };
}

/** A plan step's `vars` name only variables its child declares, and give every required one without a default. */
function checkChildVars(step: Record<string, unknown>, i: number, info: ChildInfo, file: string, childLabel: string, problems: ProblemList): void {
  const given = isObject(step.vars) ? step.vars : {};
  const names = Object.keys(info.declared);
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(info.declared, key)) {
      problems.add({ file, pointer: pointer('steps', i, 'vars', key), at: 'key', message: `${childLabel} declares no variable "${key}"${didYouMean(key, names)} (${names.length ? `declared: ${names.slice(0, 20).join(', ')}` : 'it declares none'})` });
    }
  }
  for (const [name, decl] of Object.entries(info.declared)) {
    const d = isObject(decl) ? decl : {};
    if (d.required === true && d.default === undefined && !Object.hasOwn(given, name)) {
      problems.add({ file, pointer: pointer('steps', i, isObject(step.vars) ? 'vars' : 'plan'), message: `${childLabel} requires variable "${name}": give it in "vars"` });
    }
  }
}

function load(opts: LoadPlanOptions, allowUnset: boolean): InspectedPlan {
  const problems = new ProblemList();
  const planLabel = opts.path;

  const cli = parseVarArgs(opts.varArgs, problems);
  if (opts.maxConcurrency !== undefined && !(Number.isInteger(opts.maxConcurrency) && opts.maxConcurrency >= 1)) {
    problems.add({
      file: COMMAND_LINE,
      pointer: '',
      at: 'none',
      message: `--max-concurrency must be an integer >= 1, got ${String(opts.maxConcurrency)}`,
    });
  }

  const absPath = path.resolve(opts.cwd, opts.path);
  const file = readJsonFile('plan file', planLabel, absPath, problems, opts.bytes);
  // The vars file is read even when the plan is unusable, so that all problems show at once.
  const fileValues = opts.varsFile === undefined ? undefined : readVarsFile(opts.varsFile, opts.cwd, problems);
  if (!file) throw new PlanError(problems.toProblems());
  const data = file.value;

  for (const p of validatePlanSchema(data)) problems.add({ file: planLabel, ...p });
  const graph = checkSteps(isObject(data) ? data.steps : undefined, planLabel, problems);
  const { values, secretNames, unset } = resolveVars(
    {
      planFile: planLabel,
      declared: isObject(data) ? data.vars : undefined,
      cli,
      ...(fileValues && opts.varsFile !== undefined ? { varsFile: { label: opts.varsFile, values: fileValues } } : {}),
      varsFileUnreadable: opts.varsFile !== undefined && fileValues === undefined,
      ...(opts.recordedVars ? { recorded: opts.recordedVars } : {}),
      ...(opts.env ? { env: varsFromEnvironment(opts.env) } : {}),
      allowUnset,
      builtins: { RUN_ID: opts.runId, PLAN_DIR: path.dirname(absPath), STATE_DIR: opts.stateDir },
    },
    problems,
  );
  checkPlanData(data, graph, values, planLabel, problems);
  // Plans that steps run (issue 13): loaded and checked too, each problem in its own file.
  checkChildPlans(data, absPath, planLabel, values, { cwd: opts.cwd, stateDir: opts.stateDir, runId: opts.runId }, problems, [absPath], new Map());

  if (problems.length > 0 || !graph) throw new PlanError(problems.toProblems());
  const plan = resolvePlan(data as Plan, {
    path: absPath,
    sha256: createHash('sha256').update(file.bytes).digest('hex'),
    cwd: opts.cwd,
    maxConcurrency: opts.maxConcurrency,
    vars: values,
    secretNames,
    graph,
  });
  return { plan, unsetVars: unset };
}
