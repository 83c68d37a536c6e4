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
import { checkMutexes, checkNulCharacters, checkReferences, checkSteps, isObject } from './checks.js';
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
  checkReferences(data, new Set(values.keys()), planLabel, problems);
  const stepsData = isObject(data) ? data.steps : undefined;
  const combos = checkStepKinds(stepsData, planLabel, problems);
  if (graph) checkDataReferences(stepsData, graph, combos, values, planLabel, problems);
  checkMutexes(data, planLabel, problems);
  // A NUL can only be in a parsed string as the escape \u0000: most plans skip the check.
  if (problems.source(planLabel)!.text.includes('\\u0000')) checkNulCharacters(data, planLabel, problems);

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
