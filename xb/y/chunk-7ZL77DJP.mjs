import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  planMasker,
  plannedSteps
} from "./chunk-TTIGGALI.mjs";
import {
  formatDuration
} from "./chunk-TRUM2TFJ.mjs";
import {
  JsonlSink,
  SqliteSink,
  eventsPath,
  logsDir,
  recoverInterruptedRuns,
  runsDbPath,
  serializeEvent,
  signalProcessGroup,
  stepLogPath,
  unreachable
} from "./chunk-QY6XNTNJ.mjs";
import {
  COMMAND_LINE,
  ancestorClosure,
  levels,
  loadPlan,
  newRunId,
  resolveStateDir
} from "./chunk-UAN2LSTN.mjs";
import {
  ExitCode,
  PlanError,
  UserError,
  reportError
} from "./chunk-4DO664QM.mjs";

// ../../work/main/src/engine/launch-child-process.ts
import { spawn } from "node:child_process";
var childProcessLauncher = {
  name: "child_process",
  launch(req, onExit, onError) {
    const child = spawn(req.file, req.args, {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      stdio: ["ignore", req.outFd, req.outFd]
    });
    child.once("error", onError);
    child.once("exit", onExit);
    return child.pid ?? null;
  }
};

// ../../work/main/src/engine/launch-posix-spawn.ts
import { createRequire } from "node:module";
import { constants } from "node:os";
var ADDON = "../../build/Release/engine_spawn.node";
var signalNames = new Map(
  Object.entries(constants.signals).map(([name, n]) => [n, name])
);
function loadPosixSpawnLauncher() {
  if (process.platform !== "linux") return { unavailable: `it is Linux-only (this is ${process.platform})` };
  let addon;
  try {
    addon = createRequire(import.meta.url)(ADDON);
  } catch (err) {
    const why = err.code === "MODULE_NOT_FOUND" ? "not built" : err.message;
    return { unavailable: `the native launcher cannot be loaded (${why}; run \`npm run build:native\`)` };
  }
  if (!addon.available) return { unavailable: addon.unavailableReason };
  return {
    launcher: {
      name: "posix_spawn",
      launch(req, onExit) {
        const env = [];
        for (const key in req.env) {
          const value = req.env[key];
          if (value !== void 0) env.push(`${key}=${value}`);
        }
        return addon.spawn(
          req.file,
          req.args,
          env,
          req.cwd,
          req.outFd,
          (code, signal) => onExit(code, signal === null ? null : signalNames.get(signal) ?? `SIG${signal}`)
        );
      }
    }
  };
}

// ../../work/main/src/engine/launch.ts
var chosen;
function launcher() {
  if (chosen) return chosen;
  const wanted = process.env.ENGINE_SPAWN ?? "auto";
  if (wanted === "child_process") return chosen = childProcessLauncher;
  if (wanted !== "auto" && wanted !== "posix_spawn" && wanted !== "") {
    throw new UserError(`ENGINE_SPAWN=${wanted}: expected posix_spawn, child_process or auto`);
  }
  const native = loadPosixSpawnLauncher();
  if ("launcher" in native) return chosen = native.launcher;
  if (wanted === "posix_spawn") {
    throw new UserError(`ENGINE_SPAWN=posix_spawn: ${native.unavailable}`);
  }
  return chosen = childProcessLauncher;
}

// ../../work/main/src/engine/run-plan.ts
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";

// ../../work/main/node_modules/yocto-queue/index.js
var Node = class {
  value;
  next;
  constructor(value) {
    this.value = value;
  }
};
var Queue = class {
  #head;
  #tail;
  #size;
  constructor() {
    this.clear();
  }
  enqueue(value) {
    const node = new Node(value);
    if (this.#head) {
      this.#tail.next = node;
      this.#tail = node;
    } else {
      this.#head = node;
      this.#tail = node;
    }
    this.#size++;
  }
  dequeue() {
    const current = this.#head;
    if (!current) {
      return;
    }
    this.#head = this.#head.next;
    this.#size--;
    if (!this.#head) {
      this.#tail = void 0;
    }
    return current.value;
  }
  peek() {
    if (!this.#head) {
      return;
    }
    return this.#head.value;
  }
  clear() {
    this.#head = void 0;
    this.#tail = void 0;
    this.#size = 0;
  }
  get size() {
    return this.#size;
  }
  *[Symbol.iterator]() {
    let current = this.#head;
    while (current) {
      yield current.value;
      current = current.next;
    }
  }
  *drain() {
    while (this.#head) {
      yield this.dequeue();
    }
  }
};

// ../../work/main/node_modules/p-limit/index.js
function pLimit(concurrency) {
  let rejectOnClear = false;
  if (typeof concurrency === "object") {
    ({ concurrency, rejectOnClear = false } = concurrency);
  }
  validateConcurrency(concurrency);
  if (typeof rejectOnClear !== "boolean") {
    throw new TypeError("Expected `rejectOnClear` to be a boolean");
  }
  const queue = new Queue();
  let activeCount = 0;
  const resumeNext = () => {
    if (activeCount < concurrency && queue.size > 0) {
      activeCount++;
      queue.dequeue().run();
    }
  };
  const next = () => {
    activeCount--;
    resumeNext();
  };
  const run = async (function_, resolve, arguments_) => {
    const result = (async () => function_(...arguments_))();
    resolve(result);
    try {
      await result;
    } catch {
    }
    next();
  };
  const enqueue = (function_, resolve, reject, arguments_) => {
    const queueItem = { reject };
    new Promise((internalResolve) => {
      queueItem.run = internalResolve;
      queue.enqueue(queueItem);
    }).then(run.bind(void 0, function_, resolve, arguments_));
    if (activeCount < concurrency) {
      resumeNext();
    }
  };
  const generator = (function_, ...arguments_) => new Promise((resolve, reject) => {
    enqueue(function_, resolve, reject, arguments_);
  });
  Object.defineProperties(generator, {
    activeCount: {
      get: () => activeCount
    },
    pendingCount: {
      get: () => queue.size
    },
    clearQueue: {
      value() {
        if (!rejectOnClear) {
          queue.clear();
          return;
        }
        const abortError = AbortSignal.abort().reason;
        while (queue.size > 0) {
          queue.dequeue().reject(abortError);
        }
      }
    },
    concurrency: {
      get: () => concurrency,
      set(newConcurrency) {
        validateConcurrency(newConcurrency);
        concurrency = newConcurrency;
        queueMicrotask(() => {
          while (activeCount < concurrency && queue.size > 0) {
            resumeNext();
          }
        });
      }
    },
    map: {
      async value(iterable, function_) {
        const promises = [];
        try {
          Array.from(iterable, (value, index) => {
            const promise = generator(function_, value, index);
            promises.push(promise);
            return promise;
          });
        } catch (error) {
          for (const promise of promises) {
            promise.catch(() => {
            });
          }
          throw error;
        }
        return Promise.all(promises);
      }
    }
  });
  return generator;
}
function validateConcurrency(concurrency) {
  if (!((Number.isInteger(concurrency) || concurrency === Number.POSITIVE_INFINITY) && concurrency > 0)) {
    throw new TypeError("Expected `concurrency` to be a number from 1 and up");
  }
}

