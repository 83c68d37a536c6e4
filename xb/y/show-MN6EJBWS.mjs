import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  runDurationMs,
  runSummary
} from "./chunk-RNVCY2I6.mjs";
import {
  formatDuration
} from "./chunk-TRUM2TFJ.mjs";
import {
  engineSeemsGone,
  formatLocalTime,
  formatLocalTimeOfDay,
  parseJsonColumn,
  renderTable,
  requireRunsDb,
  resolveRun,
  shortPath,
  stepsWithAttempts,
  using
} from "./chunk-MYH7MVTT.mjs";
import "./chunk-QY6XNTNJ.mjs";
import {
  resolveStateDir
} from "./chunk-UAN2LSTN.mjs";
import {
  ExitCode,
  reportError
} from "./chunk-4DO664QM.mjs";
import "./chunk-R5JLVHAA.mjs";

// ../../work/main/src/commands/show.ts
async function showCommand(runRef, opts) {
  try {
    const stateDir = resolveStateDir(opts.stateDir);
    const { run, steps } = using(requireRunsDb(stateDir), (db) => {
      const r = resolveRun(db, runRef, stateDir);
      return { run: r, steps: stepsWithAttempts(db, r.run_id) };
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(showJson(run, steps), null, 2)}
`);
    else process.stdout.write(showText(run, steps));
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
function showJson(run, steps) {
  return {
    run: {
      ...runSummary(run),
      plan_sha256: run.plan_sha256,
      vars: parseJsonColumn(run.vars_json, {}),
      max_concurrency: run.max_concurrency,
      cancel_requested_at: run.cancel_requested_at
    },
    steps: steps.map(({ step: s, attempts }) => ({
      step_id: s.step_id,
      name: s.name,
      position: s.position,
      depends_on: parseJsonColumn(s.depends_on, []),
      status: s.status,
      reason: s.reason,
      detail: s.detail,
      upstream: s.upstream,
      attempts: s.attempts,
      exit_code: s.exit_code,
      signal: s.signal,
      started_at: s.started_at,
      finished_at: s.finished_at,
      duration_ms: s.duration_ms,
      log_path: s.log_path,
      attempt_details: attempts.map(attemptJson)
    }))
  };
}
function attemptJson(a) {
  return {
    attempt: a.attempt,
    status: a.status,
    exit_code: a.exit_code,
    signal: a.signal,
    reason: a.reason,
    error: a.error,
    started_at: a.started_at,
    finished_at: a.finished_at,
    duration_ms: a.duration_ms,
    log_path: a.log_path
  };
}
function showText(run, steps, now = Date.now()) {
  const status = run.exit_code === null ? run.status : `${run.status} (exit code ${run.exit_code})`;
  const fields = [
    ["run", run.run_id],
    ["plan", `${run.plan_id} ${run.plan_version} (${shortPath(run.plan_path)})`],
    ["status", run.cancel_requested_at && run.status === "running" ? `${status}, cancelling` : status],
    ["started", formatLocalTime(run.started_at)]
  ];
  if (run.finished_at) fields.push(["finished", formatLocalTime(run.finished_at)]);
  fields.push(
    [run.status === "running" ? "elapsed" : "duration", formatDuration(runDurationMs(run, now))],
    [
      "steps",
      `${run.steps_succeeded} succeeded, ${run.steps_failed} failed, ${run.steps_skipped} skipped, ${run.steps_cancelled} cancelled (of ${run.steps_total})`
    ],
    ["cwd", run.cwd],
    ["engine", `pid ${run.pid} on ${run.hostname}`]
  );
  const width = Math.max(...fields.map(([k]) => k.length));
  let out = fields.map(([k, v]) => `${k.padEnd(width)}  ${v}
`).join("");
  if (engineSeemsGone(run, now)) {
    out += `note: the run is recorded as running, but its engine (pid ${run.pid} on ${run.hostname}) is gone
`;
  }
  out += "\n";
  out += renderTable(
    [
      { header: "STEP" },
      { header: "STATUS" },
      { header: "ATTEMPTS", align: "right" },
      { header: "RESULT" },
      { header: "STARTED" },
      { header: "DURATION", align: "right" },
      { header: "LOG" }
    ],
    steps.map(({ step: s }) => [
      s.step_id,
      s.status,
      String(s.attempts),
      stepResult(s),
      formatLocalTimeOfDay(s.started_at, run.started_at),
      formatDuration(s.duration_ms),
      s.log_path ? shortPath(s.log_path) : "-"
    ])
  );
  return out;
}
function stepResult(s) {
  switch (s.status) {
    case "succeeded":
      return s.exit_code === null ? "succeeded" : `exit code ${s.exit_code}`;
    case "failed":
      return s.detail ?? failureText(s);
    case "skipped":
    case "cancelled":
      return s.detail ?? s.reason ?? "-";
    case "pending":
      return s.reason ? `retrying after: ${s.detail ?? failureText(s)}` : "-";
    default:
      return "-";
  }
}
function failureText(s) {
  if (s.signal) return `killed by ${s.signal}`;
  if (s.exit_code !== null) return `exit code ${s.exit_code}`;
  return s.reason ?? "failed";
}
export {
  showCommand,
  showJson,
  showText,
  stepResult
};
