/**
 * Semantic checks the schema cannot express: step ids, dependencies and the DAG, `shell` vs
 * `args`, `${NAME}` references, and NUL characters in what reaches a process. They run on the
 * parsed plan even when schema validation failed, so they take `unknown` input and skip
 * whatever is malformed (the schema check has reported it already) instead of crashing.
 */
import { ancestorClosure, topologicalOrder } from '../graph/dag.js';
import { didYouMean } from './did-you-mean.js';
import { pointer } from './json-source.js';
import type { ProblemList } from './problem-list.js';
import { referencesResolve, substituteVars } from './substitute.js';
import { compileVarPattern } from './var-pattern.js';
import { forEachStepString } from './data-checks.js';
import { BUILTIN_VAR_NAMES } from './vars.js';

/** The dependency graph of a plan's steps, by index into `steps`. */
export interface StepGraph {
  /** Step id → index of the first step with that id. */
  ids: Map<string, number>;
  /** For each step, the indices it depends on: deduplicated, in the order written, without
   * unknown ids or self-references (those are reported). [] for malformed steps. */
  dependsOn: number[][];
  /** Topological order (dependencies first, ties in file order); undefined on a cycle. */
  order: number[] | undefined;
}

/**
 * Checks the `steps` array: duplicate ids (reported at the later step's id), depends_on
 * entries naming unknown steps or the step itself, `shell: true` with non-empty `args`, and a
 * dependency cycle (message `dependency cycle: a -> b -> c -> a`, where each step depends on
 * the next, starting at the cycle's first step in file order; pointer at that step's
 * depends_on entry naming the next one; long cycles are abbreviated). Problems go to `problems` (file `file`).
 * Never throws.
 * @returns the graph, or undefined when `steps` is not an array
 */
export function checkSteps(steps: unknown, file: string, problems: ProblemList): StepGraph | undefined {
  if (!Array.isArray(steps)) return undefined;
  const n = steps.length;
  const ids = new Map<string, number>();
  const stepIds: (string | undefined)[] = new Array<string | undefined>(n);
  for (let i = 0; i < n; i++) {
    const step: unknown = steps[i];
    const id = isObject(step) && typeof step.id === 'string' ? step.id : undefined;
    stepIds[i] = id;
    if (id === undefined) continue;
    const first = ids.get(id);
    if (first === undefined) ids.set(id, i);
    else {
      problems.add({
        file,
        pointer: pointer('steps', i, 'id'),
        message: `duplicate step id ${JSON.stringify(id)} (first used by /steps/${first})`,
      });
    }
  }

  const dependsOn: number[][] = new Array<number[]>(n);
  const seenBy = new Int32Array(n); // seenBy[d] === i + 1: step i already lists d
  for (let i = 0; i < n; i++) {
    const step: unknown = steps[i];
    const deps: number[] = [];
    dependsOn[i] = deps;
    if (!isObject(step)) continue;
    if ((step.shell === true || typeof step.shell === 'string') && Array.isArray(step.args) && step.args.length > 0) {
      problems.add({
        file,
        pointer: pointer('steps', i, 'args'),
        message: 'args must be empty when shell is true (put the arguments in the command line)',
      });
    }
    if (Array.isArray(step.preconditions)) checkPreconditions(step.preconditions, i, file, problems);
    if (Array.isArray(step.retry_on)) checkRetryOn(step.retry_on, i, file, problems);
    if (!Array.isArray(step.depends_on)) continue;
    const list: unknown[] = step.depends_on;
    for (let j = 0; j < list.length; j++) {
      const name = list[j];
      if (typeof name !== 'string') continue;
      const d = ids.get(name);
      if (d === undefined) {
        problems.add({ file, pointer: pointer('steps', i, 'depends_on', j), message: `depends on unknown step ${JSON.stringify(name)}${didYouMean(name, ids.keys())}` });
      } else if (name === stepIds[i]) {
        problems.add({ file, pointer: pointer('steps', i, 'depends_on', j), message: `step ${JSON.stringify(name)} depends on itself` });
      } else if (seenBy[d] !== i + 1) {
        seenBy[d] = i + 1;
        deps.push(d);
      }
    }
  }

  const result = topologicalOrder(n, dependsOn);
  if ('order' in result) {
    checkUndoes(steps, ids, dependsOn, file, problems);
    return { ids, dependsOn, order: result.order };
  }
  const cycle = result.cycle;
  const names = cycle.map((c) => stepIds[c] ?? `#${c}`);
  const from = cycle[0]!;
  const to = stepIds[cycle[1 % cycle.length]!];
  const edge = (steps[from] as { depends_on: unknown[] }).depends_on.indexOf(to);
  problems.add({
    file,
    pointer: pointer('steps', from, 'depends_on', Math.max(edge, 0)),
    message: `dependency cycle: ${cyclePath(names)} (each step depends on the next)`,
  });
  return { ids, dependsOn, order: undefined };
}