// ../../work/main/src/engine/executor.ts
import { closeSync, existsSync, openSync, writeSync, appendFileSync } from "node:fs";
var MAX_TIMER_MS = 2 ** 31 - 1;
function startAttempt(req, launch = launcher()) {
  const startedAt = performance.now();
  let fd;
  try {
    fd = openSync(req.logPath, "w");
  } catch (err) {
    const error = `cannot open log file ${req.logPath}: ${err.message}`;
    return { pid: null, result: Promise.resolve(spawnFailure(error, startedAt)), cancel: () => {
    } };
  }
  const file = req.shell ? "/bin/sh" : req.command;
  const args = req.shell ? ["-c", req.command] : req.args;
  let onExit = () => {
  };
  let onError = () => {
  };
  let pid;
  try {
    pid = launch.launch(
      { file, args, cwd: req.cwd, env: req.env, outFd: fd },
      (code, signal) => onExit(code, signal),
      (err) => onError(err)
    );
  } catch (err) {
    const error = spawnErrorMessage(err, req);
    writeSync(fd, `engine: ${error}
`);
    closeSync(fd);
    return {
      pid: null,
      result: Promise.resolve(spawnFailure(error, startedAt)),
      cancel: () => {
      }
    };
  }
  closeSync(fd);
  let stopping = null;
  let killTimer;
  const stop = (why, forced) => {
    if (pid === null) return;
    if (stopping === null) stopping = why;
    if (forced) {
      signalProcessGroup(pid, "SIGKILL");
      return;
    }
    signalProcessGroup(pid, "SIGTERM");
    killTimer ??= setTimeout(() => signalProcessGroup(pid, "SIGKILL"), req.killGraceMs);
  };
  const timeoutTimer = setTimeout(() => stop("timeout", false), Math.min(req.timeoutMs, MAX_TIMER_MS));
  const result = new Promise((resolve) => {
    let settled = false;
    const finish = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      resolve(r);
    };
    onError = (err) => {
      const error = spawnErrorMessage(err, req);
      appendFileSync(req.logPath, `engine: ${error}
`);
      finish(spawnFailure(error, startedAt));
    };
    onExit = (code, signal) => {
      if (pid !== null) signalProcessGroup(pid, "SIGKILL");
      const durationMs = Math.round(performance.now() - startedAt);
      finish(classifyExit(code, signal, stopping, durationMs, req));
    };
  });
  return { pid, result, cancel: (forced) => stop("cancel", forced) };
}
function classifyExit(code, signal, stopping, durationMs, req) {
  const base = { exitCode: code, signal, durationMs };
  if (stopping === "cancel") {
    return { ...base, outcome: "cancelled", reason: null, error: "cancelled" };
  }
  if (stopping === "timeout") {
    const error = `timed out after ${formatDuration(req.timeoutMs)}`;
    appendFileSync(req.logPath, `engine: ${error}; the process group got SIGTERM
`);
    return { ...base, outcome: "failed", reason: "timeout", error };
  }
  if (signal !== null) {
    return { ...base, outcome: "failed", reason: "signal", error: `killed by ${signal}` };
  }
  if (code !== null && req.successExitCodes.includes(code)) {
    return { ...base, outcome: "succeeded", reason: null, error: null };
  }
  const expected = req.successExitCodes.join(", ");
  return { ...base, outcome: "failed", reason: "exit_code", error: `exit code ${code} (expected ${expected})` };
}
function spawnFailure(error, startedAt) {
  return {
    outcome: "failed",
    reason: "spawn_error",
    exitCode: null,
    signal: null,
    durationMs: Math.round(performance.now() - startedAt),
    error
  };
}
function spawnErrorMessage(err, req) {
  const file = req.shell ? "/bin/sh" : req.command;
  switch (err.code) {
    case "ENOENT":
      return existsSync(req.cwd) ? `command not found: ${file}` : `working directory does not exist: ${req.cwd}`;
    case "EACCES":
      return `permission denied (not executable?): ${file}`;
    case "ENOTDIR":
      return `working directory is not a directory: ${req.cwd}`;
    default:
      return `cannot start ${file}: ${err.message}`;
  }
}

// ../../work/main/src/engine/preconditions.ts
async function failedPrecondition(list, ctx) {
  for (let i = 0; i < list.length && !ctx.signal.aborted; i++) {
    const p = list[i];
    const why = await check(p, ctx);
    if (why !== null) return `precondition ${i + 1} (${p.label}) does not hold: ${why}`;
  }
  return null;
}
async function check(p, ctx) {
  switch (p.kind) {
    case "not_empty":
      return p.value !== "" ? null : "the value is empty";
    case "equals":
      return p.value === p.expected ? null : "the values differ";
    case "matches":
      return p.pattern.test(p.value) ? null : `the value does not match /${p.pattern.source}/`;
    case "command":
      return runCheck(p.command, p.args, ctx);
  }
}
async function runCheck(command, args, ctx) {
  const { execa } = await import("execa");
  const r = await execa(command, args, {
    cwd: ctx.cwd,
    env: ctx.env,
    extendEnv: false,
    stdin: "ignore",
    stdout: "ignore",
    stderr: "pipe",
    maxBuffer: 64 * 1024,
    timeout: ctx.timeoutMs,
    forceKillAfterDelay: ctx.killGraceMs,
    cancelSignal: ctx.signal,
    reject: false
  });
  if (r.isCanceled) return "cancelled";
  if (r.exitCode === 0) return null;
  if (r.timedOut) return `timed out after ${ctx.timeoutMs}ms`;
  const code = r.code;
  if (r.failed && r.exitCode === void 0 && code === "ENOENT") return `command not found: ${command}`;
  const stderr = String(r.stderr ?? "").trim().split("\n").at(-1) ?? "";
  const how = r.exitCode !== void 0 ? `exit code ${r.exitCode}` : r.signal ?? r.shortMessage ?? "failed";
  return stderr ? `${how}: ${stderr}` : how;
}

