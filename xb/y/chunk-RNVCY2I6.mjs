import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  formatDuration
} from "./chunk-TRUM2TFJ.mjs";
import {
  RUN_STATUSES,
  engineSeemsGone,
  formatLocalTime,
  listRuns,
  openRunsDbForReading,
  renderTable,
  using
} from "./chunk-MYH7MVTT.mjs";
import {
  resolveStateDir
} from "./chunk-UAN2LSTN.mjs";
import {
  ExitCode,
  UserError,
  reportError
} from "./chunk-4DO664QM.mjs";

// ../../work/main/src/commands/runs.ts
var DEFAULT_RUNS_LIMIT = 20;
function runSummary(r) {
  return {
    run_id: r.run_id,
    plan_id: r.plan_id,
    plan_version: r.plan_version,
    plan_path: r.plan_path,
    status: r.status,
    exit_code: r.exit_code,
    started_at: r.started_at,
    finished_at: r.finished_at,
    duration_ms: r.duration_ms,
    steps_total: r.steps_total,
    steps_succeeded: r.steps_succeeded,
    steps_failed: r.steps_failed,
    steps_skipped: r.steps_skipped,
    steps_cancelled: r.steps_cancelled,
    cwd: r.cwd,
    pid: r.pid,
    hostname: r.hostname
  };
}
async function runsCommand(opts) {
  try {
    const stateDir = resolveStateDir(opts.stateDir);
    if (opts.status !== void 0 && !RUN_STATUSES.includes(opts.status)) {
      throw new UserError(`unknown status "${opts.status}"; expected one of: ${RUN_STATUSES.join(", ")}`, ExitCode.usage);
    }
    const db = openRunsDbForReading(stateDir);
    if (!db) {
      if (opts.json) process.stdout.write("[]\n");
      else process.stdout.write(`no runs yet in ${stateDir}
`);
      return ExitCode.ok;
    }
    const rows = using(
      db,
      (d) => listRuns(d, { status: opts.status, planId: opts.plan, limit: opts.limit ?? DEFAULT_RUNS_LIMIT })
    );
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(rows.map(runSummary), null, 2)}
`);
      return ExitCode.ok;
    }
    if (rows.length === 0) {
      const filtered = opts.status !== void 0 || opts.plan !== void 0;
      process.stdout.write(filtered ? `no runs match in ${stateDir}
` : `no runs yet in ${stateDir}
`);
      return ExitCode.ok;
    }
    process.stdout.write(runsTable(rows));
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
function runsTable(rows, now = Date.now()) {
  return renderTable(
    [
      { header: "RUN ID" },
      { header: "PLAN" },
      { header: "STATUS" },
      { header: "STARTED" },
      { header: "DURATION", align: "right" },
      { header: "STEPS ok/failed/skipped" }
    ],
    rows.map((r) => [
      r.run_id,
      r.plan_id,
      engineSeemsGone(r, now) ? `${r.status} (engine gone)` : r.status,
      formatLocalTime(r.started_at),
      formatDuration(runDurationMs(r, now)),
      stepCounts(r)
    ])
  );
}
function runDurationMs(r, now = Date.now()) {
  if (r.duration_ms !== null) return r.duration_ms;
  if (r.status !== "running") return null;
  const started = Date.parse(r.started_at);
  const until = engineSeemsGone(r, now) ? Date.parse(r.heartbeat_at) : now;
  return Number.isFinite(started) && Number.isFinite(until) ? Math.max(0, until - started) : null;
}
function stepCounts(r) {
  const base = `${r.steps_succeeded}/${r.steps_failed}/${r.steps_skipped} of ${r.steps_total}`;
  return r.steps_cancelled > 0 ? `${base}, ${r.steps_cancelled} cancelled` : base;
}

export {
  DEFAULT_RUNS_LIMIT,
  runSummary,
  runsCommand,
  runsTable,
  runDurationMs
};