/** `exit:N-M` ranges must run upwards (`exit:9-5` would match nothing). */
function checkRetryOn(list: unknown[], i: number, file: string, problems: ProblemList): void {
  list.forEach((entry, j) => {
    const m = typeof entry === 'string' ? /^exit:(\d+)-(\d+)$/.exec(entry) : null;
    if (m && Number(m[1]) > Number(m[2])) {
      problems.add({ file, pointer: pointer('steps', i, 'retry_on', j), message: `exit code range ${m[1]}-${m[2]} is empty: write the lower code first (exit:${m[2]}-${m[1]})` });
    }
  });
}

/**
 * A step cannot hold the mutex its own run holds (`globals.mutex`): it would wait for itself.
 * Compared as written (before substitution).
 */
export function checkMutexes(plan: unknown, file: string, problems: ProblemList): void {
  if (!isObject(plan) || !isObject(plan.globals) || typeof plan.globals.mutex !== 'string' || !Array.isArray(plan.steps)) return;
  const runMutex = plan.globals.mutex;
  plan.steps.forEach((step: unknown, i) => {
    if (isObject(step) && step.mutex === runMutex) {
      problems.add({ file, pointer: pointer('steps', i, 'mutex'), message: `step ${JSON.stringify(step.id)} asks for mutex ${JSON.stringify(runMutex)}, which its run already holds (globals.mutex): it would wait for itself` });
    }
  });
}

/** Each precondition is either a command (with optional args), a value with exactly one
 * test of not_empty / equals / matches / in, or `not` with one precondition; a `matches`
 * without variables must compile. */
function checkPreconditions(list: unknown[], i: number, file: string, problems: ProblemList): void {
  for (let j = 0; j < list.length; j++) checkPrecondition(list[j], pointer('steps', i, 'preconditions', j), file, problems);
}

function checkPrecondition(p: unknown, at: string, file: string, problems: ProblemList): void {
  const tests = ['not_empty', 'equals', 'matches', 'in'] as const;
  if (!isObject(p)) return;
  const given = tests.filter((t) => p[t] !== undefined);
  const kinds = (['command', 'value', 'not'] as const).filter((k) => p[k] !== undefined);
  if (kinds.length > 1) {
    problems.add({ file, pointer: at, message: `a precondition has either ${kinds.map((k) => `"${k}"`).join(' or ')}, not ${kinds.length === 2 ? 'both' : 'several'}` });
  } else if (p.not !== undefined) {
    const extra = Object.keys(p).find((k) => k !== 'not' && k !== 'description');
    if (extra !== undefined) problems.add({ file, pointer: `${at}/${extra}`, message: `"${extra}" goes inside "not" (which holds when the precondition in it does not)` });
    checkPrecondition(p.not, `${at}/not`, file, problems);
  } else if (p.command !== undefined) {
    if (given.length > 0) problems.add({ file, pointer: `${at}/${given[0]}`, message: `"${given[0]}" goes with "value", not with "command"` });
  } else if (p.value !== undefined) {
    if (given.length !== 1) {
      problems.add({ file, pointer: at, message: `a value precondition needs exactly one of not_empty, equals, matches, in${given.length ? ` (got ${given.join(', ')})` : ''}` });
    }
    if (p.args !== undefined) problems.add({ file, pointer: `${at}/args`, message: '"args" goes with "command", not with "value"' });
    if (typeof p.matches === 'string' && !p.matches.includes('${')) {
      const re = compileVarPattern(p.matches);
      if (re instanceof SyntaxError) problems.add({ file, pointer: `${at}/matches`, message: `invalid regular expression: ${re.message.replace(/^Invalid regular expression: /, '')}` });
    }
  } else {
    problems.add({ file, pointer: at, message: 'a precondition needs "command", "value" or "not"' });
  }
}

/**
 * `undoes` (issue 11) belongs on a cleanup step (`trigger_rule: all_done`) and names steps
 * upstream of it: resume reruns them when the cleanup already ran, which only makes sense for
 * steps that end before the cleanup starts.
 */
function checkUndoes(steps: unknown[], ids: ReadonlyMap<string, number>, dependsOn: number[][], file: string, problems: ProblemList): void {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    if (!isObject(step) || !Array.isArray(step.undoes)) continue;
    if (step.trigger_rule !== 'all_done') {
      problems.add({ file, pointer: pointer('steps', i, 'undoes'), message: 'undoes is for cleanup steps: give the step trigger_rule "all_done" too' });
      continue;
    }
    const list: unknown[] = step.undoes;
    let upstream: Uint8Array | undefined;
    for (let j = 0; j < list.length; j++) {
      const name = list[j];
      if (typeof name !== 'string') continue;
      const d = ids.get(name);
      if (d === undefined) {
        problems.add({ file, pointer: pointer('steps', i, 'undoes', j), message: `undoes unknown step ${JSON.stringify(name)}${didYouMean(name, ids.keys())}` });
        continue;
      }
      upstream ??= ancestorClosure(dependsOn[i]!, dependsOn);
      if (!upstream[d]) {
        problems.add({
          file,
          pointer: pointer('steps', i, 'undoes', j),
          message: `step ${JSON.stringify(name)} is not upstream of ${JSON.stringify(step.id)} (undoes names steps it depends on, directly or not)`,
        });
      }
    }
  }
}

