import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  executeRun,
  selectTargets
} from "./chunk-7ZL77DJP.mjs";
import "./chunk-TTIGGALI.mjs";
import "./chunk-TRUM2TFJ.mjs";
import {
  requireRunsDb,
  resolveRun
} from "./chunk-MYH7MVTT.mjs";
import {
  eventsPath,
  readEvents
} from "./chunk-QY6XNTNJ.mjs";
import {
  loadPlan,
  resolveStateDir
} from "./chunk-UAN2LSTN.mjs";
import {
  ExitCode,
  UserError,
  reportError
} from "./chunk-4DO664QM.mjs";
import "./chunk-R5JLVHAA.mjs";

// ../../work/main/src/commands/resume.ts
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
var BUILTINS = /* @__PURE__ */ new Set(["RUN_ID", "PLAN_DIR", "STATE_DIR"]);
var RESUMABLE = /* @__PURE__ */ new Set(["failed", "cancelled", "interrupted"]);
async function resumeCommand(runRef, opts) {
  const stateDir = resolveStateDir(opts.stateDir);
  try {
    const db = requireRunsDb(stateDir);
    let runId;
    let status;
    try {
      ({ run_id: runId, status } = resolveRun(db, runRef, stateDir));
    } finally {
      db.close();
    }
    if (status === "succeeded") {
      process.stdout.write(`run ${runId} already succeeded: nothing to resume
`);
      return ExitCode.ok;
    }
    if (!RESUMABLE.has(status)) throw new UserError(`run ${runId} is ${status}; only failed, cancelled or interrupted runs can be resumed`);
    const events = readEvents(eventsPath(stateDir, runId));
    const started = events.find((e) => e.type === "run_started");
    if (!started) throw new UserError(`run ${runId} has no run_started event in ${eventsPath(stateDir, runId)}`);
    const plan = planForResume(started, runId, stateDir, opts);
    const progress = progressOf(events);
    const resume = {
      previousStatus: status,
      ...progress,
      kept: keptSteps(plan, progress.kept, progress.attempts)
    };
    return await executeRun(plan, { runId, stateDir, cwd: started.cwd, resume, ...opts });
  } catch (err) {
    return reportError(err);
  }
}
function planForResume(started, runId, stateDir, opts) {
  let bytes;
  try {
    bytes = readFileSync(started.plan_path);
  } catch {
    throw new UserError(`the plan file of run ${runId} is gone: ${started.plan_path}`);
  }
  const sha = createHash("sha256").update(bytes).digest("hex");
  if (sha !== started.plan_sha256 && !opts.force) {
    throw new UserError(`the plan file ${started.plan_path} changed since run ${runId} started; resume with --force to run the changed plan`);
  }
  const given = new Map(opts.var.map((kv) => [kv.slice(0, kv.indexOf("=")), kv]));
  const varArgs = [...given.values()];
  const missingSecrets = [];
  for (const [name, value] of Object.entries(started.vars)) {
    if (BUILTINS.has(name) || given.has(name)) continue;
    if (value === "***") missingSecrets.push(name);
    else varArgs.push(`${name}=${value}`);
  }
  if (missingSecrets.length > 0) {
    throw new UserError(`secret variables are not recorded; give them again: ${missingSecrets.map((n) => `--var ${n}=...`).join(" ")}`);
  }
  const plan = loadPlan({
    path: started.plan_path,
    varArgs,
    varsFile: opts.varsFile,
    runId,
    stateDir,
    cwd: started.cwd,
    maxConcurrency: started.max_concurrency
  });
  return plan.steps.length === started.steps.length ? plan : selectTargets(plan, started.steps.map((s) => s.id));
}
function keptSteps(plan, succeeded, attempts) {
  const undone = new Uint8Array(plan.steps.length);
  for (const s of plan.steps) {
    if (s.triggerRule === "all_done" && (attempts.get(s.id) ?? 0) > 0) for (const d of s.dependsOn) undone[d] = 1;
  }
  const kept = new Uint8Array(plan.steps.length);
  const ids = /* @__PURE__ */ new Set();
  for (const i of plan.order) {
    const s = plan.steps[i];
    if (succeeded.has(s.id) && !undone[i] && s.dependsOn.every((d) => kept[d])) {
      kept[i] = 1;
      ids.add(s.id);
    }
  }
  return ids;
}
function progressOf(events) {
  const succeeded = /* @__PURE__ */ new Set();
  const attempts = /* @__PURE__ */ new Map();
  for (const e of events) {
    if (e.type === "step_started") attempts.set(e.step_id, e.attempt);
    else if (e.type === "step_succeeded") succeeded.add(e.step_id);
    else if (e.type === "run_resumed") for (const id of e.rerun) succeeded.delete(id);
  }
  return { lastSeq: events.at(-1)?.seq ?? 0, kept: succeeded, attempts };
}
export {
  resumeCommand
};
