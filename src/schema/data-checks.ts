/**
 * Semantic checks of data between steps and fan-out (issue 13), on the parsed plan (possibly
 * malformed: whatever the schema check reported is skipped, never a crash):
 * - what a step is: exactly one of `command` / `plan`; `matrix` or `for_each`, not both; the
 *   fields that only mean something with one of them (`max_parallel`, `tolerated_failures`,
 *   `fail_fast` need a fan-out; `vars` needs `plan`; a plan step takes no process fields);
 * - a matrix has at least one combination, at most 10,000, and `exclude` names its axes;
 * - `${steps.ID.…}` names a step upstream of the referencing one (through depends_on; never
 *   itself), an instance of a matrix that exists; `${matrix.KEY}` is in every combination of
 *   the step's matrix; `${item}` is only used by a for_each step.
 */
import { pointer } from './json-source.js';
import type { ProblemList } from './problem-list.js';
import type { StepGraph } from './checks.js';
import { instanceBase, instanceIds } from './instance-id.js';
import { matrixCombinations, type MatrixSpec } from './matrix.js';
import { forEachReference, substituteVars } from './substitute.js';

/** Fields that mean nothing on a step that runs another plan (it starts no process). */
const PROCESS_FIELDS = [
  'args',
  'shell',
  'cwd',
  'env',
  'success_exit_codes',
  'timeout_sec',
  'idle_timeout_sec',
  'kill_signal',
  'kill_grace_sec',
  'retries',
  'retry_delay_sec',
  'retry_backoff',
  'retry_max_delay_sec',
  'retry_on',
  'retry_jitter',
  'deadline_sec',
  'sources',
  'generates',
  'secret_outputs',
] as const;

/**
 * Checks what each step is and its fan-out (see the file comment).
 * @returns each matrix step's combinations by plan index (values as written), for the reference check
 */
export function checkStepKinds(steps: unknown, file: string, problems: ProblemList): Map<number, Record<string, string>[]> {
  const combos = new Map<number, Record<string, string>[]>();
  if (!Array.isArray(steps)) return combos;
  steps.forEach((step: unknown, i) => {
    if (!isObject(step)) return;
    const at = (...rest: (string | number)[]) => pointer('steps', i, ...rest);
    const hasCommand = step.command !== undefined;
    const hasPlan = step.plan !== undefined;
    if (hasCommand && hasPlan) problems.add({ file, pointer: at('plan'), message: 'a step has either "command" (a program to run) or "plan" (another plan to run), not both' });
    else if (!hasCommand && !hasPlan) problems.add({ file, pointer: at(), message: 'a step needs "command" (a program to run) or "plan" (another plan to run)' });
    if (hasPlan) {
      for (const f of PROCESS_FIELDS) {
        if (step[f] !== undefined) problems.add({ file, pointer: at(f), message: `"${f}" does not apply to a step that runs a plan (it starts no process of its own)${f === 'timeout_sec' ? '; set globals.timeout_sec in the child plan' : ''}` });
      }
    } else if (step.vars !== undefined) {
      problems.add({ file, pointer: at('vars'), message: '"vars" goes with "plan" (values for the child plan\'s variables); a command step takes "env"' });
    }
    const fanOut = step.matrix !== undefined || step.for_each !== undefined;
    if (step.matrix !== undefined && step.for_each !== undefined) problems.add({ file, pointer: at('for_each'), message: 'a step has either "matrix" or "for_each", not both' });
    if (!fanOut) {
      for (const f of ['max_parallel', 'tolerated_failures', 'fail_fast'] as const) {
        if (step[f] !== undefined) problems.add({ file, pointer: at(f), message: `"${f}" applies to a step with "matrix" or "for_each"` });
      }
    }
    if (isMatrix(step.matrix)) {
      const r = matrixCombinations(step.matrix);
      if ('problem' in r) problems.add({ file, pointer: at('matrix') + r.at, message: r.problem });
      else combos.set(i, r.combinations);
    }
  });
  return combos;
}

/**
 * Checks every `${steps.…}`, `${matrix.…}` and `${item…}` reference in the steps' substituted
 * strings (see the file comment). `values` are the variables' values (instance ids of a
 * matrix show its values with variables substituted).
 */
