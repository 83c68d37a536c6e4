/**
 * `${NAME}` inside a variable's `default` (issue 11): `"default": "${PLAN_DIR}/out"` means the
 * directory `out` next to the plan, not a directory literally named `${PLAN_DIR}`. A default
 * may reference built-ins and other declared variables (whose own values may come from their
 * defaults too). Values given with `--var` or a vars file are taken as they are, like every
 * value a user types. A cycle between defaults, or a reference to an unknown name, is a
 * located problem at the default.
 */
import { pointer } from './json-source.js';
import type { ProblemList } from './problem-list.js';
import { substituteVars, type SubstitutionIssue } from './substitute.js';

/**
 * Substitutes references in the values of `fromDefault` (names whose value is their raw
 * default), in place in `values`, which holds every variable's value (built-ins included).
 * Iterative (no recursion), so a long chain of defaults cannot overflow the stack. Never throws.
 */
export function substituteDefaults(values: Map<string, string>, fromDefault: ReadonlySet<string>, planFile: string, problems: ProblemList): void {
  const done = new Set<string>();
  const onPath = new Set<string>();
  for (const start of fromDefault) {
    if (done.has(start)) continue;
    // Depth-first: a name is substituted once every default it references is.
    const stack: { name: string; refs: string[] | null }[] = [{ name: start, refs: null }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.refs === null) {
        onPath.add(top.name);
        top.refs = referencedDefaults(values.get(top.name)!, fromDefault);
      }
      const next = top.refs.find((r) => !done.has(r));
      if (next !== undefined && !onPath.has(next)) {
        stack.push({ name: next, refs: null });
        continue;
      }
      if (next !== undefined) {
        const cycle = [...stack.slice(stack.findIndex((f) => f.name === next)).map((f) => f.name), next];
        problems.add({
          file: planFile,
          pointer: pointer('vars', top.name, 'default'),
          at: 'value',
          message: `the defaults of variables ${cycle.join(' -> ')} refer to each other in a cycle`,
        });
        // Leave the cycle's values as written; stop following it.
        for (const f of stack) done.add(f.name);
        stack.length = 0;
        break;
      }
      stack.pop();
      onPath.delete(top.name);
      done.add(top.name);
      values.set(top.name, substituteVars(values.get(top.name)!, values, (issue) => report(issue, top.name)));
    }
  }

  function report(issue: SubstitutionIssue, name: string): void {
    problems.add({
      file: planFile,
      pointer: pointer('vars', name, 'default'),
      at: 'value',
      message:
        issue.kind === 'unknown'
          ? `unknown variable ${issue.text} in the default of ${JSON.stringify(name)}`
          : issue.kind === 'unresolved'
            ? `${issue.text} cannot be used in the default of ${JSON.stringify(name)}: defaults may only reference variables`
            : `invalid variable reference ${JSON.stringify(issue.text)} in the default of ${JSON.stringify(name)}; write $\${ for a literal \${`,
    });
  }
}

/** Names of `fromDefault` that `text` references. */
function referencedDefaults(text: string, fromDefault: ReadonlySet<string>): string[] {
  const names: string[] = [];
  substituteVars(text, new Map(), (issue) => {
    if (issue.kind === 'unknown' && fromDefault.has(issue.name)) names.push(issue.name);
  });
  return names;
}