// ../../work/main/src/engine/recorder.ts
var Recorder = class {
  /**
   * @param lastSeq seq of the run's last recorded event (0 for a new run; a resumed run
   *   continues its numbering)
   */
  constructor(runId, sinks, seq = 0) {
    this.runId = runId;
    this.sinks = sinks;
    this.seq = seq;
  }
  /** Emits one event to every sink synchronously and returns it as recorded. */
  emit(draft) {
    const event = {
      seq: ++this.seq,
      ts: (/* @__PURE__ */ new Date()).toISOString(),
      run_id: this.runId,
      ...draft
    };
    for (const sink of this.sinks) sink.handle(event);
    return event;
  }
};

// ../../work/main/src/engine/retry.ts
function retryDelayMs(policy, failedAttempt) {
  const raw = policy.delayMs * policy.backoff ** (failedAttempt - 1);
  return Math.round(Math.min(raw, policy.maxDelayMs));
}

// ../../work/main/src/engine/trigger-rules.ts
function evaluateTriggerRule(rule, t) {
  const allDone = t.done === t.total;
  switch (rule) {
    case "all_success":
      if (t.done > t.satisfied) return "skip";
      return allDone ? "run" : "wait";
    case "none_failed":
      if (t.failed > 0) return "skip";
      return allDone ? "run" : "wait";
    case "all_done":
      return allDone ? "run" : "wait";
    case "one_failed":
      if (!allDone) return "wait";
      return t.failed > 0 ? "run" : "skip";
  }
}
function skipDetail(rule, upstream, upstreamStatus) {
  switch (rule) {
    case "all_success":
      return `upstream step "${upstream}" ${upstreamStatus} (trigger rule all_success)`;
    case "none_failed":
      return `upstream step "${upstream}" failed (trigger rule none_failed)`;
    case "one_failed":
      return "no upstream step failed (trigger rule one_failed)";
    case "all_done":
      return "unreachable: all_done never skips";
  }
}