/** `a -> b -> c -> a`; a cycle of more than 20 steps shows its first 15 and last 4 steps. */
function cyclePath(names: string[]): string {
  const shown =
    names.length <= 20 ? names : [...names.slice(0, 15), `... (${names.length - 19} more)`, ...names.slice(-4)];
  return [...shown, names[0]].join(' -> ');
}

/**
 * Checks every string that gets `${NAME}` substitution (see {@link forEachSubstitutedString})
 * for references to names not in `known` (declared or built-in) and for malformed `${`. Each
 * offending string is reported once, with the pointer of that string. Never throws.
 */
export function checkReferences(plan: unknown, known: ReadonlySet<string>, file: string, problems: ProblemList): void {
  const values = new Map<string, string>();
  for (const name of known) values.set(name, '');
  const declared = [...known].filter((k) => !(BUILTIN_VAR_NAMES as readonly string[]).includes(k));
  // Only strings with a "${" that does not resolve get a closer look (and a pointer built).
  const hasBadRef = (v: string) => v.includes('${') && !referencesResolve(v, values);
  forEachSubstitutedString(plan, hasBadRef, (text, ptr) => {
    const unknown: string[] = [];
    const malformed: string[] = [];
    const late: string[] = [];
    substituteVars(text, values, (issue) => {
      if (issue.kind === 'unknown') unknown.push(issue.name);
      else if (issue.kind === 'unresolved') late.push(issue.text);
      else malformed.push(issue.text);
    });
    // Steps, matrix and item references are checked by data-checks.ts; outside steps there are none.
    if (late.length > 0 && !ptr.startsWith('/steps/')) {
      problems.add({ file, pointer: ptr, message: `${late[0]} cannot be used here: outputs, matrix values and items exist only in a step's fields` });
    }
    if (unknown.length > 0) {
      const names = [...new Set(unknown)].map((u) => `\${${u}}`).join(', ');
      const hint = declared.length ? `declared: ${declared.slice(0, 20).join(', ')}; ` : '';
      problems.add({
        file,
        pointer: ptr,
        message: `unknown variable ${names} (${hint}built-in: ${BUILTIN_VAR_NAMES.join(', ')})`,
      });
    }
    for (const m of malformed) {
      problems.add({
        file,
        pointer: ptr,
        message: `invalid variable reference ${JSON.stringify(m)}: names must match ^[A-Za-z_][A-Za-z0-9_]*$ (other references: \${steps.ID.outputs.KEY}, \${steps.ID.outputs.KEY:-default}, \${steps.ID.status}, \${matrix.KEY}, \${item}, \${item.FIELD}); write $\${ for a literal \${`,
      });
    }
  });
}

/**
 * Reports every substituted string and every variable default that contains a NUL character
 * (`\u0000` in the file): no command, argument, path or environment value can hold one, so
 * the step could only fail to start. Never throws.
 */
export function checkNulCharacters(plan: unknown, file: string, problems: ProblemList): void {
  const message = 'contains a NUL character (\\u0000), which no command, argument, path or environment value can hold';
  const hasNul = (v: string) => v.includes('\0');
  forEachSubstitutedString(plan, hasNul, (_text, ptr) => problems.add({ file, pointer: ptr, message }));
  const vars = isObject(plan) ? plan.vars : undefined;
  if (!isObject(vars)) return;
  for (const name in vars) {
    const decl = vars[name];
    if (isObject(decl) && typeof decl.default === 'string' && hasNul(decl.default)) {
      problems.add({ file, pointer: pointer('vars', name, 'default'), message });
    }
  }
}

/**
 * Calls `visit` with each string of the plan that gets substitution and for which `wanted`
 * holds, with its JSON pointer: every step string data-checks.ts {@link forEachStepString}
 * lists, `globals.env` values and `globals.working_dir`. Malformed parts (not strings, not arrays) are skipped. `wanted`
 * runs on every string and must be cheap; pointers are built only for wanted strings.
 */
function forEachSubstitutedString(plan: unknown, wanted: (v: string) => boolean, visit: (v: string, ptr: string) => void): void {
  if (!isObject(plan)) return;
  // No rest parameters on the per-string path: this runs for every string of a 100,000-step plan.
  const is = (v: unknown): v is string => typeof v === 'string' && wanted(v);
  const visitMap = (map: unknown, base: (string | number)[]) => {
    if (!isObject(map)) return;
    for (const k in map) {
      const v = map[k];
      if (is(v)) visit(v, pointer(...base, k));
    }
  };


  const globals = plan.globals;
  if (isObject(globals)) {
    if (is(globals.working_dir)) visit(globals.working_dir, '/globals/working_dir');
    if (is(globals.mutex)) visit(globals.mutex, '/globals/mutex');
    visitMap(globals.env, ['globals', 'env']);
  }
  const steps = plan.steps;
  if (!Array.isArray(steps)) return;
  for (let i = 0; i < steps.length; i++) {
    const step: unknown = steps[i];
    if (!isObject(step)) continue;
    forEachStepString(step, i, visit, wanted);
  }
}

/** A non-null, non-array object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