export function checkDataReferences(
  steps: unknown,
  graph: StepGraph,
  combos: ReadonlyMap<number, Record<string, string>[]>,
  values: ReadonlyMap<string, string>,
  file: string,
  problems: ProblemList,
): void {
  if (!Array.isArray(steps)) return;
  let instancesOf: Map<number, Set<string>> | undefined;
  const instances = (p: number): Set<string> => {
    instancesOf ??= new Map();
    let set = instancesOf.get(p);
    if (!set) {
      const id = (steps[p] as { id: string }).id;
      set = new Set(instanceIds(id, (combos.get(p) ?? []).map((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, substituteVars(v, values)])))));
      instancesOf.set(p, set);
    }
    return set;
  };
  for (let i = 0; i < steps.length; i++) {
    const step: unknown = steps[i];
    if (!isObject(step)) continue;
    const selfId = typeof step.id === 'string' ? step.id : undefined;
    forEachStepString(step, i, (text, ptr) => {
      const reported = new Set<string>();
      forEachReference(text, (ref, written) => {
        if (ref === null || ref.kind === 'var' || reported.has(written)) return;
        const problem = (message: string) => {
          reported.add(written);
          problems.add({ file, pointer: ptr, message });
        };
        if (ref.kind === 'matrix') {
          const list = combos.get(i);
          if (step.matrix === undefined) return problem(`${written}: only a step with "matrix" has matrix values`);
          const lacking = list?.find((c) => !Object.hasOwn(c, ref.key));
          if (lacking) return problem(`${written}: the combination ${JSON.stringify(lacking)} has no "${ref.key}"`);
          return;
        }
        if (ref.kind === 'item') {
          if (step.for_each === undefined && ref.field === null && values.has('item')) return; // the variable `item`
          if (step.for_each === undefined) return problem(`${written}: only a step with "for_each" has an item`);
          if (ptr === pointer('steps', i, 'for_each')) return problem(`${written}: for_each gives the items; it cannot use one`);
          return;
        }
        const base = instanceBase(ref.step);
        const target = graph.ids.get(base ?? ref.step);
        if (target === undefined) return problem(`${written}: there is no step "${base ?? ref.step}"`);
        if (target === i || ref.step === selfId) return problem(`${written}: a step cannot use its own ${ref.kind === 'status' ? 'status' : 'outputs'}`);
        if (base !== null) {
          const t = steps[target];
          if (isObject(t) && t.matrix !== undefined && combos.has(target) && !instances(target).has(ref.step)) {
            return problem(`${written}: "${base}" has no instance "${ref.step}" (its instances: ${[...instances(target)].slice(0, 8).join(', ')}${instances(target).size > 8 ? ', …' : ''})`);
          }
          if (isObject(t) && t.matrix === undefined && t.for_each === undefined) return problem(`${written}: "${base}" has no matrix or for_each, so it has no instances`);
        }
        if (!isUpstream(target, i, graph.dependsOn)) {
          return problem(`${written}: step "${base ?? ref.step}" is not upstream of "${selfId}" (a value can only come from a step that has ended first: add it to depends_on, directly or through another step)`);
        }
      });
    });
  }
}

/** True when `target` is an ancestor of `from` through depends_on (a depth-first search that stops when it finds it). */
function isUpstream(target: number, from: number, dependsOn: readonly (readonly number[])[]): boolean {
  const seen = new Uint8Array(dependsOn.length);
  const work = [...(dependsOn[from] ?? [])];
  while (work.length > 0) {
    const d = work.pop()!;
    if (d === target) return true;
    if (seen[d]) continue;
    seen[d] = 1;
    for (const x of dependsOn[d] ?? []) if (!seen[x]) work.push(x);
  }
  return false;
}

/**
 * Calls `visit` with every string of a step that gets substitution and for which `wanted`
 * holds (default: it contains `${`), with its pointer:
 * command, args, cwd, env, mutex, sources, generates, plan, vars, for_each, matrix values and
 * preconditions (nested `not` and `in` included).
 */
export function forEachStepString(step: Record<string, unknown>, i: number, visit: (text: string, ptr: string) => void, wanted: (text: string) => boolean = hasReference): void {
  const one = (v: unknown, ...rest: (string | number)[]) => {
    if (typeof v === 'string' && wanted(v)) visit(v, pointer('steps', i, ...rest));
  };
  const list = (v: unknown, ...rest: (string | number)[]) => {
    if (Array.isArray(v)) v.forEach((x, j) => one(x, ...rest, j));
  };
  const map = (v: unknown, ...rest: (string | number)[]) => {
    if (isObject(v)) for (const k in v) one(v[k], ...rest, k);
  };
  for (const f of ['command', 'cwd', 'mutex', 'plan', 'for_each'] as const) one(step[f], f);
  list(step.args, 'args');
  list(step.sources, 'sources');
  list(step.generates, 'generates');
  map(step.env, 'env');
  map(step.vars, 'vars');
  if (isObject(step.matrix)) {
    for (const k in step.matrix) {
      const v = step.matrix[k];
      if (k === 'include' || k === 'exclude') {
        if (Array.isArray(v)) v.forEach((entry, j) => map(entry, 'matrix', k, j));
      } else list(v, 'matrix', k);
    }
  }
  const pre = (p: unknown, path: (string | number)[]) => {
    if (!isObject(p)) return;
    for (const key of ['command', 'value', 'equals', 'matches'] as const) one(p[key], ...path, key);
    list(p.args, ...path, 'args');
    list(p.in, ...path, 'in');
    if (p.not !== undefined) pre(p.not, [...path, 'not']);
  };
  if (Array.isArray(step.preconditions)) step.preconditions.forEach((p, j) => pre(p, ['preconditions', j]));
}

function hasReference(text: string): boolean {
  return text.includes('${');
}

/** A matrix whose shape the schema accepts (axes: arrays of strings; include/exclude: arrays of objects of strings). */
function isMatrix(v: unknown): v is MatrixSpec {
  if (!isObject(v)) return false;
  const strings = (x: unknown) => Array.isArray(x) && x.every((y) => typeof y === 'string');
  const entries = (x: unknown) => Array.isArray(x) && x.every((e) => isObject(e) && Object.values(e).every((y) => typeof y === 'string'));
  return Object.entries(v).every(([k, x]) => (k === 'include' || k === 'exclude' ? entries(x) : strings(x)));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
