import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  openRunsDb,
  recoverInterruptedRuns,
  runsDbPath
} from "./chunk-QY6XNTNJ.mjs";
import {
  ExitCode,
  UserError
} from "./chunk-4DO664QM.mjs";

// ../../work/main/src/query/format.ts
import { relative } from "node:path";
var pad2 = (n) => String(n).padStart(2, "0");
function formatLocalTime(iso) {
  const d = parseTime(iso);
  if (!d) return "-";
  return `${localDate(d)} ${localClock(d)}`;
}
function formatLocalTimeOfDay(iso, reference) {
  const d = parseTime(iso);
  if (!d) return "-";
  const ref = parseTime(reference);
  return ref && localDate(ref) === localDate(d) ? localClock(d) : `${localDate(d)} ${localClock(d)}`;
}
function parseTime(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}
function localDate(d) {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}
function localClock(d) {
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}
function renderTable(columns, rows) {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells) => columns.map((c, i) => {
    const cell = cells[i] ?? "";
    const w = widths[i];
    return c.align === "right" ? cell.padStart(w) : cell.padEnd(w);
  }).join("  ").trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].map((l) => `${l}
`).join("");
}
function shortPath(p, cwd = process.cwd()) {
  const rel = relative(cwd, p);
  return rel !== "" && rel.length < p.length && !rel.startsWith("..") ? rel : p;
}

// ../../work/main/src/query/runs-reader.ts
import { existsSync } from "node:fs";
import { hostname } from "node:os";
var RUN_STATUSES = ["running", "succeeded", "failed", "cancelled", "interrupted"];
var FINAL_STEP_STATUSES = /* @__PURE__ */ new Set(["succeeded", "failed", "skipped", "cancelled"]);
var MAX_CANDIDATES = 10;
function openRunsDbForReading(stateDir) {
  const path = runsDbPath(stateDir);
  if (!existsSync(path)) return null;
  recoverInterruptedRuns(stateDir);
  return openRunsDb(path, { readonly: true });
}
function requireRunsDb(stateDir) {
  const db = openRunsDbForReading(stateDir);
  if (!db) throw new UserError(`no runs yet in ${stateDir} (no runs.db there)`, ExitCode.usage);
  return db;
}
function using(db, fn) {
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
function listRuns(db, filter) {
  const where = [];
  const params = { limit: filter.limit };
  if (filter.status !== void 0) {
    where.push("status = @status");
    params.status = filter.status;
  }
  if (filter.planId !== void 0) {
    where.push("plan_id = @plan_id");
    params.plan_id = filter.planId;
  }
  const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
               ORDER BY started_at DESC, run_id DESC LIMIT @limit`;
  return db.prepare(sql).all(params);
}
function getRun(db, runId) {
  return db.prepare("SELECT * FROM runs WHERE run_id = ?").get(runId);
}
function resolveRun(db, ref, stateDir) {
  if (ref === "last") {
    const newest = db.prepare("SELECT * FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1").get();
    if (!newest) throw new UserError(`no runs yet in ${stateDir}`, ExitCode.usage);
    return newest;
  }
  if (ref !== "") {
    const exact = getRun(db, ref);
    if (exact) return exact;
    const candidates = db.prepare(
      `SELECT * FROM runs WHERE run_id >= @lo AND run_id < @hi
           ORDER BY started_at DESC, run_id DESC LIMIT @n`
    ).all({ lo: ref, hi: `${ref}\u{10FFFF}`, n: MAX_CANDIDATES + 1 }).filter((r) => r.run_id.startsWith(ref));
    if (candidates.length === 1) return candidates[0];
    if (candidates.length > 1) {
      const shown = candidates.slice(0, MAX_CANDIDATES);
      const lines = shown.map(
        (r) => `  ${r.run_id}  ${r.plan_id}  ${r.status}  ${formatLocalTime(r.started_at)}`
      );
      if (candidates.length > MAX_CANDIDATES) lines.push("  \u2026 and more; give a longer prefix");
      throw new UserError(`run id prefix "${ref}" is ambiguous; it matches:
${lines.join("\n")}`, ExitCode.usage);
    }
  }
  throw new UserError(`no run matches "${ref}" in ${stateDir} (engine runs lists recent runs)`, ExitCode.usage);
}
function stepsOf(db, runId) {
  return db.prepare("SELECT * FROM steps WHERE run_id = ? ORDER BY position").all(runId);
}
function getStep(db, runId, stepId) {
  return db.prepare("SELECT * FROM steps WHERE run_id = ? AND step_id = ?").get(runId, stepId);
}
function attemptsOf(db, runId) {
  const rows = db.prepare("SELECT * FROM attempts WHERE run_id = ? ORDER BY step_id, attempt").all(runId);
  const byStep = /* @__PURE__ */ new Map();
  for (const r of rows) {
    const list = byStep.get(r.step_id);
    if (list) list.push(r);
    else byStep.set(r.step_id, [r]);
  }
  return byStep;
}
function attemptsOfStep(db, runId, stepId) {
  return db.prepare("SELECT * FROM attempts WHERE run_id = ? AND step_id = ? ORDER BY attempt").all(runId, stepId);
}
function stepsWithAttempts(db, runId) {
  const attempts = attemptsOf(db, runId);
  return stepsOf(db, runId).map((step) => ({ step, attempts: attempts.get(step.step_id) ?? [] }));
}
function parseJsonColumn(text, fallback) {
  if (text === null) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}
var STALE_HEARTBEAT_MS = 3e4;
function engineSeemsGone(run, now = Date.now()) {
  if (run.status !== "running") return false;
  if (run.hostname === hostname()) {
    try {
      process.kill(run.pid, 0);
      return false;
    } catch (err) {
      return err.code === "ESRCH";
    }
  }
  const beat = Date.parse(run.heartbeat_at);
  return Number.isFinite(beat) && now - beat > STALE_HEARTBEAT_MS;
}

export {
  formatLocalTime,
  formatLocalTimeOfDay,
  renderTable,
  shortPath,
  RUN_STATUSES,
  FINAL_STEP_STATUSES,
  openRunsDbForReading,
  requireRunsDb,
  using,
  listRuns,
  getRun,
  resolveRun,
  stepsOf,
  getStep,
  attemptsOfStep,
  stepsWithAttempts,
  parseJsonColumn,
  engineSeemsGone
};