// ../../work/main/src/engine/scheduler.ts
var PUBLIC_STATUS = [
  "pending",
  "pending",
  "running",
  "pending",
  "succeeded",
  "failed",
  "skipped",
  "cancelled"
];
var Scheduler = class {
  /** @param steps the plan's steps; `dependsOn` holds indices into this array. */
  constructor(steps) {
    this.steps = steps;
    const n = steps.length;
    this.status = new Uint8Array(n);
    this.attempts = new Uint32Array(n);
    this.done = new Uint32Array(n);
    this.satisfied = new Uint32Array(n);
    this.failed = new Uint32Array(n);
    this.firstUnsatisfied = new Int32Array(n).fill(-1);
    this.firstFailed = new Int32Array(n).fill(-1);
    this.dependents = Array.from({ length: n }, () => []);
    for (const step of steps) {
      for (const dep of step.dependsOn) this.dependents[dep].push(step.index);
    }
  }
  status;
  attempts;
  done;
  satisfied;
  failed;
  /** First dependency that ended unsatisfied / failed, -1 when none: names a skip's cause. */
  firstUnsatisfied;
  firstFailed;
  dependents;
  terminal = 0;
  abortedBy = -1;
  cancelled = false;
  forced = false;
  criticalFailed = false;
  /**
   * For `engine resume`, before {@link begin}: `kept` steps already succeeded in an earlier
   * part of the run; `attempts[i]` attempts of step i were made, so numbering continues.
   */
  restore(kept, attempts) {
    for (let i = 0; i < this.steps.length; i++) this.attempts[i] = attempts[i] ?? 0;
    for (const i of kept) {
      this.status[i] = 4 /* Succeeded */;
      this.terminal++;
    }
    for (const i of kept) {
      for (const d of this.dependents[i]) {
        this.done[d]++;
        this.satisfied[d]++;
      }
    }
  }
  /** Decisions for the run's start: pending steps whose dependencies have all ended (at the
   * start of a run, those without dependencies) are decided, in `order`. */
  begin(order) {
    const out = [];
    for (const i of order) {
      if (this.status[i] === 0 /* Pending */ && this.done[i] === this.steps[i].dependsOn.length) this.decide(i, out);
    }
    return out;
  }
  /** Marks a queued step as running and returns its new attempt number (1-based).
   * Returns 0 when the step is no longer queued (cancelled while it waited for a slot). */
  startAttempt(i) {
    if (this.status[i] !== 1 /* Queued */) return 0;
    this.status[i] = 2 /* Running */;
    return ++this.attempts[i];
  }
  /** Marks a queued step as running while its preconditions are checked, without starting
   * an attempt. Returns false when the step is no longer queued. */
  claim(i) {
    if (this.status[i] !== 1 /* Queued */) return false;
    this.status[i] = 2 /* Running */;
    return true;
  }
  /**
   * A claimed step's preconditions were checked. `failure` (why one does not hold) skips the
   * step with reason `precondition`, and its dependents see a skipped dependency. When all
   * hold, the step is queued again for {@link startAttempt}, unless the run stopped meanwhile.
   */
  preconditionsChecked(i, failure) {
    const out = [];
    if (!this.mayStart(this.steps[i].triggerRule)) {
      this.cancelStep(i, this.cancelled ? "run_cancelled" : "abort", this.abortedBy, out);
      this.propagateAll([i], out);
    } else if (failure !== null) {
      out.push({ kind: "skip", step: i, reason: "precondition", detail: failure, upstream: null });
      this.settle(i, 6 /* Skipped */, out);
    } else {
      this.status[i] = 1 /* Queued */;
    }
    return out;
  }
  /** The step's backoff delay has passed: queue it again (no-op if cancelled meanwhile). */
  retryDue(i) {
    if (this.status[i] !== 3 /* RetryWait */) return [];
    this.status[i] = 1 /* Queued */;
    return [{ kind: "start", step: i }];
  }
  /**
   * The running attempt of step `i` ended. Returns what follows: a retry, or the step's final
   * status propagated to its dependents (and an abort when a critical step with
   * `on_failure: abort` failed). A spawn error is never retried: it would fail the same way.
   */
  attemptEnded(i, outcome) {
    const out = [];
    const step = this.steps[i];
    if (outcome.kind === "succeeded") {
      this.settle(i, 4 /* Succeeded */, out);
      return out;
    }
    if (outcome.kind === "cancelled") {
      this.settle(i, 7 /* Cancelled */, out);
      return out;
    }
    const attempt = this.attempts[i];
    if (outcome.reason !== "spawn_error" && attempt <= step.retry.retries && this.mayStart(step.triggerRule)) {
      this.status[i] = 3 /* RetryWait */;
      const delayMs = retryDelayMs(step.retry, attempt);
      out.push({ kind: "retry", step: i, attempt: attempt + 1, delayMs, reason: outcome.reason });
      return out;
    }
    if (step.critical) this.criticalFailed = true;
    if (step.critical && step.onFailure === "abort" && this.abortedBy < 0) {
      this.status[i] = 5 /* Failed */;
      this.terminal++;
      this.abort(i, out);
      this.propagateAll([i], out);
      return out;
    }
    this.settle(i, 5 /* Failed */, out);
    return out;
  }
  /**
   * The run is asked to stop (SIGINT, SIGTERM, `engine cancel`). Pending steps are cancelled,
   * except `all_done` steps, which still run once their dependencies end, so cleanup such as
   * releasing a lock happens (issue 2). Running steps are killed. When `forced` (a second
   * request), cleanup steps are cancelled too.
   */
  cancelRun(forced) {
    const out = [];
    if (forced) this.forced = true;
    this.cancelled = true;
    const victims = [];
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.status[i];
      if (s === 2 /* Running */) {
        if (forced || !this.mayStart(this.steps[i].triggerRule)) {
          out.push({ kind: "kill", step: i, forced });
        }
      } else if (s <= 3 /* RetryWait */ && !this.mayStart(this.steps[i].triggerRule)) {
        this.cancelStep(i, "run_cancelled", -1, out);
        victims.push(i);
      }
    }
    this.propagateAll(victims, out);
    return out;
  }
  /** Public status of step `i`. */
  statusOf(i) {
    return PUBLIC_STATUS[this.status[i]];
  }
  attemptsOf(i) {
    return this.attempts[i];
  }
  /** True when every step has reached a terminal status. */
  isFinished() {
    return this.terminal === this.steps.length;
  }
  /** Run result (issue 2): cancelled when the run was cancelled; failed when a critical step
   * failed or an abort cancelled steps; otherwise succeeded. */
  runStatus() {
    if (this.cancelled) return "cancelled";
    if (this.criticalFailed || this.abortedBy >= 0) return "failed";
    return "succeeded";
  }
  /** Whether new attempts of a step with this rule may start now. During an abort only
   * `all_done` and `one_failed` steps start; after a cancel only `all_done`; after a forced
   * cancel none. */
  mayStart(rule) {
    if (this.forced) return false;
    if (this.cancelled) return rule === "all_done";
    if (this.abortedBy >= 0) return rule === "all_done" || rule === "one_failed";
    return true;
  }
  abort(by, out) {
    this.abortedBy = by;
    const victims = [];
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.status[i];
      if (s <= 3 /* RetryWait */ && s !== 2 /* Running */ && !this.mayStart(this.steps[i].triggerRule)) {
        this.cancelStep(i, "abort", by, out);
        victims.push(i);
      }
    }
    this.propagateAll(victims, out);
  }
  cancelStep(i, reason, upstream, out) {
    this.status[i] = 7 /* Cancelled */;
    this.terminal++;
    const detail = reason === "abort" ? `run aborted after step "${this.steps[upstream].id}" failed` : "run cancelled";
    out.push({ kind: "cancel", step: i, reason, detail, upstream: upstream < 0 ? null : upstream });
  }
  /** Sets a terminal status and propagates it through the dependents (iteratively). */
  settle(i, status, out) {
    this.status[i] = status;
    this.terminal++;
    this.propagateAll([i], out);
  }
  propagateAll(work, out) {
    while (work.length > 0) {
      const i = work.pop();
      const s = this.status[i];
      const isFailed = s === 5 /* Failed */ && this.steps[i].onFailure !== "continue";
      const isSatisfied = s === 4 /* Succeeded */ || s === 5 /* Failed */ && !isFailed;
      for (const d of this.dependents[i]) {
        if (this.status[d] !== 0 /* Pending */) continue;
        this.done[d]++;
        if (isSatisfied) this.satisfied[d]++;
        else if (this.firstUnsatisfied[d] === -1) this.firstUnsatisfied[d] = i;
        if (isFailed) {
          this.failed[d]++;
          if (this.firstFailed[d] === -1) this.firstFailed[d] = i;
        }
        if (this.decide(d, out)) work.push(d);
      }
    }
  }
  /** Evaluates a pending step's trigger rule; returns true when it became terminal. */
  decide(d, out) {
    const step = this.steps[d];
    const verdict = evaluateTriggerRule(step.triggerRule, {
      total: step.dependsOn.length,
      done: this.done[d],
      satisfied: this.satisfied[d],
      failed: this.failed[d]
    });
    if (verdict === "wait") return false;
    if (!this.mayStart(step.triggerRule)) {
      this.cancelStep(d, this.cancelled ? "run_cancelled" : "abort", this.abortedBy, out);
      return true;
    }
    if (verdict === "run") {
      this.status[d] = 1 /* Queued */;
      out.push({ kind: "start", step: d });
      return false;
    }
    const cause = step.triggerRule === "none_failed" ? this.firstFailed[d] : this.firstUnsatisfied[d];
    this.status[d] = 6 /* Skipped */;
    this.terminal++;
    const upstream = cause >= 0 ? this.steps[cause].id : null;
    const upstreamStatus = cause >= 0 ? this.statusOf(cause) : "";
    out.push({
      kind: "skip",
      step: d,
      reason: "trigger_rule",
      detail: skipDetail(step.triggerRule, upstream, upstreamStatus),
      upstream: cause >= 0 ? cause : null
    });
    return true;
  }
};

