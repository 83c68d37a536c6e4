/**
 * The malformed-input corpus for plan loading, as data: plan files (and vars files and `--var`
 * arguments) as a new user might write them, each with the problem it must be reported as.
 * test/schema/malformed-plans.test.ts loads every case with loadPlan; cases that need the
 * built CLI (argument vectors, files that could block, the environment) are in
 * test/cli/hostile-input.test.ts.
 *
 * To add a case: append to CASES (or to one of the generated families below) a plan, what
 * the problem's file, pointer and position are, and a pattern for its message.
 */

/** What a case writes as plan.json or vars.json: an object (2-space JSON), text, or bytes; a
 * function when it is large, so it is built only when its test runs. */
export type Content = object | string | Buffer | (() => string | Buffer);

/** Where a problem must be: `L:C`; the start of the nth (0-based; -1: the last) occurrence of
 * `needle` plus `skip` characters; the end of the text; or no position (a file-level problem). */
export type At = string | { needle: string; nth?: number; skip?: number } | 'end' | 'none';

export interface PlanCase {
  name: string;
  plan: Content;
  /** Written as vars.json and passed as the vars file. */
  vars?: Content;
  varArgs?: string[];
  /** Plan file path as given (default plan.json): for cases about the path itself. */
  path?: string;
  /** `--vars-file` as given (default vars.json when `vars` is set). */
  varsPath?: string;
  /** The problem the case is about (others may be reported too). */
  expect: {
    /** Default: the plan file's label. */
    file?: string;
    /** Default '' (the whole document). */
    pointer?: string;
    /** Default: not checked beyond "has a position" (every problem in a readable file must). */
    at?: At;
    message: RegExp;
    /** Text no problem may show (a secret value). */
    notShown?: string;
  };
  /** Time the load may take, in ms (default 2000). */
  maxMs?: number;
}

const BASE = { plan_id: 'p', version: '1', steps: [{ id: 'a', command: 'true' }] };

/** BASE with `value` at `path` (objects created on the way; array indices as numbers). */
export function withValue(path: (string | number)[], value: unknown, base: object = BASE): object {
  const out = structuredClone(base) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = out;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return out;
}

const pointerOf = (path: (string | number)[]) => path.map((t) => `/${t}`).join('');
/** The value after the last `"key": ` of the text. */
const valueOf = (key: string): At => ({ needle: `"${key}": `, nth: -1, skip: key.length + 4 });
/** The property name `"key"`. */
const nameOf = (key: string, nth = 0): At => ({ needle: `"${key}"`, nth });

// ---------------------------------------------------------------------------------------
// Syntax

