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
  /**
   * Run-level time limit in seconds: when reached, the run is cancelled as by Ctrl-C (cleanup steps with all_done still run) and ends failed with reason run_timeout (exit 1).
   */
  timeout_sec?: number;
  /**
   * true: when a critical step fails with on_failure abort, running steps are stopped too (instead of finishing), then cleanup steps run.
   */
  fail_fast?: boolean;
  /**
   * A name the whole run holds: two runs holding it never overlap (across engines sharing the state directory). Variables are substituted.
   */
  mutex?: string;
  /**
   * What a run does when globals.mutex is held: wait for it (in the order runs asked), fail at once (exit 1, naming the holder), or cancel_other: cancel the running holder, then take it.
   */
  on_mutex_busy?: 'wait' | 'fail' | 'cancel_other';
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
   * Executable (looked up on PATH), or a shell script line when shell is true. A step has either command or plan.
   */
  command?: string;
  /**
   * Instead of command: run another plan file (path relative to this plan's directory) as a child run in the same engine and state directory, under this run's concurrency limit. The step's status is the child run's outcome.
   */
  plan?: string;
  vars?: StringMap1;
  args?: string[];
  depends_on?: string[];
  /**
   * Timeout of each attempt, in seconds; at most 31536000 (365 days).
   */
  timeout_sec?: number;
  /**
   * An attempt that writes nothing to stdout or stderr for this many seconds is stopped (reason idle_timeout).
   */
  idle_timeout_sec?: number;
  /**
   * The first signal sent to the step's process group on timeout, cancel or abort; SIGKILL follows after the grace period.
   */
  kill_signal?: 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGQUIT' | 'SIGUSR1' | 'SIGUSR2' | 'SIGKILL';
  /**
   * Seconds between kill_signal and SIGKILL for this step (default: globals.kill_grace_sec).
   */
  kill_grace_sec?: number;
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
   * Which failures are retried (default: every failure but a command that cannot start): "exit:N", "exit:N-M", "exit:*" (any failing exit code), "timeout", "idle_timeout", "signal", "lost" (a worker that died). A failure that does not match ends the step at once.
   *
   * @minItems 1
   */
  retry_on?: [string, ...string[]];
  /**
   * full: each retry delay is drawn uniformly from [0, computed delay] (AWS "full jitter"), so many runs retrying one service do not retry in lock-step.
   */
  retry_jitter?: 'none' | 'full';
  /**
   * Total time budget of the step in seconds, from its first attempt's start, covering every attempt and retry delay: when it is reached the running attempt is stopped (reason deadline) and no further attempt starts.
   */
  deadline_sec?: number;
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
  env?: StringMap2;
  /**
   * true: run command as a /bin/sh script line (args must be empty). A shell name such as "bash" (looked up on PATH) or path: run the line with that shell and -e -o pipefail, so a failing command or a failing stage of a pipeline fails the step; the shell must support pipefail (bash, zsh, ksh).
   */
  shell?: boolean | string;
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
  /**
   * A name: at most one step holding it runs at a time, across every engine that shares the state directory. Variables are substituted ("deploy-${ENV}"). A step waiting for it holds no concurrency slot; waiters get it in the order they asked.
   */
  mutex?: string;
  /**
   * Globs (relative to the step's cwd) of the files the step reads: when their contents, the step's command, args, env and cwd are those of its last successful attempt in this state directory (and every generates path exists), the step is skipped as up_to_date and dependents see it as succeeded. engine run --force ignores this.
   *
   * @minItems 1
   */
  sources?: [string, ...string[]];
  /**
   * Globs (relative to the step's cwd) of what the step produces: an up-to-date skip also needs each of them to match an existing path.
   *
   * @minItems 1
   */
  generates?: [string, ...string[]];
  /**
   * Keys of this step's outputs that are secrets (a token it fetched): their values are masked as *** wherever they appear afterwards (events, runs.db, later steps' argv and logs) and are never recorded; engine resume runs the step again.
   */
  secret_outputs?: string[];
  /**
   * Static fan-out: the step runs once per combination of the axes (each an array of strings), minus the exclude entries (an entry matches a combination when every key it names has that value), plus the include entries (each a combination of its own). ${matrix.KEY} is substituted in the step's fields. Each instance is a step with the id STEP[KEY=VALUE,...].
   */
  matrix?: {
    include?: Record<string, string>[];
    exclude?: Record<string, string>[];
    [axis: string]: string[] | Record<string, string>[] | undefined;
  };
  /**
   * Dynamic fan-out: a JSON array of strings or of flat objects, usually ${steps.ID.outputs.KEY}. When it is known (the step's dependencies have ended), the step runs once per item with ${item} (or ${item.FIELD}) substituted; at most 10,000 items.
   */
  for_each?: string;
  /**
   * matrix / for_each: at most this many instances run at once (under the run's limit).
   */
  max_parallel?: number;
  /**
   * matrix / for_each: the step as a whole succeeds while no more instances than this fail: a count, or a percentage of the instances ("25%", rounded down).
   */
  tolerated_failures?: number | string;
  /**
   * matrix / for_each: once more instances failed than tolerated_failures allows, the remaining instances are cancelled.
   */
  fail_fast?: boolean;
}
/**
 * With plan: values for the child plan's variables (substituted, outputs included). Checked against the child's declarations.
 */
export interface StringMap1 {
  [k: string]: string;
}
export interface StringMap2 {
  [k: string]: string;
}
/**
 * Either a command ({command, args}: holds when it exits 0; run without a shell in the step's cwd and env, bounded by the step's timeout), a value test ({value} with exactly one of not_empty, equals, matches, in), or {not: precondition} (holds when that one does not).
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
  /**
   * Holds when value is one of these texts.
   *
   * @minItems 1
   */
  in?: [string, ...string[]];
  not?: Precondition;
}