// ../../work/main/src/engine/run-plan.ts
var EXIT_CODES = { succeeded: 0, failed: 1, cancelled: 130 };
var PlanRun = class {
  constructor(opts) {
    this.opts = opts;
    this.plan = opts.plan;
    this.scheduler = new Scheduler(this.plan.steps);
    this.recorder = new Recorder(opts.runId, opts.sinks, opts.resume?.lastSeq ?? 0);
    this.limit = pLimit(this.plan.maxConcurrency);
    this.mask = planMasker(this.plan);
    this.logDir = logsDir(opts.stateDir, opts.runId);
    this.baseEnv = { ...process.env, ENGINE_RUN_ID: opts.runId };
    this.done = new Promise((resolve) => this.resolveDone = resolve);
  }
  plan;
  scheduler;
  recorder;
  limit;
  mask;
  logDir;
  baseEnv;
  /** Steps whose preconditions are being checked, to abort on cancel. */
  checking = /* @__PURE__ */ new Map();
  /** When each queued step became ready (epochMs()), for `ready_at_ms`. */
  readyAt = /* @__PURE__ */ new Map();
  /** Running attempts by step index, with their start time (performance.now(), ms). */
  running = /* @__PURE__ */ new Map();
  retryTimers = /* @__PURE__ */ new Map();
  startedAt = performance.now();
  cancelRequests = 0;
  finished = null;
  resolveDone;
  done;
  /** Starts the run (or resumes it); `done` resolves with the `run_finished` event. */
  start() {
    mkdirSync(this.logDir, { recursive: true });
    const resume = this.opts.resume;
    if (resume) this.announceResume(resume);
    else this.announceStart();
    this.apply(this.scheduler.begin(this.plan.order));
    return this.done;
  }
  announceStart() {
    const { plan, mask } = this;
    const vars = {};
    for (const [k, v] of Object.entries(plan.vars)) vars[k] = mask(v);
    for (const k of plan.secretNames) vars[k] = "***";
    this.recorder.emit({
      type: "run_started",
      plan_id: plan.planId,
      plan_version: plan.version,
      plan_path: plan.path,
      plan_sha256: plan.sha256,
      cwd: this.opts.cwd,
      vars,
      max_concurrency: plan.maxConcurrency,
      pid: process.pid,
      hostname: hostname(),
      steps: plannedSteps(this.plan)
    });
  }
  announceResume(resume) {
    const { plan } = this;
    const kept = plan.order.filter((i) => resume.kept.has(plan.steps[i].id));
    this.scheduler.restore(kept, plan.steps.map((s) => resume.attempts.get(s.id) ?? 0));
    this.recorder.emit({
      type: "run_resumed",
      previous_status: resume.previousStatus,
      plan_sha256: plan.sha256,
      pid: process.pid,
      hostname: hostname(),
      kept: kept.map((i) => plan.steps[i].id),
      rerun: plan.order.filter((i) => !resume.kept.has(plan.steps[i].id)).map((i) => plan.steps[i].id),
      steps: plannedSteps(this.plan)
    });
  }
  /**
   * Asks the run to stop (SIGINT, SIGTERM, `engine cancel`). The first request cancels pending
   * steps and stops running ones gracefully while `all_done` cleanup steps still run; the
   * second also cancels those, kills everything with SIGKILL and finishes at once.
   */
  cancel(signal) {
    if (this.finished) return;
    const forced = ++this.cancelRequests > 1;
    this.recorder.emit({ type: "run_cancel_requested", signal, forced });
    this.apply(this.scheduler.cancelRun(forced));
    if (forced) {
      for (const [i, { startMs }] of this.running) {
        this.running.delete(i);
        this.attemptEnded(i, forcedCancelResult(startMs));
      }
      for (const [i, abort] of this.checking) {
        this.checking.delete(i);
        abort.abort();
        this.apply(this.scheduler.preconditionsChecked(i, null));
      }
    }
  }
  apply(decisions) {
    for (const d of decisions) {
      const step = this.plan.steps[d.step];
      switch (d.kind) {
        case "start":
          this.readyAt.set(d.step, epochMs());
          void this.limit(() => this.runAttempt(d.step));
          break;
        case "retry": {
          this.recorder.emit({
            type: "step_retrying",
            step_id: step.id,
            attempt: d.attempt,
            delay_ms: d.delayMs,
            reason: d.reason
          });
          const timer = setTimeout(() => {
            this.retryTimers.delete(d.step);
            this.apply(this.scheduler.retryDue(d.step));
          }, d.delayMs);
          this.retryTimers.set(d.step, timer);
          break;
        }
        case "skip":
          this.recorder.emit({
            type: "step_skipped",
            step_id: step.id,
            reason: d.reason,
            detail: this.mask(d.detail),
            upstream: d.upstream === null ? null : this.plan.steps[d.upstream].id
          });
          break;
        case "cancel":
          clearTimeout(this.retryTimers.get(d.step));
          this.retryTimers.delete(d.step);
          this.recorder.emit({
            type: "step_cancelled",
            step_id: step.id,
            reason: d.reason,
            detail: d.detail,
            upstream: d.upstream === null ? null : this.plan.steps[d.upstream].id,
            attempt: null,
            exit_code: null,
            signal: null,
            duration_ms: null
          });
          break;
        case "kill":
          this.running.get(d.step)?.attempt.cancel(d.forced);
          this.checking.get(d.step)?.abort();
          break;
      }
    }
    if (!this.finished && this.scheduler.isFinished()) this.finish();
  }
  async runAttempt(i) {
    const step = this.plan.steps[i];
    if (step.preconditions.length > 0 && this.scheduler.attemptsOf(i) === 0) {
      if (!this.scheduler.claim(i)) return;
      const abort = new AbortController();
      this.checking.set(i, abort);
      const failure = await failedPrecondition(step.preconditions, {
        cwd: step.cwd,
        env: this.stepEnv(step, 0),
        timeoutMs: step.timeoutMs,
        killGraceMs: this.plan.killGraceMs,
        signal: abort.signal
      });
      if (this.checking.get(i) !== abort) return;
      this.checking.delete(i);
      const decisions = this.scheduler.preconditionsChecked(i, failure);
      if (decisions.length > 0) {
        this.apply(decisions);
        return;
      }
    }
    const attemptNo = this.scheduler.startAttempt(i);
    if (attemptNo === 0) return;
    const logPath = stepLogPath(this.opts.stateDir, this.opts.runId, step.id, attemptNo);
    const attempt = startAttempt({
      command: step.command,
      args: step.args,
      shell: step.shell,
      cwd: step.cwd,
      env: this.stepEnv(step, attemptNo),
      logPath,
      timeoutMs: step.timeoutMs,
      killGraceMs: this.plan.killGraceMs,
      successExitCodes: step.successExitCodes
    });
    const entry = { attempt, startMs: performance.now() };
    this.running.set(i, entry);
    const readyAt = this.readyAt.get(i) ?? epochMs();
    this.readyAt.delete(i);
    const { mask } = this;
    this.recorder.emit({
      type: "step_started",
      step_id: step.id,
      attempt: attemptNo,
      pid: attempt.pid,
      command: mask(step.command),
      args: step.args.map(mask),
      cwd: mask(step.cwd),
      log_path: logPath,
      ready_at_ms: readyAt,
      started_at_ms: toEpochMs(entry.startMs)
    });
    const result = await attempt.result;
    if (this.running.get(i) !== entry) return;
    this.running.delete(i);
    this.attemptEnded(i, result);
  }
  attemptEnded(i, result) {
    const endedAt = epochMs();
    const step = this.plan.steps[i];
    const attemptNo = this.scheduler.attemptsOf(i);
    const decisions = this.scheduler.attemptEnded(
      i,
      result.outcome === "failed" ? { kind: "failed", reason: result.reason } : { kind: result.outcome }
    );
    switch (result.outcome) {
      case "succeeded":
        this.recorder.emit({
          type: "step_succeeded",
          step_id: step.id,
          attempt: attemptNo,
          exit_code: result.exitCode ?? 0,
          duration_ms: result.durationMs,
          ended_at_ms: endedAt
        });
        break;
      case "failed":
        this.recorder.emit({
          type: "step_failed",
          step_id: step.id,
          attempt: attemptNo,
          exit_code: result.exitCode,
          signal: result.signal,
          duration_ms: result.durationMs,
          reason: result.reason,
          error: this.mask(result.error ?? ""),
          ended_at_ms: endedAt,
          will_retry: decisions.some((d) => d.kind === "retry" && d.step === i)
        });
        break;
      case "cancelled":
        this.recorder.emit({
          type: "step_cancelled",
          step_id: step.id,
          reason: "run_cancelled",
          detail: "run cancelled while the step was running",
          upstream: null,
          attempt: attemptNo,
          exit_code: result.exitCode,
          signal: result.signal,
          duration_ms: result.durationMs
        });
        break;
    }
    this.apply(decisions);
  }
  stepEnv(step, attempt) {
    return {
      ...this.baseEnv,
      ...step.env,
      ENGINE_STEP_ID: step.id,
      ENGINE_ATTEMPT: String(attempt),
      ...this.opts.stepEnv?.(step.id, attempt)
    };
  }
  finish() {
    const counts = { succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
    for (let i = 0; i < this.plan.steps.length; i++) {
      const s = this.scheduler.statusOf(i);
      if (s === "succeeded" || s === "failed" || s === "skipped" || s === "cancelled") counts[s]++;
    }
    const status = this.scheduler.runStatus();
    const event = this.recorder.emit({
      type: "run_finished",
      status,
      exit_code: EXIT_CODES[status],
      duration_ms: Math.round(performance.now() - this.startedAt),
      ...counts
    });
    this.finished = event;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.resolveDone(event);
  }
};
function forcedCancelResult(startMs) {
  return {
    outcome: "cancelled",
    reason: null,
    exitCode: null,
    signal: "SIGKILL",
    durationMs: Math.round(performance.now() - startMs),
    error: "cancelled"
  };
}
function epochMs() {
  return toEpochMs(performance.now());
}
function toEpochMs(perfNow) {
  return Math.round((performance.timeOrigin + perfNow) * 1e3) / 1e3;
}

// ../../work/main/src/schema/select-targets.ts
function selectTargets(plan, targetIds) {
  const byId = new Map(plan.steps.map((s) => [s.id, s.index]));
  const unknown = targetIds.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    throw new PlanError(
      unknown.map((id) => ({
        file: COMMAND_LINE,
        pointer: "",
        message: `--target: no step "${id}" in plan ${plan.planId} (steps: ${plan.steps.slice(0, 30).map((s) => s.id).join(", ")}${plan.steps.length > 30 ? ", ..." : ""})`
      }))
    );
  }
  const keep = ancestorClosure(
    targetIds.map((id) => byId.get(id)),
    plan.steps.map((s) => s.dependsOn)
  );
  const newIndex = new Int32Array(plan.steps.length).fill(-1);
  const steps = plan.steps.filter((s) => keep[s.index]);
  steps.forEach((s, i) => newIndex[s.index] = i);
  return {
    ...plan,
    steps: steps.map((s, i) => ({ ...s, index: i, dependsOn: s.dependsOn.map((d) => newIndex[d]) })),
    order: plan.order.filter((i) => keep[i]).map((i) => newIndex[i])
  };
}