const SYNTAX: PlanCase[] = [
  { name: 'an empty file', plan: '', expect: { at: '1:1', message: /^invalid JSON: the file is empty/ } },
  { name: 'only whitespace', plan: '  \n\t\n', expect: { at: '3:1', message: /^invalid JSON: the file is empty/ } },
  { name: 'a lone closing brace', plan: '}', expect: { at: '1:1', message: /^invalid JSON: expected a value, got '}'/ } },
  { name: 'a missing comma between members', plan: '{\n  "plan_id": "p"\n  "version": "1"\n}', expect: { at: '3:3', message: /^invalid JSON: expected ',' or '}' after property value$/ } },
  { name: 'a missing colon', plan: '{"plan_id" "p"}', expect: { at: '1:12', message: /^invalid JSON: expected ':' after property name$/ } },
  { name: 'a trailing comma in an object', plan: '{"plan_id": "p",\n}', expect: { at: '2:1', message: /trailing comma is not allowed/ } },
  { name: 'a trailing comma in an array', plan: '{"steps": [1, 2, ]}', expect: { at: '1:18', message: /trailing comma is not allowed/ } },
  { name: 'a missing comma between array elements', plan: '{"steps": [{} {}]}', expect: { at: '1:15', message: /expected ',' or ']' after array element/ } },
  { name: 'single-quoted names', plan: "{'plan_id': 'p'}", expect: { at: '1:2', message: /not single quotes/ } },
  { name: 'single-quoted values', plan: "{\"plan_id\": 'p'}", expect: { at: '1:13', message: /strings must be in double quotes/ } },
  { name: 'an unquoted name', plan: '{plan_id: "p"}', expect: { at: '1:2', message: /expected a property name in double quotes/ } },
  { name: 'a line comment', plan: '{\n  // the plan\n  "plan_id": "p"\n}', expect: { at: '2:3', message: /comments are not allowed/ } },
  { name: 'a block comment', plan: '{"plan_id": /* x */ "p"}', expect: { at: '1:13', message: /comments are not allowed/ } },
  { name: 'NaN as a value', plan: '{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true", "retries": NaN}]}', expect: { at: { needle: 'NaN' }, message: /NaN is not a JSON value/ } },
  { name: 'Infinity as a value', plan: '{"globals": {"default_timeout_sec": Infinity}}', expect: { at: { needle: 'Infinity' }, message: /Infinity is not a JSON value/ } },
  { name: '-Infinity as a value', plan: '{"globals": {"kill_grace_sec": -Infinity}}', expect: { at: { needle: '-Infinity' }, message: /invalid number "-Infinity"/ } },
  { name: 'undefined as a value', plan: '{"description": undefined}', expect: { at: { needle: 'undefined' }, message: /undefined is not a JSON value/ } },
  { name: 'a number with a leading zero', plan: '{"steps": [{"retries": 01}]}', expect: { at: { needle: '01' }, message: /invalid number "01"/ } },
  { name: 'a hexadecimal number', plan: '{"steps": [{"retries": 0x10}]}', expect: { at: { needle: '0x10' }, message: /invalid number "0x10"/ } },
  { name: 'a number with a plus sign', plan: '{"steps": [{"retries": +1}]}', expect: { at: { needle: '+1' }, message: /unexpected "\+1"/ } },
  { name: 'a number starting with a dot', plan: '{"steps": [{"retries": .5}]}', expect: { at: { needle: '.5' }, message: /unexpected "\.5"/ } },
  { name: 'a number ending with a dot', plan: '{"steps": [{"retries": 1.}]}', expect: { at: { needle: '1.' }, message: /invalid number "1\."/ } },
  { name: 'an exponent without digits', plan: '{"steps": [{"retries": 1e}]}', expect: { at: { needle: '1e' }, message: /invalid number "1e"/ } },
  { name: 'a bare word', plan: '{"plan_id": p}', expect: { at: '1:13', message: /unexpected "p" \(expected a value/ } },
  { name: 'True in capitals', plan: '{"steps": [{"shell": True}]}', expect: { at: { needle: 'True' }, message: /unexpected "True"/ } },
  { name: 'an invalid escape', plan: '{"plan_id": "a\\qb"}', expect: { at: '1:15', message: /invalid escape sequence "\\\\q"/ } },
  { name: 'a short \\u escape', plan: '{"plan_id": "\\u12"}', expect: { at: '1:14', message: /invalid \\u escape/ } },
  { name: 'a raw tab in a string', plan: '{"plan_id": "a\tb"}', expect: { at: '1:15', message: /control character U\+0009 in a string/ } },
  { name: 'a raw newline in a string', plan: '{"plan_id": "a\nb"}', expect: { at: '1:15', message: /control character U\+000A in a string/ } },
  { name: 'a NUL byte outside strings', plan: '{"plan_id": \u0000"p"}', expect: { at: '1:13', message: /unexpected control character U\+0000/ } },
  { name: 'an unterminated string', plan: '{"plan_id": "p', expect: { at: '1:13', message: /unterminated string/ } },
  { name: 'text after the end', plan: '{"plan_id": "p"} x', expect: { at: '1:18', message: /unexpected text after the end of the JSON value/ } },
  { name: 'two plans in one file', plan: '{"plan_id": "p"}\n{"plan_id": "q"}', expect: { at: '2:1', message: /unexpected text after the end/ } },
  { name: 'a byte order mark in the middle', plan: '{"plan_id": \uFEFF"p"}', expect: { at: '1:13', message: /byte order mark/ } },
  { name: 'two byte order marks', plan: '\uFEFF\uFEFF{}', expect: { at: '1:1', message: /byte order mark/ } },
  { name: 'a closer of the wrong kind', plan: '{"steps": [1}', expect: { at: '1:13', message: /expected ',' or ']' after array element/ } },
  { name: 'JSON lines instead of one object', plan: '{"id": "a"}\n{"id": "b"}\n', expect: { at: '2:1', message: /unexpected text after the end/ } },
  { name: 'a missing comma in a file with CRLF line endings', plan: '{\r\n  "plan_id": "p"\r\n  "version": "1"\r\n}\r\n', expect: { at: '3:3', message: /^invalid JSON: expected ',' or '}' after property value$/ } },
  { name: 'YAML instead of JSON', plan: 'plan_id: p\nversion: 1\n', expect: { at: '1:1', message: /unexpected "plan_id"/ } },
];

/** A valid plan cut short at many places: every cut must be reported, none may crash. */
const TRUNCATED_SOURCE = JSON.stringify(
  {
    plan_id: 'cut',
    version: '1',
    vars: { TARGET: { default: 'all', pattern: '^[a-z]+$' } },
    globals: { max_concurrency: 2, env: { A: 'b' } },
    steps: [
      { id: 'a', command: 'echo', args: ['${TARGET}', 'x\\"y'], retries: 2, retry_delay_sec: 0.5 },
      { id: 'b', command: 'true', depends_on: ['a'], critical: false, success_exit_codes: [0, 1] },
    ],
  },
  null,
  2,
);
const TRUNCATED: PlanCase[] = Array.from({ length: 24 }, (_, k) => {
  const cut = Math.floor(((k + 1) * (TRUNCATED_SOURCE.length - 1)) / 25);
  return {
    name: `a valid plan cut after ${cut} of ${TRUNCATED_SOURCE.length} characters`,
    plan: TRUNCATED_SOURCE.slice(0, cut),
    expect: { message: /^invalid JSON: (unexpected end of the file|unterminated string|invalid number|unexpected "(t|tr|tru|f|fa|fal|fals|n|nu|nul)")/ },
  };
});

// ---------------------------------------------------------------------------------------
// The document as a whole, and its encoding

const DOCUMENT: PlanCase[] = [
  { name: 'null', plan: 'null', expect: { at: '1:1', message: /^expected an object, got null$/ } },
  { name: 'an array of plans', plan: JSON.stringify([BASE]), expect: { at: '1:1', message: /^expected an object, got an array$/ } },
  { name: 'a number', plan: '42', expect: { at: '1:1', message: /^expected an object, got 42$/ } },
  { name: 'a string', plan: '"plan.json"', expect: { at: '1:1', message: /^expected an object, got "plan\.json"$/ } },
  { name: 'true', plan: 'true', expect: { at: '1:1', message: /^expected an object, got true$/ } },
  { name: 'an empty object', plan: '{}', expect: { at: '1:1', message: /^missing required property "plan_id"$/ } },
  { name: 'a plan without steps', plan: { plan_id: 'p', version: '1' }, expect: { at: '1:1', message: /^missing required property "steps"$/ } },
  { name: 'a plan with an empty steps list', plan: withValue(['steps'], []), expect: { pointer: '/steps', at: valueOf('steps'), message: /^must not be empty$/ } },
  { name: 'invalid UTF-8 in a string (Latin-1 é)', plan: Buffer.from('{"plan_id": "caf\xe9"}', 'latin1'), expect: { at: '1:17', message: /^invalid UTF-8: byte 0xe9 at byte offset 16 \(save the file as UTF-8\)$/ } },
  { name: 'a truncated UTF-8 sequence', plan: Buffer.concat([Buffer.from('{"plan_id": "'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]), expect: { at: '1:14', message: /^invalid UTF-8: byte 0xe2 at byte offset 13/ } },
  { name: 'an overlong UTF-8 encoding', plan: Buffer.concat([Buffer.from('{"plan_id": "'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), expect: { at: '1:14', message: /^invalid UTF-8: byte 0xc0/ } },
  { name: 'a UTF-8-encoded surrogate', plan: Buffer.concat([Buffer.from('{"plan_id": "'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), expect: { at: '1:14', message: /^invalid UTF-8: byte 0xed/ } },
  { name: 'a byte 0xff', plan: Buffer.concat([Buffer.from('{\n  "plan_id": "p",\n  "version": "'), Buffer.from([0xff]), Buffer.from('"\n}')]), expect: { at: '3:15', message: /^invalid UTF-8: byte 0xff/ } },
  { name: 'UTF-16 LE with a byte order mark', plan: Buffer.from(`\uFEFF${JSON.stringify(BASE)}`, 'utf16le'), expect: { at: '1:1', message: /the file is UTF-16; save it as UTF-8/ } },
  { name: 'UTF-16 BE with a byte order mark', plan: Buffer.from(`\uFEFF${JSON.stringify(BASE)}`, 'utf16le').swap16(), expect: { at: '1:1', message: /the file is UTF-16; save it as UTF-8/ } },
  { name: 'invalid UTF-8 after a byte order mark', plan: Buffer.concat([Buffer.from('\uFEFF{"plan_id": "'), Buffer.from([0x80]), Buffer.from('"}')]), expect: { at: '1:14', message: /^invalid UTF-8: byte 0x80 at byte offset 16/ } },
];

// ---------------------------------------------------------------------------------------
// Wrong types: every field of the schema with values of the wrong type

type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
/** A value of each type but `type`, to put where `type` is expected. */
const WRONG: Record<FieldType, unknown[]> = {
  string: [42, true, null, ['x'], { x: 1 }],
  number: ['10', false, null, [1]],
  integer: ['3', 2.5, {}],
  boolean: ['true', 1, null],
  object: ['x', [], 3],
  array: ['x', { a: 1 }, 7],
};

/** Each field's path in a plan (the step, var and precondition are filled in) and its type. */
const FIELDS: { path: (string | number)[]; type: FieldType; base?: object }[] = [
  { path: ['plan_id'], type: 'string' },
  { path: ['version'], type: 'string' },
  { path: ['description'], type: 'string' },
  { path: ['$schema'], type: 'string' },
  { path: ['metadata'], type: 'object' },
  { path: ['vars'], type: 'object' },
  { path: ['globals'], type: 'object' },
  { path: ['steps'], type: 'array' },
  { path: ['globals', 'max_concurrency'], type: 'integer' },
  { path: ['globals', 'default_timeout_sec'], type: 'number' },
  { path: ['globals', 'kill_grace_sec'], type: 'number' },
  { path: ['globals', 'env'], type: 'object' },
  { path: ['globals', 'working_dir'], type: 'string' },
  { path: ['vars', 'V', 'description'], type: 'string' },
  { path: ['vars', 'V', 'default'], type: 'string' },
  { path: ['vars', 'V', 'required'], type: 'boolean' },
  { path: ['vars', 'V', 'pattern'], type: 'string' },
  { path: ['vars', 'V', 'secret'], type: 'boolean' },
  { path: ['steps', 0, 'id'], type: 'string' },
  { path: ['steps', 0, 'name'], type: 'string' },
  { path: ['steps', 0, 'description'], type: 'string' },
  { path: ['steps', 0, 'command'], type: 'string' },
  { path: ['steps', 0, 'args'], type: 'array' },
  { path: ['steps', 0, 'depends_on'], type: 'array' },
  { path: ['steps', 0, 'timeout_sec'], type: 'number' },
  { path: ['steps', 0, 'retries'], type: 'integer' },
  { path: ['steps', 0, 'retry_delay_sec'], type: 'number' },
  { path: ['steps', 0, 'retry_backoff'], type: 'number' },
  { path: ['steps', 0, 'retry_max_delay_sec'], type: 'number' },
  { path: ['steps', 0, 'critical'], type: 'boolean' },
  { path: ['steps', 0, 'cwd'], type: 'string' },
  { path: ['steps', 0, 'env'], type: 'object' },
  { path: ['steps', 0, 'shell'], type: 'boolean' },
  { path: ['steps', 0, 'success_exit_codes'], type: 'array' },
  { path: ['steps', 0, 'preconditions'], type: 'array' },
  { path: ['steps', 0, 'preconditions', 0, 'description'], type: 'string', base: withValue(['steps', 0, 'preconditions'], [{ command: 'true' }]) },
  { path: ['steps', 0, 'preconditions', 0, 'command'], type: 'string', base: withValue(['steps', 0, 'preconditions'], [{}]) },
  { path: ['steps', 0, 'preconditions', 0, 'args'], type: 'array', base: withValue(['steps', 0, 'preconditions'], [{ command: 'true' }]) },
  { path: ['steps', 0, 'preconditions', 0, 'value'], type: 'string', base: withValue(['steps', 0, 'preconditions'], [{ not_empty: true }]) },
  { path: ['steps', 0, 'preconditions', 0, 'equals'], type: 'string', base: withValue(['steps', 0, 'preconditions'], [{ value: 'x' }]) },
  { path: ['steps', 0, 'preconditions', 0, 'matches'], type: 'string', base: withValue(['steps', 0, 'preconditions'], [{ value: 'x' }]) },
];

const TYPE_WORD: Record<FieldType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
};

const WRONG_TYPES: PlanCase[] = FIELDS.flatMap(({ path, type, base }) =>
  WRONG[type].map((value) => ({
    name: `${pointerOf(path)} as ${JSON.stringify(value)} instead of ${TYPE_WORD[type]}`,
    plan: withValue(path, value, base),
    expect: {
      pointer: pointerOf(path),
      // A precondition's "command" comes after its step's own.
      at: valueOf(String(path[path.length - 1])),
      message: new RegExp(`^expected ${TYPE_WORD[type]}, got `),
    },
  })),
);

/** Items of arrays: the second item is the wrong one. */
const WRONG_ITEMS: PlanCase[] = [
  { name: 'a number among args', plan: withValue(['steps', 0, 'args'], ['x', 5]), expect: { pointer: '/steps/0/args/1', at: { needle: '5' }, message: /^expected a string, got 5$/ } },
  { name: 'null among args', plan: withValue(['steps', 0, 'args'], ['x', null]), expect: { pointer: '/steps/0/args/1', at: { needle: 'null' }, message: /^expected a string, got null$/ } },
  { name: 'an object among depends_on', plan: withValue(['steps', 0, 'depends_on'], [{ id: 'b' }]), expect: { pointer: '/steps/0/depends_on/0', message: /^expected a string, got an object$/ } },
  { name: 'a string among success_exit_codes', plan: withValue(['steps', 0, 'success_exit_codes'], [0, '1']), expect: { pointer: '/steps/0/success_exit_codes/1', at: { needle: '"1"', nth: 1 }, message: /^expected an integer, got "1"$/ } },
  { name: 'a step that is a string', plan: withValue(['steps'], ['echo hi']), expect: { pointer: '/steps/0', at: { needle: '"echo hi"' }, message: /^expected an object, got "echo hi"$/ } },
  { name: 'a step that is an array', plan: withValue(['steps'], [['echo', 'hi']]), expect: { pointer: '/steps/0', message: /^expected an object, got an array$/ } },
  { name: 'a variable declared as a string', plan: withValue(['vars', 'V'], 'default'), expect: { pointer: '/vars/V', at: valueOf('V'), message: /^expected an object, got "default"$/ } },
  { name: 'an env value that is a number', plan: withValue(['steps', 0, 'env'], { PORT: 8080 }), expect: { pointer: '/steps/0/env/PORT', at: valueOf('PORT'), message: /^expected a string, got 8080$/ } },
  { name: 'a globals env value that is a boolean', plan: withValue(['globals', 'env'], { CI: true }), expect: { pointer: '/globals/env/CI', at: valueOf('CI'), message: /^expected a string, got true$/ } },
  { name: 'a precondition that is a string', plan: withValue(['steps', 0, 'preconditions'], ['test -f x']), expect: { pointer: '/steps/0/preconditions/0', message: /^expected an object, got "test -f x"$/ } },
];

// ---------------------------------------------------------------------------------------
// Values out of range, enums, NaN-like strings

const step = (field: string, value: unknown) => withValue(['steps', 0, field], value);
const global = (field: string, value: unknown) => withValue(['globals', field], value);
const range = (name: string, plan: object, key: string, message: RegExp, pointer: string): PlanCase => ({ name, plan, expect: { pointer, at: valueOf(key), message } });

const RANGES: PlanCase[] = [
  range('retries -1', step('retries', -1), 'retries', /^must be >= 0, got -1$/, '/steps/0/retries'),
  range('retries 10001', step('retries', 10001), 'retries', /^must be <= 10000, got 10001$/, '/steps/0/retries'),
  range('retries 1e20', step('retries', 1e20), 'retries', /^must be <= 10000, got 100000000000000000000$/, '/steps/0/retries'),
  range('retries 1.5', step('retries', 1.5), 'retries', /^expected an integer, got 1\.5$/, '/steps/0/retries'),
  { name: 'retries 1e400 (infinity)', plan: '{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true", "retries": 1e400}]}', expect: { pointer: '/steps/0/retries', at: { needle: '1e400' }, message: /^expected an integer, got a number too large to represent$/ } },
  range('timeout_sec 0', step('timeout_sec', 0), 'timeout_sec', /^must be > 0, got 0$/, '/steps/0/timeout_sec'),
  range('timeout_sec -5', step('timeout_sec', -5), 'timeout_sec', /^must be > 0, got -5$/, '/steps/0/timeout_sec'),
  range('timeout_sec one second over 365 days', step('timeout_sec', 31536001), 'timeout_sec', /^must be <= 31536000, got 31536001$/, '/steps/0/timeout_sec'),
  { name: 'timeout_sec 1e400 (infinity)', plan: '{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true", "timeout_sec": 1e400}]}', expect: { pointer: '/steps/0/timeout_sec', at: { needle: '1e400' }, message: /^expected a number, got a number too large to represent$/ } },
  { name: 'timeout_sec -1e400 (minus infinity)', plan: '{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true", "timeout_sec": -1e400}]}', expect: { pointer: '/steps/0/timeout_sec', at: { needle: '-1e400' }, message: /^expected a number, got a number too large to represent$/ } },
  range('retry_delay_sec -1', step('retry_delay_sec', -1), 'retry_delay_sec', /^must be >= 0, got -1$/, '/steps/0/retry_delay_sec'),
  range('retry_delay_sec 1e9 (31 years)', step('retry_delay_sec', 1e9), 'retry_delay_sec', /^must be <= 31536000, got 1000000000$/, '/steps/0/retry_delay_sec'),
  range('retry_backoff 0.5', step('retry_backoff', 0.5), 'retry_backoff', /^must be >= 1, got 0\.5$/, '/steps/0/retry_backoff'),
  range('retry_backoff 1001', step('retry_backoff', 1001), 'retry_backoff', /^must be <= 1000, got 1001$/, '/steps/0/retry_backoff'),
  range('retry_max_delay_sec -0.1', step('retry_max_delay_sec', -0.1), 'retry_max_delay_sec', /^must be >= 0, got -0\.1$/, '/steps/0/retry_max_delay_sec'),
  range('retry_max_delay_sec 4e7', step('retry_max_delay_sec', 4e7), 'retry_max_delay_sec', /^must be <= 31536000, got 40000000$/, '/steps/0/retry_max_delay_sec'),
  range('globals.default_timeout_sec 0', global('default_timeout_sec', 0), 'default_timeout_sec', /^must be > 0, got 0$/, '/globals/default_timeout_sec'),
  range('globals.default_timeout_sec 1e10', global('default_timeout_sec', 1e10), 'default_timeout_sec', /^must be <= 31536000, got 10000000000$/, '/globals/default_timeout_sec'),
  range('globals.kill_grace_sec -1', global('kill_grace_sec', -1), 'kill_grace_sec', /^must be >= 0, got -1$/, '/globals/kill_grace_sec'),
  range('globals.kill_grace_sec 1e8', global('kill_grace_sec', 1e8), 'kill_grace_sec', /^must be <= 31536000, got 100000000$/, '/globals/kill_grace_sec'),
  range('globals.max_concurrency 0', global('max_concurrency', 0), 'max_concurrency', /^must be >= 1, got 0$/, '/globals/max_concurrency'),
  range('globals.max_concurrency 10001', global('max_concurrency', 10001), 'max_concurrency', /^must be <= 10000, got 10001$/, '/globals/max_concurrency'),
  range('globals.max_concurrency 2.5', global('max_concurrency', 2.5), 'max_concurrency', /^expected an integer, got 2\.5$/, '/globals/max_concurrency'),
  range('globals.max_concurrency -1', global('max_concurrency', -1), 'max_concurrency', /^must be >= 1, got -1$/, '/globals/max_concurrency'),
  { name: 'a success exit code of 256', plan: step('success_exit_codes', [0, 256]), expect: { pointer: '/steps/0/success_exit_codes/1', at: { needle: '256' }, message: /^must be <= 255, got 256$/ } },
  { name: 'a success exit code of -1', plan: step('success_exit_codes', [-1]), expect: { pointer: '/steps/0/success_exit_codes/0', at: { needle: '-1' }, message: /^must be >= 0, got -1$/ } },
  range('empty success_exit_codes', step('success_exit_codes', []), 'success_exit_codes', /^must not be empty$/, '/steps/0/success_exit_codes'),
  range('on_failure "stop"', step('on_failure', 'stop'), 'on_failure', /^must be one of "abort", "skip_dependents", "continue", got "stop"$/, '/steps/0/on_failure'),
  range('on_failure in capitals', step('on_failure', 'ABORT'), 'on_failure', /^must be one of .*, got "ABORT"$/, '/steps/0/on_failure'),
  range('trigger_rule "always"', step('trigger_rule', 'always'), 'trigger_rule', /^must be one of "all_success", "all_done", "one_failed", "none_failed", got "always"$/, '/steps/0/trigger_rule'),
  range('trigger_rule null', step('trigger_rule', null), 'trigger_rule', /^must be one of .*, got null$/, '/steps/0/trigger_rule'),
  range('retries "NaN"', step('retries', 'NaN'), 'retries', /^expected an integer, got "NaN"$/, '/steps/0/retries'),
  range('timeout_sec "Infinity"', step('timeout_sec', 'Infinity'), 'timeout_sec', /^expected a number, got "Infinity"$/, '/steps/0/timeout_sec'),
  range('timeout_sec "30s"', step('timeout_sec', '30s'), 'timeout_sec', /^expected a number, got "30s"$/, '/steps/0/timeout_sec'),
  range('retries "1e3"', step('retries', '1e3'), 'retries', /^expected an integer, got "1e3"$/, '/steps/0/retries'),
  range('critical "false"', step('critical', 'false'), 'critical', /^expected a boolean, got "false"$/, '/steps/0/critical'),
];

// ---------------------------------------------------------------------------------------
// Strings: empty, patterns, lengths, NUL

const STRINGS: PlanCase[] = [
  range('an empty plan_id', withValue(['plan_id'], ''), 'plan_id', /^must not be empty$/, '/plan_id'),
  range('an empty version', withValue(['version'], ''), 'version', /^must not be empty$/, '/version'),
  range('an empty command', step('command', ''), 'command', /^must not be empty$/, '/steps/0/command'),
  { name: 'an empty step id', plan: step('id', ''), expect: { pointer: '/steps/0/id', at: valueOf('id'), message: /^invalid step id "" \(must match/ } },
  { name: 'a step id with a space', plan: step('id', 'build app'), expect: { pointer: '/steps/0/id', at: valueOf('id'), message: /^invalid step id "build app"/ } },
  { name: 'a step id with a slash', plan: step('id', '../etc'), expect: { pointer: '/steps/0/id', at: valueOf('id'), message: /^invalid step id "\.\.\/etc"/ } },
  { name: 'a step id in Greek', plan: step('id', 'βήμα'), expect: { pointer: '/steps/0/id', at: valueOf('id'), message: /^invalid step id "βήμα"/ } },
  { name: 'a step id of 201 characters', plan: step('id', 'x'.repeat(201)), expect: { pointer: '/steps/0/id', at: valueOf('id'), message: /^must be at most 200 characters long, got 201$/ } },
  { name: 'a step id of 100,000 characters (the message stays short)', plan: step('id', 'y'.repeat(100_000)), expect: { pointer: '/steps/0/id', at: valueOf('id'), message: /^must be at most 200 characters long, got 100000$/ } },
  { name: 'a command with a NUL character', plan: step('command', 'ec\u0000ho'), expect: { pointer: '/steps/0/command', at: valueOf('command'), message: /contains a NUL character \(\\u0000\)/ } },
  { name: 'an argument with a NUL character', plan: step('args', ['ok', 'a\u0000b']), expect: { pointer: '/steps/0/args/1', at: { needle: '"a\\u0000b"' }, message: /contains a NUL character/ } },
  { name: 'a cwd with a NUL character', plan: step('cwd', '/tmp\u0000x'), expect: { pointer: '/steps/0/cwd', at: valueOf('cwd'), message: /contains a NUL character/ } },
  { name: 'an env value with a NUL character', plan: step('env', { A: 'x\u0000' }), expect: { pointer: '/steps/0/env/A', at: valueOf('A'), message: /contains a NUL character/ } },
  { name: 'a working_dir with a NUL character', plan: global('working_dir', 'w\u0000'), expect: { pointer: '/globals/working_dir', at: valueOf('working_dir'), message: /contains a NUL character/ } },
  { name: 'a variable default with a NUL character', plan: withValue(['vars', 'V'], { default: 'v\u0000' }), expect: { pointer: '/vars/V/default', at: valueOf('default'), message: /contains a NUL character/ } },
  { name: 'a precondition argument with a NUL character', plan: step('preconditions', [{ command: 'test', args: ['-f', '\u0000'] }]), expect: { pointer: '/steps/0/preconditions/0/args/1', message: /contains a NUL character/ } },
  { name: 'an env name with "="', plan: step('env', { 'A=B': 'x' }), expect: { pointer: '/steps/0/env/A=B', at: nameOf('A=B'), message: /^invalid environment variable name "A=B" \(must not be empty or contain "=" or a NUL character\)$/ } },
  { name: 'an empty env name', plan: global('env', { '': 'x' }), expect: { pointer: '/globals/env/', at: nameOf(''), message: /^invalid environment variable name ""/ } },
  { name: 'an env name with a NUL character', plan: step('env', { 'A\u0000': 'x' }), expect: { pointer: '/steps/0/env/A\u0000', message: /^invalid environment variable name "A\\u0000"/ } },
  { name: 'an unknown property with a 5,000-character name and a 1 MB value (the message stays short)', plan: withValue(['z'.repeat(5000)], 'x'.repeat(1_000_000)), expect: { pointer: `/${'z'.repeat(5000)}`, at: nameOf('z'.repeat(5000)), message: /^unknown property "z{55}\.\.\." \(allowed: .{0,200}$/ } },
  { name: 'a duplicate key with a 5,000-character name (the message stays short)', plan: `{"plan_id": "p", "version": "1", "metadata": {"${'k'.repeat(5000)}": 1, "${'k'.repeat(5000)}": 2}, "steps": [{"id": "a", "command": "true"}]}`, expect: { pointer: `/metadata/${'k'.repeat(5000)}`, at: { needle: `"${'k'.repeat(5000)}"`, nth: 1 }, message: /^duplicate key "k{55}\.\.\." \(first at line 1, column 47\)$/ } },
];

// ---------------------------------------------------------------------------------------
// Unknown properties (typos) and duplicate keys

const UNKNOWN: PlanCase[] = [
  { name: 'a misspelt top-level property', plan: withValue(['step'], []), expect: { pointer: '/step', at: nameOf('step'), message: /^unknown property "step"; did you mean "steps"\? \(allowed: \$schema, plan_id, version, description, metadata, vars, globals, steps\)$/ } },
  { name: 'a capitalised property', plan: withValue(['Plan_id'], 'p'), expect: { pointer: '/Plan_id', at: nameOf('Plan_id'), message: /^unknown property "Plan_id"/ } },
  { name: '"cmd" instead of "command"', plan: withValue(['steps'], [{ id: 'a', cmd: 'true' }]), expect: { pointer: '/steps/0/cmd', at: nameOf('cmd'), message: /^unknown property "cmd"; did you mean "cwd"\? \(allowed: id, name, description, command, / } },
  { name: '"depends-on" with a dash', plan: step('depends-on', []), expect: { pointer: '/steps/0/depends-on', at: nameOf('depends-on'), message: /^unknown property "depends-on"/ } },
  { name: '"timeout" without the unit', plan: step('timeout', 5), expect: { pointer: '/steps/0/timeout', at: nameOf('timeout'), message: /^unknown property "timeout"/ } },
  { name: '"retry" for "retries"', plan: step('retry', 3), expect: { pointer: '/steps/0/retry', at: nameOf('retry'), message: /^unknown property "retry"/ } },
  { name: 'an unknown globals property', plan: global('concurrency', 2), expect: { pointer: '/globals/concurrency', at: nameOf('concurrency'), message: /^unknown property "concurrency" \(allowed: max_concurrency, / } },
  { name: 'an unknown variable property', plan: withValue(['vars', 'V'], { value: 'x' }), expect: { pointer: '/vars/V/value', at: nameOf('value'), message: /^unknown property "value" \(allowed: description, default, required, pattern, secret\)$/ } },
  { name: 'an unknown precondition property', plan: step('preconditions', [{ command: 'true', when: 'x' }]), expect: { pointer: '/steps/0/preconditions/0/when', at: nameOf('when'), message: /^unknown property "when"/ } },
  { name: 'a property name with a slash and a tilde', plan: withValue(['a/b~c'], 1), expect: { pointer: '/a~1b~0c', at: nameOf('a/b~c'), message: /^unknown property "a\/b~c"/ } },
];

const DUPLICATES: PlanCase[] = [
  { name: 'plan_id twice', plan: '{\n  "plan_id": "p",\n  "plan_id": "q",\n  "version": "1",\n  "steps": [{"id": "a", "command": "true"}]\n}', expect: { pointer: '/plan_id', at: '3:3', message: /^duplicate key "plan_id" \(first at line 2\)$/ } },
  { name: 'a step with command twice', plan: '{"plan_id": "p", "version": "1", "steps": [\n  {"id": "a", "command": "true",\n   "command": "rm"}\n]}', expect: { pointer: '/steps/0/command', at: '3:4', message: /^duplicate key "command" \(first at line 2\)$/ } },
  { name: 'a key three times on one line', plan: '{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true", "retries": 1, "retries": 2, "retries": 3}]}', expect: { pointer: '/steps/0/retries', at: { needle: '"retries"', nth: 2 }, message: /^duplicate key "retries" \(first at line 1, column \d+\)$/ } },
  { name: 'a variable declared twice', plan: '{"plan_id": "p", "version": "1",\n "vars": {"V": {}, "V": {"default": "x"}},\n "steps": [{"id": "a", "command": "true"}]}', expect: { pointer: '/vars/V', at: { needle: '"V"', nth: 1 }, message: /^duplicate key "V" \(first at line 2, column 11\)$/ } },
  { name: 'an env name twice', plan: '{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true", "env": {"A": "1", "A": "2"}}]}', expect: { pointer: '/steps/0/env/A', at: { needle: '"A"', nth: 1 }, message: /^duplicate key "A"/ } },
  { name: 'the same name spelt with an escape', plan: '{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true", "sh\\u0065ll": true, "shell": false}]}', expect: { pointer: '/steps/0/shell', at: { needle: '"shell"' }, message: /^duplicate key "shell"/ } },
  { name: 'a duplicate inside metadata', plan: '{"plan_id": "p", "version": "1", "metadata": {"owner": {"team": "a", "team": "b"}}, "steps": [{"id": "a", "command": "true"}]}', expect: { pointer: '/metadata/owner/team', at: { needle: '"team"', nth: 1 }, message: /^duplicate key "team"/ } },
  { name: 'a duplicate in the second of two steps', plan: '{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true"}, {"id": "b", "id": "c", "command": "true"}]}', expect: { pointer: '/steps/1/id', at: { needle: '"id": "c"' }, message: /^duplicate key "id"/ } },
  { name: 'a duplicate globals object', plan: '{"plan_id": "p", "version": "1", "globals": {}, "steps": [{"id": "a", "command": "true"}], "globals": {"max_concurrency": 1}}', expect: { pointer: '/globals', at: { needle: '"globals"', nth: 1 }, message: /^duplicate key "globals"/ } },
];

// ---------------------------------------------------------------------------------------
// Steps and the DAG

const steps = (...list: object[]) => withValue(['steps'], list);
const GRAPH: PlanCase[] = [
  { name: 'a step without a command', plan: steps({ id: 'a' }), expect: { pointer: '/steps/0', message: /^a step needs "command" \(a program to run\) or "plan" \(another plan to run\)$/ } },
  { name: 'a step without an id', plan: steps({ command: 'true' }), expect: { pointer: '/steps/0', message: /^missing required property "id"$/ } },
  { name: 'two steps with one id', plan: steps({ id: 'a', command: 'true' }, { id: 'a', command: 'false' }), expect: { pointer: '/steps/1/id', at: { needle: '"a"', nth: 1 }, message: /^duplicate step id "a" \(first used by \/steps\/0\)$/ } },
  { name: 'a dependency on an unknown step', plan: steps({ id: 'a', command: 'true', depends_on: ['build'] }), expect: { pointer: '/steps/0/depends_on/0', at: { needle: '"build"' }, message: /^depends on unknown step "build"$/ } },
  { name: 'a step depending on itself', plan: steps({ id: 'a', command: 'true', depends_on: ['a'] }), expect: { pointer: '/steps/0/depends_on/0', message: /^step "a" depends on itself$/ } },
  { name: 'a two-step cycle', plan: steps({ id: 'a', command: 'true', depends_on: ['b'] }, { id: 'b', command: 'true', depends_on: ['a'] }), expect: { pointer: '/steps/0/depends_on/0', message: /^dependency cycle: a -> b -> a/ } },
  { name: 'a three-step cycle behind a good step', plan: steps({ id: 'ok', command: 'true' }, { id: 'x', command: 'true', depends_on: ['ok', 'z'] }, { id: 'y', command: 'true', depends_on: ['x'] }, { id: 'z', command: 'true', depends_on: ['y'] }), expect: { pointer: '/steps/1/depends_on/1', message: /^dependency cycle: x -> z -> y -> x/ } },
  { name: 'an id differing only in case', plan: steps({ id: 'Build', command: 'true' }, { id: 'test', command: 'true', depends_on: ['build'] }), expect: { pointer: '/steps/1/depends_on/0', message: /^depends on unknown step "build" \(did you mean "Build"\?\)$/ } },
  { name: 'shell with arguments', plan: steps({ id: 'a', command: 'echo', shell: true, args: ['hi'] }), expect: { pointer: '/steps/0/args', at: valueOf('args'), message: /^args must be empty when shell is true/ } },
  { name: 'a step that is null', plan: steps({ id: 'a', command: 'true' }, null as unknown as object), expect: { pointer: '/steps/1', message: /^expected an object, got null$/ } },
];

// ---------------------------------------------------------------------------------------
// Variables, references and preconditions

const decl = (vars: object, extra: object = {}) => ({ ...BASE, vars, ...extra });
const VARS: PlanCase[] = [
  { name: 'a variable name starting with a digit', plan: decl({ '1X': {} }), expect: { pointer: '/vars/1X', at: nameOf('1X'), message: /^invalid variable name "1X" \(must match/ } },
  { name: 'a variable name with a dash', plan: decl({ 'MY-VAR': {} }), expect: { pointer: '/vars/MY-VAR', at: nameOf('MY-VAR'), message: /^invalid variable name "MY-VAR"/ } },
  { name: 'an empty variable name', plan: decl({ '': {} }), expect: { pointer: '/vars/', message: /^invalid variable name ""/ } },
  { name: 'a variable named like a built-in', plan: decl({ RUN_ID: {} }), expect: { pointer: '/vars/RUN_ID', at: nameOf('RUN_ID'), message: /shadows the built-in variable/ } },
  { name: 'a required variable without a value', plan: decl({ ENV: { required: true } }), expect: { pointer: '/vars/ENV', at: nameOf('ENV'), message: /^required variable "ENV" has no value/ } },
  { name: 'a default that does not match the pattern', plan: decl({ B: { default: 'Main', pattern: '^[a-z]+$' } }), expect: { pointer: '/vars/B/default', at: valueOf('default'), message: /^value of variable "B" \(its default\) does not match its pattern \/\^\[a-z\]\+\$\/: got "Main"$/ } },
  { name: 'an unclosed group in a pattern', plan: decl({ B: { pattern: '(a' } }), expect: { pointer: '/vars/B/pattern', at: valueOf('pattern'), message: /^invalid regular expression: / } },
  { name: 'an unclosed class in a pattern', plan: decl({ B: { pattern: '[a-z' } }), expect: { pointer: '/vars/B/pattern', message: /^invalid regular expression: / } },
  { name: 'a quantifier range out of order', plan: decl({ B: { pattern: 'a{3,1}' } }), expect: { pointer: '/vars/B/pattern', message: /^invalid regular expression: / } },
  { name: 'a lone quantifier', plan: decl({ B: { pattern: '*' } }), expect: { pointer: '/vars/B/pattern', message: /^invalid regular expression: / } },
  { name: 'a reference to an undeclared variable', plan: withValue(['steps', 0, 'args'], ['${TARGET}']), expect: { pointer: '/steps/0/args/0', at: { needle: '"${TARGET}"' }, message: /^unknown variable \$\{TARGET\}/ } },
  { name: 'a shell-style default in a reference', plan: withValue(['steps', 0, 'args'], ['${X:-y}']), expect: { pointer: '/steps/0/args/0', message: /^invalid variable reference "\$\{X:-y\}"/ } },
  { name: 'an unclosed reference', plan: step('cwd', '${PLAN_DIR'), expect: { pointer: '/steps/0/cwd', message: /^invalid variable reference/ } },
  { name: 'a reference in a precondition argument', plan: step('preconditions', [{ command: 'test', args: ['-d', '${NOPE}'] }]), expect: { pointer: '/steps/0/preconditions/0/args/1', message: /^unknown variable \$\{NOPE\}/ } },
  { name: 'a reference in globals.env', plan: global('env', { P: '${MISSING}' }), expect: { pointer: '/globals/env/P', at: valueOf('P'), message: /^unknown variable \$\{MISSING\}/ } },
  { name: 'a --var for an undeclared variable', plan: BASE, varArgs: ['TARGET=x'], expect: { file: '<command line>', at: 'none', message: /^--var TARGET: variable "TARGET" is not declared/ } },
  { name: 'a --var without "="', plan: BASE, varArgs: ['TARGET'], expect: { file: '<command line>', at: 'none', message: /^--var "TARGET": expected KEY=VALUE$/ } },
  { name: 'a --var with an empty name (the value is not shown)', plan: BASE, varArgs: ['=secret'], expect: { file: '<command line>', at: 'none', message: /^--var "=\.\.\.": expected KEY=VALUE, the key is empty$/ } },
  { name: 'a --var with an invalid name', plan: BASE, varArgs: ['A-B=1'], expect: { file: '<command line>', at: 'none', message: /^--var A-B=\.\.\.: invalid variable name "A-B"/ } },
  { name: 'a --var setting a built-in', plan: BASE, varArgs: ['RUN_ID=x'], expect: { file: '<command line>', at: 'none', message: /^--var RUN_ID: RUN_ID is a built-in variable/ } },
  { name: 'a secret value not matching its pattern (not shown)', plan: decl({ T: { secret: true, pattern: '^tok_' } }), varArgs: ['T=hunter2'], expect: { file: '<command line>', at: 'none', message: /^value of variable "T" \(from --var T\) does not match its pattern \/\^tok_\/$/, notShown: 'hunter2' } },
];

const pre = (...list: object[]) => step('preconditions', list);
const PRECONDITIONS: PlanCase[] = [
  { name: 'a precondition with command and value', plan: pre({ command: 'true', value: 'x', not_empty: true }), expect: { pointer: '/steps/0/preconditions/0', message: /^a precondition has either "command" or "value", not both$/ } },
  { name: 'a value precondition without a test', plan: pre({ value: 'x' }), expect: { pointer: '/steps/0/preconditions/0', message: /^a value precondition needs exactly one of not_empty, equals, matches, in$/ } },
  { name: 'a value precondition with two tests', plan: pre({ value: 'x', equals: 'x', matches: 'x' }), expect: { pointer: '/steps/0/preconditions/0', message: /needs exactly one of not_empty, equals, matches, in \(got equals, matches\)$/ } },
  { name: 'a value precondition with args', plan: pre({ value: 'x', not_empty: true, args: ['y'] }), expect: { pointer: '/steps/0/preconditions/0/args', message: /^"args" goes with "command", not with "value"$/ } },
  { name: 'a command precondition with a test', plan: pre({ command: 'true', equals: 'x' }), expect: { pointer: '/steps/0/preconditions/0/equals', message: /^"equals" goes with "value", not with "command"$/ } },
  { name: 'an empty precondition', plan: pre({}), expect: { pointer: '/steps/0/preconditions/0', message: /^a precondition needs "command", "value" or "not"$/ } },
  { name: 'not_empty false', plan: pre({ value: 'x', not_empty: false }), expect: { pointer: '/steps/0/preconditions/0/not_empty', at: valueOf('not_empty'), message: /^must be true, got false$/ } },
  { name: 'an invalid regular expression in matches', plan: pre({ value: 'x', matches: '(' }), expect: { pointer: '/steps/0/preconditions/0/matches', at: valueOf('matches'), message: /^invalid regular expression: / } },
  { name: 'an empty precondition command', plan: pre({ command: '' }), expect: { pointer: '/steps/0/preconditions/0/command', message: /^must not be empty$/ } },
];

// ---------------------------------------------------------------------------------------
// Vars files

const withVars = (vars: Content, extra: Partial<PlanCase> = {}): Omit<PlanCase, 'name' | 'expect'> => ({
  plan: decl({ A: {}, B: {} }),
  vars,
  ...extra,
});
const VARS_FILES: PlanCase[] = [
  { name: 'a vars file with a syntax error', ...withVars('{"A": "1",}'), expect: { file: 'vars.json', at: '1:11', message: /^invalid JSON: expected a property name in double quotes \(a trailing comma/ } },
  { name: 'an empty vars file', ...withVars(''), expect: { file: 'vars.json', at: '1:1', message: /^invalid JSON: the file is empty/ } },
  { name: 'a vars file that is an array', ...withVars('["A=1"]'), expect: { file: 'vars.json', at: '1:1', message: /^a vars file must be a JSON object mapping variable names to string values, got an array$/ } },
  { name: 'a vars file that is null', ...withVars('null'), expect: { file: 'vars.json', at: '1:1', message: /^a vars file must be a JSON object .*, got null$/ } },
  { name: 'a number in a vars file', ...withVars({ A: 1 }), expect: { file: 'vars.json', pointer: '/A', at: valueOf('A'), message: /^value of "A" must be a string, got 1$/ } },
  { name: 'an object in a vars file', ...withVars({ A: { value: 'x' } }), expect: { file: 'vars.json', pointer: '/A', message: /^value of "A" must be a string, got an object$/ } },
  { name: 'a key twice in a vars file', ...withVars('{\n  "A": "1",\n  "A": "2"\n}'), expect: { file: 'vars.json', pointer: '/A', at: '3:3', message: /^duplicate key "A" \(first at line 2\)$/ } },
  { name: 'an undeclared key in a vars file', ...withVars({ C: '1' }), expect: { file: 'vars.json', pointer: '/C', at: nameOf('C'), message: /^variable "C" is not declared in the plan's "vars" \(declared: A, B\)$/ } },
  { name: 'a built-in in a vars file', ...withVars({ STATE_DIR: '/x' }), expect: { file: 'vars.json', pointer: '/STATE_DIR', message: /^STATE_DIR is a built-in variable and cannot be set$/ } },
  { name: 'a NUL character in a vars file value (not shown)', ...withVars({ A: 'se\u0000cret' }), expect: { file: 'vars.json', pointer: '/A', message: /^value of "A" contains a NUL character \(\\u0000\), which no command can receive$/, notShown: 'cret' } },
  { name: 'invalid UTF-8 in a vars file', ...withVars(Buffer.from('{"A": "\xe9"}', 'latin1')), expect: { file: 'vars.json', at: '1:8', message: /^invalid UTF-8: byte 0xe9/ } },
  { name: '10,000 unclosed brackets in a vars file', ...withVars(`{"A": ${'['.repeat(10_000)}`), expect: { file: 'vars.json', at: 'end', message: /^invalid JSON: unexpected end of the file: expected '\]'/ } },
  { name: 'a vars file given as a directory', plan: BASE, varsPath: '.', expect: { file: '.', at: 'none', message: /^vars file is a directory: / } },
  { name: 'a vars file that does not exist', plan: BASE, varsPath: 'missing-vars.json', expect: { file: 'missing-vars.json', at: 'none', message: /^vars file not found: .*missing-vars\.json$/ } },
  { name: '/dev/zero as a vars file (never ends)', plan: BASE, varsPath: '/dev/zero', expect: { file: '/dev/zero', at: 'none', message: /^vars file is a character device/ } },
  { name: 'a vars file value not matching the pattern', plan: decl({ A: { pattern: '^[0-9]+$' } }), vars: { A: 'x' }, expect: { file: 'vars.json', pointer: '/A', at: valueOf('A'), message: /^value of variable "A" does not match its pattern \/\^\[0-9\]\+\$\/: got "x"$/ } },
];

// ---------------------------------------------------------------------------------------
// Nesting and size

const DEPTH = 10_000;
const NESTING: PlanCase[] = [
  { name: `${DEPTH} unclosed [`, plan: () => '['.repeat(DEPTH), expect: { at: 'end', message: new RegExp(`^invalid JSON: unexpected end of the file: expected '\\]' for the '\\[' at line 1, column ${DEPTH} \\(${DEPTH} brackets are open\\)$`) } },
  { name: `${DEPTH} unclosed {"a":`, plan: () => '{"a":'.repeat(DEPTH), expect: { at: 'end', message: /^invalid JSON: unexpected end of the file \(expected a value\)$|^invalid JSON: unexpected end of the file: expected '}'/ } },
  { name: `${DEPTH * 10} unclosed [ inside steps`, plan: () => `{"plan_id": "p", "version": "1", "steps": ${'['.repeat(DEPTH * 10)}`, expect: { at: 'end', message: /^invalid JSON: unexpected end of the file: expected '\]'/ } },
  { name: `${DEPTH} levels of well-formed nesting in metadata, beside a real problem`, plan: () => `{"plan_id": "p", "version": 1, "metadata": {"deep": ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}, "steps": [{"id": "a", "command": "true"}]}`, expect: { pointer: '/version', at: { needle: '1,' }, message: /^expected a string, got 1$/ } },
  { name: `${DEPTH} levels of nested objects as a step`, plan: () => `{"plan_id": "p", "version": "1", "steps": [${'{"a": '.repeat(DEPTH)}1${'}'.repeat(DEPTH)}]}`, expect: { pointer: '/steps/0/a', at: { needle: '"a"' }, message: /^unknown property "a"/ } },
  { name: `${DEPTH} levels of nesting under an unknown property, with a duplicate at the bottom`, plan: () => `{"plan_id": "p", "version": "1", "x": ${'{"k": '.repeat(DEPTH)}{"d": 1, "d": 2}${'}'.repeat(DEPTH)}, "steps": [{"id": "a", "command": "true"}]}`, expect: { pointer: `/x${'/k'.repeat(DEPTH)}/d`, at: { needle: '"d"', nth: 1 }, message: /^duplicate key "d"/ } },
  { name: `${DEPTH} levels of nesting as an env value`, plan: () => `{"plan_id": "p", "version": "1", "steps": [{"id": "a", "command": "true", "env": {"A": ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}}]}`, expect: { pointer: '/steps/0/env/A', at: { needle: '"A": [', skip: 5 }, message: /^expected a string, got an array$/ } },
];

/** A plan of `n` steps, one per line, with `last` as the last step's text. */
function bigPlan(n: number, last: string): string {
  const lines = Array.from({ length: n - 1 }, (_, i) => `  {"id": "s${i}", "command": "echo", "args": ["${i}"]${i > 0 ? `, "depends_on": ["s${i - 1}"]` : ''}}`);
  return `{"plan_id": "big", "version": "1", "steps": [\n${lines.join(',\n')},\n  ${last}\n]}\n`;
}
const N = 100_000;
const BIG: PlanCase[] = [
  { name: 'a 100,000-step plan with an unknown dependency in its last step', plan: () => bigPlan(N, '{"id": "last", "command": "true", "depends_on": ["nope"]}'), expect: { pointer: `/steps/${N - 1}/depends_on/0`, at: { needle: '"nope"' }, message: /^depends on unknown step "nope"$/ }, maxMs: 8000 },
  { name: 'a 100,000-step plan with a wrong type in its last step', plan: () => bigPlan(N, '{"id": "last", "command": "true", "retries": "3"}'), expect: { pointer: `/steps/${N - 1}/retries`, at: { needle: '"retries": "3"', skip: 11 }, message: /^expected an integer, got "3"$/ }, maxMs: 8000 },
  { name: 'a 100,000-step plan with a duplicate key in its last step', plan: () => bigPlan(N, '{"id": "last", "command": "true", "command": "false"}'), expect: { pointer: `/steps/${N - 1}/command`, at: { needle: '"command": "false"' }, message: new RegExp(`^duplicate key "command" \\(first at line ${N + 1}, column \\d+\\)$`) }, maxMs: 8000 },
  { name: 'a 100,000-step plan missing its closing bracket', plan: () => bigPlan(N, '{"id": "last", "command": "true"}').replace(/\n\]\}\n$/, '\n'), expect: { at: 'end', message: /^invalid JSON: unexpected end of the file: expected '\]' for the '\[' at line 1, column 45 \(2 brackets are open\)$/ }, maxMs: 8000 },
];

// ---------------------------------------------------------------------------------------
// The plan file itself (kinds that are refused before anything is read)

const FILES: PlanCase[] = [
  { name: 'a plan path that does not exist', plan: BASE, path: 'nope/plan.json', expect: { file: 'nope/plan.json', at: 'none', message: /^plan file not found: .*nope\/plan\.json$/ } },
  { name: 'a plan path that is a directory', plan: BASE, path: '.', expect: { file: '.', at: 'none', message: /^plan file is a directory: / } },
  { name: 'a plan path through a file', plan: BASE, path: 'plan.json/x', expect: { file: 'plan.json/x', at: 'none', message: /^plan file not found: .*\(a directory on the way is a file\)$/ } },
  { name: '/dev/zero as a plan (never ends)', plan: BASE, path: '/dev/zero', expect: { file: '/dev/zero', at: 'none', message: /^plan file is a character device \(such as a terminal or \/dev\/zero\), not a file: \/dev\/zero$/ } },
  { name: '/dev/null as a plan', plan: BASE, path: '/dev/null', expect: { file: '/dev/null', at: 'none', message: /^plan file is a character device/ } },
  { name: 'a plan path of 5,000 characters', plan: BASE, path: 'x'.repeat(5000), expect: { file: 'x'.repeat(5000), at: 'none', message: /^plan file path is too long \(\d+ characters\)$/ } },
];

/** Every case of the corpus. */
export const CASES: PlanCase[] = [
  ...SYNTAX,
  ...TRUNCATED,
  ...DOCUMENT,
  ...WRONG_TYPES,
  ...WRONG_ITEMS,
  ...RANGES,
  ...STRINGS,
  ...UNKNOWN,
  ...DUPLICATES,
  ...GRAPH,
  ...VARS,
  ...PRECONDITIONS,
  ...VARS_FILES,
  ...NESTING,
  ...BIG,
  ...FILES,
];
