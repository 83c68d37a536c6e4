/**
 * Plan variables: `--var KEY=VALUE` parsing and resolution of every variable's value.
 *
 * Precedence, highest first: `--var`, the vars file, the values a resumed run recorded (never
 * for secret variables: they are not recorded), the environment (`ENGINE_VAR_NAME`, as
 * Terraform's `TF_VAR_`: secrets need not go on a command line that `ps` and shell history
 * see; undeclared names there are ignored, the environment holds much else), the
 * declaration's `default` (in which
 * `${NAME}` references to built-ins and other variables are substituted: var-defaults.ts). A
 * declared variable without any value is an error when `required`, else it is the empty string.
 * Built-ins (RUN_ID, PLAN_DIR, STATE_DIR) are always defined and cannot be declared or set.
 */
import { escapePointerToken, pointer } from './json-source.js';
import { didYouMean } from './did-you-mean.js';
import { COMMAND_LINE, ENVIRONMENT, type ProblemList } from './problem-list.js';
import { VAR_NAME_PATTERN } from './substitute.js';
import { substituteDefaults } from './var-defaults.js';
import { compileVarPattern } from './var-pattern.js';

/** A declared variable `NAME` may be given in the environment as `ENGINE_VAR_NAME`. */
export const ENV_VAR_PREFIX = 'ENGINE_VAR_';

/** The `ENGINE_VAR_*` values of an environment, by variable name. */
export function varsFromEnvironment(env: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith(ENV_VAR_PREFIX) && key.length > ENV_VAR_PREFIX.length && value !== undefined) out.set(key.slice(ENV_VAR_PREFIX.length), value);
  }
  return out;
}

/** Variables every plan can reference without declaring them. */
export const BUILTIN_VAR_NAMES = ['RUN_ID', 'PLAN_DIR', 'STATE_DIR'] as const;
/** `RUN_ID` | `PLAN_DIR` | `STATE_DIR`. */
export type BuiltinVarName = (typeof BUILTIN_VAR_NAMES)[number];

/**
 * Parses `--var` arguments (`KEY=VALUE`, split at the first `=`, the value may be empty or
 * contain `=`). Later arguments win over earlier ones for the same key. Malformed arguments
 * are added to `problems` (file {@link COMMAND_LINE}, pointer '') and skipped. Never throws.
 * @returns KEY → VALUE
 */
export function parseVarArgs(args: readonly string[], problems: ProblemList): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      // With an empty key, the value is not echoed (it may be a secret).
      const message = eq === 0 ? '--var "=...": expected KEY=VALUE, the key is empty' : `--var ${JSON.stringify(arg)}: expected KEY=VALUE`;
      problems.add({ file: COMMAND_LINE, pointer: '', at: 'none', message });
      continue;
    }
    const key = arg.slice(0, eq);
    if (!VAR_NAME_PATTERN.test(key)) {
      problems.add({
        file: COMMAND_LINE,
        pointer: '',
        at: 'none',
        message: `--var ${key}=...: invalid variable name ${JSON.stringify(key)} (must match ${VAR_NAME_PATTERN.source})`,
      });
      continue;
    }
    out.set(key, arg.slice(eq + 1));
  }
  return out;
}

/** Everything {@link resolveVars} needs. */
export interface VarInputs {
  /** Label of the plan file, for problems. */
  planFile: string;
  /** The plan's `vars` as parsed (possibly malformed: anything that is not an object of
   * objects is skipped, the schema check reports it). */
  declared: unknown;
  /** From {@link parseVarArgs}. */
  cli: ReadonlyMap<string, string>;
  /** From the vars file, when one was given and could be read. */
  varsFile?: { label: string; values: ReadonlyMap<string, string> };
  /** A vars file was given but could not be read (already reported): its values are unknown,
   * so missing required variables are not reported (they may well be in that file). */
  varsFileUnreadable?: boolean;
  /** `engine resume`: the values the run recorded (secret ones are `***` there and are ignored:
   * they must be given again, else that is a problem). */
  recorded?: ReadonlyMap<string, string>;
  /** From {@link varsFromEnvironment}. */
  env?: ReadonlyMap<string, string>;
  /** `validate` and `graph`: a required variable without a value is listed in `unset`, not a
   * problem (its references show as `${NAME}`). */
  allowUnset?: boolean;
  builtins: Record<BuiltinVarName, string>;
}

/** Values of all variables. */
export interface ResolvedVars {
  /** Declared variables (missing optional ones as '') and built-ins. */
  values: Map<string, string>;
  /** Declared names with `secret: true`, in declaration order. */
  secretNames: string[];
  /** Required variables without a value (only with `allowUnset`), in declaration order. */
  unset: string[];
}

interface Decl {
  default?: unknown;
  required?: unknown;
  pattern?: unknown;
  secret?: unknown;
}

/**
 * Resolves every variable's value and reports, into `problems`: undeclared `--var` keys and
 * vars-file keys, declarations shadowing built-ins, required variables without a value, and
 * values not matching their declaration's `pattern` (secret values are never shown). An invalid
 * pattern is reported by the schema check and skipped here. Never throws.
 */