// ../../work/main/src/commands/dry-run.ts
function printDryRun(plan, write) {
  const mask = planMasker(plan);
  const byLevel = levels(plan.order, plan.steps.map((s) => s.dependsOn));
  const lines = [
    `plan ${plan.planId} ${plan.version}: ${plan.steps.length} steps in ${byLevel.length} levels, max concurrency ${plan.maxConcurrency} (dry run: nothing runs)`
  ];
  byLevel.forEach((ids, k) => {
    lines.push(`level ${k + 1}: ${ids.map((i) => plan.steps[i].id).join(", ")}`);
    for (const i of ids) {
      const s = plan.steps[i];
      const cmd = s.shell ? `sh -c ${JSON.stringify(s.command)}` : [s.command, ...s.args.map(quoteArg)].join(" ");
      const notes = [
        s.triggerRule !== "all_success" ? `trigger_rule ${s.triggerRule}` : "",
        s.onFailure !== "abort" ? `on_failure ${s.onFailure}` : "",
        s.critical ? "" : "not critical",
        s.retry.retries > 0 ? `retries ${s.retry.retries}` : "",
        s.preconditions.length > 0 ? `${s.preconditions.length} precondition(s)` : ""
      ].filter(Boolean);
      lines.push(`  ${s.id}: ${mask(cmd)}${notes.length ? `  [${notes.join(", ")}]` : ""}`);
    }
  });
  write(lines.join("\n") + "\n");
}
function quoteArg(a) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

