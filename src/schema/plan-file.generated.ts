/* Generated from schemas/plan.schema.json by scripts/gen-types.mjs; do not edit. */

/**
 * A plan for `engine run`: steps (external commands) whose depends_on edges form a DAG.
 */
export interface Plan {
  /**
   * Path or URL of this schema, for editors.
   */
  $schema?: string;
  /**
   * Stable identifier of the plan.
   */
  plan_id: string;
  /**
   * Version of the plan.
   */
  version: string;
  description?: string;
  /**
   * Free-form data, recorded but not interpreted.
   */
  metadata?: {};
  /**
   * Declared variables, referenced as ${NAME}.
   */
  vars?: {
    [k: string]: VarDecl;
  };
  globals?: Globals;
  /**
   * @minItems 1
   */
  steps: [Step, ...Step[]];
}
export interface VarDecl {
  description?: string;
  /**
   * Value used when neither --var nor --vars-file gives one.
   */
  default?: string;
  /**
   * The run refuses to start without a value.
   */
  required?: boolean;
  /**
   * Regular expression (ECMAScript, unanchored: add ^ and $) the value must match.
   */
  pattern?: string;
  /**
   * The value is shown as *** in events, runs.db and console output.
   */
  secret?: boolean;
}
export interface Globals {
  /**
   * Steps running at once, 1 to 10000; default: number of CPUs.
   */
  max_concurrency?: number;
  /**
   * Timeout of an attempt when the step gives none, in seconds; at most 31536000 (365 days).
   */
  default_timeout_sec?: number;
  /**
   * Seconds between SIGTERM and SIGKILL when a step is stopped; at most 31536000 (365 days).
   */
  kill_grace_sec?: number;
  env?: StringMap;
  /**
   * Working directory of every step; a relative path resolves against the directory engine runs in (use ${PLAN_DIR}/... for the plan file's directory). Variables are substituted.
   */
  working_dir?: string;
}
/**
 * Environment added to every step (names without '=' or NUL).
 */
export interface StringMap {
  [k: string]: string;
}
export interface Step {
  /**
   * Unique within the plan; at most 200 characters (it names the step's log files).
   */
  id: string;
  name?: string;
  description?: string;
  /**
   * Executable (looked up on PATH), or a shell script line when shell is true.
   */
  command: string;
  args?: string[];
  depends_on?: string[];
  /**
   * Timeout of each attempt, in seconds; at most 31536000 (365 days).
   */
  timeout_sec?: number;
  /**
   * Further attempts after a failure or timeout; at most 10000.
   */
  retries?: number;
  /**
   * Delay before the second attempt, in seconds; at most 31536000 (365 days).
   */
  retry_delay_sec?: number;
  /**
   * Multiplier of the delay after each failed attempt; 1 to 1000.
   */
  retry_backoff?: number;
  /**
   * Upper bound of the delay between attempts, in seconds; at most and by default 31536000 (365 days), so that a large retry_backoff never asks for a longer delay than a plan could write.
   */
  retry_max_delay_sec?: number;
  /**
   * When false, the step's failure neither fails nor aborts the run.
   */
  critical?: boolean;
  on_failure?: 'abort' | 'skip_dependents' | 'continue';
  trigger_rule?: 'all_success' | 'all_done' | 'one_failed' | 'none_failed';
  /**
   * Cleanup steps (trigger_rule all_done) only: the ancestor steps whose effect this step undoes (a lock it releases, a worktree it removes). When the cleanup already ran, engine resume runs these again, and what depends on them; without undoes it runs every ancestor of the cleanup again.
   */
  undoes?: string[];
  /**
   * Working directory; a relative path resolves against globals.working_dir (default: the directory engine runs in). Variables are substituted.
   */
  cwd?: string;
  env?: StringMap1;
  /**
   * Run command as a /bin/sh script line; args must then be empty.
   */
  shell?: boolean;
  /**
   * Exit codes that count as success, each 0 to 255 (a process cannot exit with any other).
   *
   * @minItems 1
   */
  success_exit_codes?: [number, ...number[]];
  /**
   * Checks made once, when the step becomes ready (before its first attempt). All must hold; otherwise the step is skipped with reason `precondition` and its dependents see a skipped dependency.
   */
  preconditions?: Precondition[];
}
export interface StringMap1 {
  [k: string]: string;
}
/**
 * Either a command ({command, args}: holds when it exits 0; run without a shell in the step's cwd and env, bounded by the step's timeout) or a value test ({value} with exactly one of not_empty, equals, matches).
 */
export interface Precondition {
  /**
   * Shown when the precondition does not hold.
   */
  description?: string;
  /**
   * Executable looked up on PATH; the precondition holds when it exits 0.
   */
  command?: string;
  args?: string[];
  /**
   * Text to test, usually a ${VAR} reference.
   */
  value?: string;
  /**
   * Holds when value is not the empty string.
   */
  not_empty?: true;
  /**
   * Holds when value equals this text.
   */
  equals?: string;
  /**
   * Holds when value matches this regular expression (ECMAScript, unanchored).
   */
  matches?: string;
}