export function resolveVars(inp: VarInputs, problems: ProblemList): ResolvedVars {
  const declared = new Map<string, Decl>();
  if (isObject(inp.declared)) {
    for (const [name, decl] of Object.entries(inp.declared)) declared.set(name, isObject(decl) ? decl : {});
  }
  const builtinSet = new Set<string>(BUILTIN_VAR_NAMES);
  const declaredList = () => {
    const names = [...declared.keys()].filter((n) => !builtinSet.has(n));
    if (names.length === 0) return 'the plan declares no variables';
    const shown = names.slice(0, 20).join(', ') + (names.length > 20 ? ', ...' : '');
    return `declared: ${shown}`;
  };

  for (const key of inp.cli.keys()) {
    if (builtinSet.has(key)) {
      problems.add({ file: COMMAND_LINE, pointer: '', at: 'none', message: `--var ${key}: ${key} is a built-in variable and cannot be set` });
    } else if (!declared.has(key)) {
      problems.add({
        file: COMMAND_LINE,
        pointer: '',
        at: 'none',
        message: `--var ${key}: variable ${JSON.stringify(key)} is not declared in the plan's "vars"${didYouMean(key, declared.keys())} (${declaredList()})`,
      });
    }
  }
  const fileValues = inp.varsFile?.values ?? new Map<string, string>();
  if (inp.varsFile) {
    for (const key of fileValues.keys()) {
      if (builtinSet.has(key) || !declared.has(key)) {
        const why = builtinSet.has(key)
          ? `${key} is a built-in variable and cannot be set`
          : `variable ${JSON.stringify(key)} is not declared in the plan's "vars"${didYouMean(key, declared.keys())} (${declaredList()})`;
        problems.add({ file: inp.varsFile.label, pointer: `/${escapePointerToken(key)}`, at: 'key', message: why });
      }
    }
  }

  const values = new Map<string, string>();
  const secretNames: string[] = [];
  const unset: string[] = [];
  const fromDefault = new Set<string>();
  const checked: { name: string; decl: Decl; where: { file: string; pointer: string; at: 'none' | 'value'; from: string } }[] = [];
  for (const [name, decl] of declared) {
    if (builtinSet.has(name)) {
      problems.add({
        file: inp.planFile,
        pointer: pointer('vars', name),
        at: 'key',
        message: `variable ${JSON.stringify(name)} shadows the built-in variable of the same name; rename it`,
      });
      continue;
    }
    if (decl.secret === true) secretNames.push(name);
    let value: string | undefined;
    let where: { file: string; pointer: string; at: 'none' | 'value'; from: string } | undefined;
    if (inp.cli.has(name)) {
      value = inp.cli.get(name)!;
      where = { file: COMMAND_LINE, pointer: '', at: 'none', from: ` (from --var ${name})` };
    } else if (fileValues.has(name)) {
      value = fileValues.get(name)!;
      where = { file: inp.varsFile!.label, pointer: `/${escapePointerToken(name)}`, at: 'value', from: '' };
    } else if (inp.recorded && decl.secret !== true && inp.recorded.has(name)) {
      value = inp.recorded.get(name)!;
      where = { file: inp.planFile, pointer: pointer('vars', name), at: 'none', from: ' (recorded by the run)' };
    } else if (inp.env?.has(name)) {
      value = inp.env.get(name)!;
      where = { file: ENVIRONMENT, pointer: '', at: 'none', from: ` (from ${ENV_VAR_PREFIX}${name})` };
    } else if (inp.recorded && decl.secret === true) {
      problems.add({
        file: COMMAND_LINE,
        pointer: '',
        at: 'none',
        message: `secret variable ${JSON.stringify(name)} is not recorded; give it again: --var ${name}=..., in a --vars-file or as ${ENV_VAR_PREFIX}${name}`,
      });
      values.set(name, '');
      continue;
    } else if (typeof decl.default === 'string') {
      value = decl.default;
      where = { file: inp.planFile, pointer: pointer('vars', name, 'default'), at: 'value', from: DEFAULT_SOURCE };
    }
    if (value === undefined || where === undefined) {
      if (decl.required === true && inp.allowUnset) {
        unset.push(name);
        // No value to hide: `${NAME}` shows where it goes.
        if (decl.secret === true) secretNames.pop();
        values.set(name, `\${${name}}`);
        continue;
      }
      if (decl.required === true && !inp.varsFileUnreadable) {
        problems.add({
          file: inp.planFile,
          pointer: pointer('vars', name),
          at: 'key',
          message: `required variable ${JSON.stringify(name)} has no value: pass --var ${name}=VALUE, set it in a vars file or as ${ENV_VAR_PREFIX}${name}`,
        });
      }
      values.set(name, '');
      continue;
    }
    values.set(name, value);
    if (where.from === DEFAULT_SOURCE) fromDefault.add(name);
    checked.push({ name, decl, where });
  }
  for (const name of BUILTIN_VAR_NAMES) values.set(name, inp.builtins[name]);
  substituteDefaults(values, fromDefault, inp.planFile, problems);
  // Patterns are checked against the values as used: defaults after their substitution.
  for (const { name, decl, where } of checked) {
    if (typeof decl.pattern !== 'string') continue;
    const value = values.get(name)!;
    const re = compileVarPattern(decl.pattern);
    if (re instanceof RegExp && !re.test(value)) {
      const got = decl.secret === true ? '' : `: got ${JSON.stringify(value)}`;
      problems.add({
        file: where.file,
        pointer: where.pointer,
        at: where.at,
        message: `value of variable ${JSON.stringify(name)}${where.from} does not match its pattern /${decl.pattern}/${got}`,
      });
    }
  }
  return { values, secretNames, unset };
}

/** `where.from` of a value taken from the declaration's default. */
const DEFAULT_SOURCE = ' (its default)';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