// ../../work/main/src/state/console-sink.ts
import { closeSync as closeSync2, openSync as openSync2, readSync, fstatSync } from "node:fs";
import { dirname, relative } from "node:path";
var LOG_TAIL_LINES = 15;
var FULL_TABLE_MAX_STEPS = 60;
var ConsoleSink = class {
  constructor(opts) {
    this.opts = opts;
  }
  buffer = "";
  scheduled = false;
  steps = /* @__PURE__ */ new Map();
  /** First final failure of a critical step, else of any step. */
  rootCause = null;
  critical = /* @__PURE__ */ new Set();
  cancelSignal = null;
  width = 8;
  logDir = "";
  handle(e) {
    switch (e.type) {
      case "run_started":
        this.plannedSteps(e.steps);
        this.line(
          `${this.bold(`run ${e.run_id}`)}  plan ${e.plan_id} ${e.plan_version}: ${e.steps.length} steps, max concurrency ${e.max_concurrency}`
        );
        break;
      case "run_resumed":
        this.plannedSteps(e.steps);
        for (const id of e.kept) this.view(id).status = "succeeded";
        this.line(
          `${this.bold(`run ${e.run_id}`)} resumed (was ${e.previous_status}): ${e.kept.length} succeeded steps kept, ${e.rerun.length} to run`
        );
        break;
      case "step_started": {
        const v = this.view(e.step_id);
        v.status = "running";
        v.attempts = e.attempt;
        v.logPath = e.log_path;
        if (!this.logDir) this.logDir = dirname(e.log_path);
        this.line(`  ${this.paint("cyan", "\u25B6")} ${this.pad(e.step_id)} started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`);
        break;
      }
      case "step_succeeded": {
        const v = this.view(e.step_id);
        v.status = "succeeded";
        v.durationMs = e.duration_ms;
        this.line(`  ${this.paint("green", "\u2713")} ${this.pad(e.step_id)} succeeded in ${formatDuration(e.duration_ms)}`);
        break;
      }
      case "step_failed": {
        const v = this.view(e.step_id);
        v.status = e.will_retry ? "pending" : "failed";
        v.durationMs = e.duration_ms;
        if (!e.will_retry && (this.rootCause === null || !this.critical.has(this.rootCause.step_id) && this.critical.has(e.step_id))) {
          this.rootCause = e;
        }
        const tail = e.will_retry ? ", will retry" : "";
        this.line(
          `  ${this.paint("red", "\u2717")} ${this.pad(e.step_id)} failed after ${formatDuration(e.duration_ms)} (attempt ${e.attempt}): ${e.error}${tail}`
        );
        break;
      }
      case "step_retrying":
        this.line(`  ${this.paint("yellow", "\u21BB")} ${this.pad(e.step_id)} retrying in ${formatDuration(e.delay_ms)} (attempt ${e.attempt})`);
        break;
      case "step_skipped": {
        const v = this.view(e.step_id);
        v.status = "skipped";
        v.upstream = e.upstream;
        this.line(`  ${this.paint("dim", "-")} ${this.pad(e.step_id)} skipped: ${e.detail}`);
        break;
      }
      case "step_cancelled": {
        const v = this.view(e.step_id);
        v.status = "cancelled";
        v.upstream = e.upstream;
        if (e.duration_ms !== null) v.durationMs = e.duration_ms;
        this.line(`  ${this.paint("yellow", "\u2298")} ${this.pad(e.step_id)} cancelled: ${e.detail}`);
        break;
      }
      case "run_cancel_requested":
        this.cancelSignal ??= e.signal;
        this.line(
          e.forced ? this.paint("yellow", `! ${e.signal} again: cancelling cleanup steps too and stopping now`) : this.paint("yellow", `! ${e.signal}: cancelling the run; cleanup steps (all_done) still run. Press Ctrl-C again to stop them too.`)
        );
        break;
      case "run_interrupted":
        this.line(this.paint("yellow", `! run ${e.run_id} interrupted: engine process ${e.pid} on ${e.hostname} is gone`));
        break;
      case "run_finished":
        this.summary(e);
        break;
      default:
        unreachable(e);
    }
  }
  plannedSteps(steps) {
    for (const s of steps) {
      this.steps.set(s.id, { id: s.id, status: "pending", attempts: 0, durationMs: null, logPath: null, upstream: null });
      if (s.critical) this.critical.add(s.id);
      if (s.id.length > this.width) this.width = Math.min(s.id.length, 40);
    }
  }
  close() {
    this.flush();
  }
  summary(e) {
    const rows = [...this.steps.values()];
    const shown = rows.length <= FULL_TABLE_MAX_STEPS ? rows : rows.filter((r) => r.status !== "succeeded");
    this.line("");
    this.line(this.bold(`  ${"STEP".padEnd(this.width)}  ${"STATUS".padEnd(10)}  ATTEMPTS  DURATION`));
    for (const r of shown) {
      const duration = formatDuration(r.durationMs);
      this.line(`  ${this.pad(r.id)}  ${this.statusText(r.status)}  ${String(r.attempts).padEnd(8)}  ${duration}`);
    }
    if (shown.length < rows.length) this.line(`  (${rows.length - shown.length} succeeded steps not listed)`);
    this.line("");
    const counts = `${e.succeeded} succeeded, ${e.failed} failed, ${e.skipped} skipped, ${e.cancelled} cancelled`;
    const colour = e.status === "succeeded" ? "green" : e.status === "failed" ? "red" : "yellow";
    this.line(this.paint(colour, this.bold(`Run ${e.status} in ${formatDuration(e.duration_ms)}`)) + ` (${counts})`);
    if (e.status === "cancelled" && this.cancelSignal) this.line(`Cancelled by ${this.cancelSignal}.`);
    if (this.rootCause) this.explainRootCause(this.rootCause, e.status !== "succeeded");
    if (this.logDir) {
      this.line(`Logs: ${this.shortPath(this.logDir)} (one step: engine logs ${e.run_id} STEP${this.opts.stateDirOption})`);
    }
  }
  explainRootCause(f, runFailed) {
    const what = `step "${f.step_id}" failed (attempt ${f.attempt}): ${f.error}`;
    this.line(runFailed ? this.paint("red", `Root cause: ${what}`) : this.paint("yellow", `Not critical: ${what}`));
    const skipped = [];
    const cancelled = [];
    for (const r of this.steps.values()) {
      if ((r.status === "skipped" || r.status === "cancelled") && this.tracesBackTo(r, f.step_id)) {
        (r.status === "skipped" ? skipped : cancelled).push(r.id);
      }
    }
    if (skipped.length) this.line(`  skipped because of it: ${listNames(skipped)}`);
    if (cancelled.length) this.line(`  cancelled because of it: ${listNames(cancelled)}`);
    const log = this.steps.get(f.step_id)?.logPath;
    if (!log) return;
    const tail = readLogTail(log, LOG_TAIL_LINES);
    if (tail.length === 0) {
      this.line(`  ${this.shortPath(log)} is empty`);
      return;
    }
    this.line(`  last lines of ${this.shortPath(log)}:`);
    for (const l of tail) this.line(this.paint("dim", `    | ${this.opts.mask(l)}`));
  }
  /** Follows `upstream` links (iteratively: chains can be long) to see whether `root` caused it. */
  tracesBackTo(r, root) {
    let cur = r;
    for (let hops = 0; cur && hops <= this.steps.size; hops++) {
      if (cur.upstream === root) return true;
      cur = cur.upstream ? this.steps.get(cur.upstream) : void 0;
    }
    return false;
  }
  view(id) {
    return this.steps.get(id);
  }
  statusText(status) {
    const colour = { succeeded: "green", failed: "red", skipped: "dim", cancelled: "yellow" }[status] ?? "cyan";
    return this.paint(colour, status.padEnd(10));
  }
  pad(id) {
    return id.padEnd(this.width);
  }
  shortPath(p) {
    const rel = relative(this.opts.cwd, p);
    return rel.length < p.length && !rel.startsWith("..") ? rel : p;
  }
  bold(s) {
    return this.opts.color ? `\x1B[1m${s}\x1B[22m` : s;
  }
  paint(colour, s) {
    if (!this.opts.color) return s;
    const code = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 }[colour] ?? 0;
    return `\x1B[${code}m${s}\x1B[0m`;
  }
  line(text) {
    this.buffer += text + "\n";
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
  flush() {
    this.scheduled = false;
    if (this.buffer === "") return;
    const text = this.buffer;
    this.buffer = "";
    this.opts.write(text);
  }
};
function listNames(ids) {
  return ids.length <= 20 ? ids.join(", ") : `${ids.slice(0, 20).join(", ")} and ${ids.length - 20} more`;
}
function readLogTail(path, maxLines) {
  let fd;
  try {
    fd = openSync2(path, "r");
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 8192);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString("utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (len < size) lines.shift();
    return lines.slice(-maxLines);
  } finally {
    closeSync2(fd);
  }
}

