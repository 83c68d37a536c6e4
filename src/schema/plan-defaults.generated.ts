/* Generated from schemas/plan.schema.json by scripts/gen-defaults.mjs; do not edit. */

/** The `default` of every plan property that has one, by where it appears. */
export const PLAN_DEFAULTS = {
  globals: {
    default_timeout_sec: 3600,
    kill_grace_sec: 10,
    fail_fast: false,
    on_mutex_busy: "wait",
  },
  step: {
    args: [],
    depends_on: [],
    kill_signal: "SIGTERM",
    retries: 0,
    retry_delay_sec: 0,
    retry_backoff: 1,
    retry_max_delay_sec: 31536000,
    retry_jitter: "none",
    critical: true,
    on_failure: "abort",
    trigger_rule: "all_success",
    shell: false,
    success_exit_codes: [0],
    tolerated_failures: 0,
    fail_fast: false,
  },
  var: {
    required: false,
    secret: false,
  },
} as const;