// ../../work/main/src/state/json-lines-sink.ts
var JsonLinesSink = class {
  constructor(stream) {
    this.stream = stream;
    stream.on("error", () => {
      this.broken = true;
      this.buffer = "";
    });
  }
  buffer = "";
  scheduled = false;
  broken = false;
  handle(event) {
    if (this.broken) return;
    this.buffer += serializeEvent(event) + "\n";
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
  close() {
    this.flush();
  }
  flush() {
    this.scheduled = false;
    if (this.broken || this.buffer === "") return;
    const text = this.buffer;
    this.buffer = "";
    this.stream.write(text);
  }
};

// ../../work/main/src/otel/enabled.ts
function otelRequested(flag, env = process.env) {
  if (isTrue(env.OTEL_SDK_DISABLED)) return false;
  if (flag === true) return true;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter && exporter !== "none") return true;
  return nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT) || nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}
function nonEmpty(v) {
  return v !== void 0 && v.trim() !== "";
}
function isTrue(v) {
  return v?.trim().toLowerCase() === "true";
}

// ../../work/main/src/state/state-dir.ts
import { existsSync as existsSync2, mkdirSync as mkdirSync2, writeFileSync } from "node:fs";
import { join } from "node:path";
function prepareStateDir(stateDir) {
  mkdirSync2(stateDir, { recursive: true });
  const ignore = join(stateDir, ".gitignore");
  if (!existsSync2(ignore)) writeFileSync(ignore, "# Created by engine: run state is not source.\n*\n");
}

// ../../work/main/src/commands/run.ts
function parseTargets(values) {
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}
var CANCEL_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];
async function runCommand(planPath, opts) {
  const cwd = process.cwd();
  const stateDir = resolveStateDir(opts.stateDir);
  const runId = newRunId();
  try {
    const loaded = loadPlan({
      path: planPath,
      varArgs: opts.var,
      varsFile: opts.varsFile,
      runId,
      stateDir,
      cwd,
      maxConcurrency: opts.maxConcurrency
    });
    const plan = opts.target ? selectTargets(loaded, parseTargets(opts.target)) : loaded;
    if (opts.dryRun) {
      printDryRun(plan, (text) => process.stdout.write(text));
      return ExitCode.ok;
    }
    return await executeRun(plan, { ...opts, runId, stateDir, cwd });
  } catch (err) {
    return reportError(err);
  }
}
async function executeRun(plan, ctx) {
  const { runId, stateDir, cwd } = ctx;
  const sinks = [];
  const flushing = [];
  try {
    launcher();
    prepareStateDir(stateDir);
    recoverInterruptedRuns(stateDir);
    sinks.push(new JsonlSink(eventsPath(stateDir, runId)));
    sinks.push(
      new SqliteSink(runsDbPath(stateDir), {
        onError: (err) => warnOnce(`runs.db write failed, will retry: ${err.message}`)
      })
    );
    if (ctx.json) sinks.push(new JsonLinesSink(process.stdout));
    const otel = otelRequested(ctx.otel) ? await startOtel(plan) : null;
    if (otel) {
      sinks.push(otel);
      flushing.push(otel);
    }
    const consoleOut = ctx.json ? process.stderr : process.stdout;
    sinks.push(
      new ConsoleSink({
        write: (text) => consoleOut.write(text),
        color: consoleOut.isTTY === true && !process.env.NO_COLOR,
        mask: planMasker(plan),
        cwd,
        stateDirOption: stateDir === resolveStateDir(void 0) ? "" : ` --state-dir ${stateDir}`
      })
    );
    const run = new PlanRun({ plan, runId, stateDir, cwd, sinks, resume: ctx.resume, stepEnv: otel?.stepEnv });
    const onSignal = (signal) => run.cancel(signal);
    for (const s of CANCEL_SIGNALS) process.on(s, onSignal);
    const finished = await run.start();
    for (const s of CANCEL_SIGNALS) process.off(s, onSignal);
    closeAll(sinks);
    await flushAll(flushing);
    return finished.exit_code;
  } catch (err) {
    try {
      closeAll(sinks);
    } catch {
    }
    await flushAll(flushing);
    throw err;
  }
}
var FLUSH_TIMEOUT_MS = 5e3;
async function startOtel(plan) {
  const warn = (message) => process.stderr.write(`engine: warning: ${message}
`);
  try {
    const { createOtelSink } = await import("./otel-sink-JJJTIVJN.mjs");
    return await createOtelSink({ warn, plan: { id: plan.planId, version: plan.version } });
  } catch (err) {
    warn(`OpenTelemetry export is off: ${err.message}`);
    return null;
  }
}
async function flushAll(sinks) {
  if (sinks.length === 0) return;
  let timer;
  const timeout = new Promise((resolve) => timer = setTimeout(() => resolve("timeout"), FLUSH_TIMEOUT_MS));
  const outcome = await Promise.race([Promise.allSettled(sinks.splice(0).map((s) => s.shutdown())), timeout]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    process.stderr.write(`engine: warning: telemetry export did not finish within ${FLUSH_TIMEOUT_MS / 1e3}s; some spans or metrics may be lost
`);
  }
}
function closeAll(sinks) {
  let failure;
  for (const sink of sinks.splice(0)) {
    try {
      sink.close();
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== void 0) throw failure;
}
var warned = false;
function warnOnce(message) {
  if (warned) return;
  warned = true;
  process.stderr.write(`engine: warning: ${message}
`);
}

export {
  selectTargets,
  runCommand,
  executeRun
};
