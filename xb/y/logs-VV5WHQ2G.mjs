import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import {
  FINAL_STEP_STATUSES,
  attemptsOfStep,
  engineSeemsGone,
  getRun,
  getStep,
  requireRunsDb,
  resolveRun,
  stepsOf,
  stepsWithAttempts
} from "./chunk-MYH7MVTT.mjs";
import "./chunk-QY6XNTNJ.mjs";
import {
  resolveStateDir
} from "./chunk-UAN2LSTN.mjs";
import {
  ExitCode,
  UserError,
  reportError
} from "./chunk-4DO664QM.mjs";
import "./chunk-R5JLVHAA.mjs";

// ../../work/main/src/query/follow.ts
import { setTimeout as sleep } from "node:timers/promises";

// ../../work/main/src/query/log-files.ts
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
var CHUNK_BYTES = 64 * 1024;
var stdoutOutput = (chunk) => new Promise((resolve, reject) => {
  process.stdout.write(chunk, (err) => err ? reject(err) : resolve());
});
var FileTail = class {
  constructor(path) {
    this.path = path;
  }
  offset = 0;
  /** Chunks appended since the last call, in order (none when nothing is new). */
  *readNew() {
    let fd;
    try {
      fd = openSync(this.path, "r");
    } catch (err) {
      if (err.code === "ENOENT") return;
      throw err;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) this.offset = 0;
      while (this.offset < size) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - this.offset));
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n === 0) break;
        this.offset += n;
        yield n === buf.length ? buf : buf.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
  }
};
var LinePrefixer = class {
  constructor(prefix) {
    this.prefix = prefix;
  }
  decoder = new StringDecoder("utf8");
  partial = "";
  /** The complete lines among what was seen so far, prefixed, each ending with a newline. */
  push(chunk) {
    const text = this.partial + this.decoder.write(chunk);
    const lastNewline = text.lastIndexOf("\n");
    if (lastNewline === -1) {
      this.partial = text;
      return "";
    }
    this.partial = text.slice(lastNewline + 1);
    return prefixLines(this.prefix, text.slice(0, lastNewline + 1));
  }
  /** The unfinished last line, prefixed and ended with a newline ('' when there is none). */
  end() {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    return rest === "" ? "" : `${this.prefix}${rest}
`;
  }
};
function prefixLines(prefix, text) {
  return text.slice(0, -1).split("\n").map((l) => `${prefix}${l}
`).join("");
}
async function copyFile(path, out) {
  let fd;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    if (err.code === "ENOENT") return null;
    throw err;
  }
  let endsWithNewline = true;
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    for (; ; ) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      endsWithNewline = buf[n - 1] === 10;
      await out(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  return endsWithNewline;
}

// ../../work/main/src/query/follow.ts
var POLL_MS = 100;
function runState(db, runId) {
  const run = getRun(db, runId);
  if (!run || run.status !== "running") return "ended";
  if (!engineSeemsGone(run)) return "running";
  const again = getRun(db, runId);
  return !again || again.status !== "running" ? "ended" : "engine_gone";
}
function warnEngineGone(db, runId) {
  const run = getRun(db, runId);
  const who = run ? ` (pid ${run.pid} on ${run.hostname})` : "";
  process.stderr.write(`engine: run ${runId} is recorded as running, but its engine${who} is gone; stopped following
`);
  return ExitCode.failed;
}
async function followAllSteps(db, runId, out) {
  const attemptsStmt = db.prepare(
    `SELECT a.step_id, a.attempt, a.status, a.log_path
     FROM attempts a JOIN steps s ON s.run_id = a.run_id AND s.step_id = a.step_id
     WHERE a.run_id = ? ORDER BY s.position, a.attempt`
  );
  const followed = /* @__PURE__ */ new Map();
  const flushPartials = async () => {
    for (const f of followed.values()) {
      const rest = f.lines.end();
      if (rest) await out(rest);
    }
  };
  for (; ; ) {
    const state = runState(db, runId);
    const attempts = attemptsStmt.all(runId);
    for (const a of attempts) {
      const key = `${a.step_id}\0${a.attempt}`;
      let f = followed.get(key);
      if (!f) {
        f = { tail: new FileTail(a.log_path), lines: new LinePrefixer(`[${a.step_id}] `), drained: false };
        followed.set(key, f);
        if (a.attempt > 1) await out(`[${a.step_id}] ==> attempt ${a.attempt} <==
`);
      }
      if (f.drained) continue;
      const ended = a.status !== "running";
      for (const chunk of f.tail.readNew()) {
        const text = f.lines.push(chunk);
        if (text) await out(text);
      }
      if (ended) {
        f.drained = true;
        const rest = f.lines.end();
        if (rest) await out(rest);
      }
    }
    if (state === "ended") {
      await flushPartials();
      return ExitCode.ok;
    }
    if (state === "engine_gone") {
      await flushPartials();
      return warnEngineGone(db, runId);
    }
    await sleep(POLL_MS);
  }
}
async function followStep(db, runId, stepId, pinnedAttempt, out) {
  let tail = null;
  let current = 0;
  let lastByte = 10;
  const write = async (chunk) => {
    if (chunk.length === 0) return;
    lastByte = typeof chunk === "string" ? chunk.charCodeAt(chunk.length - 1) : chunk[chunk.length - 1];
    await out(chunk);
  };
  for (; ; ) {
    const state = runState(db, runId);
    const step = getStep(db, runId, stepId);
    const attempts = attemptsOfStep(db, runId, stepId);
    const stepOver = state !== "running" || step !== void 0 && FINAL_STEP_STATUSES.has(step.status);
    if (tail === null) {
      const a = pinnedAttempt !== void 0 ? attempts.find((x) => x.attempt === pinnedAttempt) : attempts.at(-1);
      if (a) {
        tail = new FileTail(a.log_path);
        current = a.attempt;
      } else if (stepOver) {
        if (pinnedAttempt !== void 0) {
          throw new UserError(`step "${stepId}" has no attempt ${pinnedAttempt} (${attemptRange(attempts.length)})`, ExitCode.usage);
        }
        process.stderr.write(`engine: step "${stepId}" has no log: it never started (${step?.status ?? "unknown"})
`);
        return state === "engine_gone" ? warnEngineGone(db, runId) : ExitCode.ok;
      }
    }
    if (tail !== null) {
      for (const chunk of tail.readNew()) await write(chunk);
      const next = pinnedAttempt === void 0 ? attempts.find((x) => x.attempt > current) : void 0;
      if (next) {
        if (lastByte !== 10) await write("\n");
        await write(`==> ${stepId} (attempt ${next.attempt}) <==
`);
        tail = new FileTail(next.log_path);
        current = next.attempt;
        continue;
      }
      const attemptOver = pinnedAttempt !== void 0 && attempts.find((x) => x.attempt === current)?.status !== "running";
      if (stepOver || attemptOver) {
        return state === "engine_gone" ? warnEngineGone(db, runId) : ExitCode.ok;
      }
    }
    await sleep(POLL_MS);
  }
}
function attemptRange(count) {
  if (count === 0) return "it has no attempts";
  return count === 1 ? "it has attempt 1 only" : `it has attempts 1..${count}`;
}

// ../../work/main/src/commands/logs.ts
async function logsCommand(runRef, stepId, opts) {
  process.stdout.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(ExitCode.ok);
    throw err;
  });
  try {
    if (opts.attempt !== void 0 && stepId === void 0) {
      throw new UserError("--attempt needs a STEP (engine logs RUN STEP --attempt N)", ExitCode.usage);
    }
    const stateDir = resolveStateDir(opts.stateDir);
    const db = requireRunsDb(stateDir);
    try {
      const run = resolveRun(db, runRef, stateDir);
      if (stepId !== void 0) checkStep(db, run.run_id, stepId);
      const out = stdoutOutput;
      if (opts.follow) {
        return stepId === void 0 ? await followAllSteps(db, run.run_id, out) : await followStep(db, run.run_id, stepId, opts.attempt, out);
      }
      return stepId === void 0 ? await printAllSteps(db, run.run_id, out) : await printStep(db, run.run_id, stepId, opts.attempt, out);
    } finally {
      db.close();
    }
  } catch (err) {
    return reportError(err);
  }
}
function checkStep(db, runId, stepId) {
  if (getStep(db, runId, stepId)) return;
  const ids = stepsOf(db, runId).map((s) => s.step_id);
  throw new UserError(`run ${runId} has no step "${stepId}"; its steps: ${ids.join(", ")}`, ExitCode.usage);
}
async function printStep(db, runId, stepId, attempt, out) {
  const attempts = attemptsOfStep(db, runId, stepId);
  let chosen;
  if (attempt !== void 0) {
    chosen = attempts.find((a) => a.attempt === attempt);
    if (!chosen) throw new UserError(`step "${stepId}" has no attempt ${attempt} (${attemptRange(attempts.length)})`, ExitCode.usage);
  } else {
    chosen = attempts.at(-1);
    if (!chosen) {
      const status = getStep(db, runId, stepId)?.status ?? "unknown";
      process.stderr.write(`engine: step "${stepId}" has no log: it never started (${status})
`);
      return ExitCode.ok;
    }
  }
  if (await copyFile(chosen.log_path, out) === null) {
    process.stderr.write(`engine: log file ${chosen.log_path} is missing
`);
    return ExitCode.failed;
  }
  return ExitCode.ok;
}
async function printAllSteps(db, runId, out) {
  let first = true;
  let missing = 0;
  const header = async (text) => {
    await out(`${first ? "" : "\n"}==> ${text} <==
`);
    first = false;
  };
  for (const { step, attempts } of stepsWithAttempts(db, runId)) {
    if (attempts.length === 0) {
      await header(`${step.step_id} (${step.status}, never started: no log)`);
      continue;
    }
    for (const a of attempts) {
      await header(`${step.step_id} (attempt ${a.attempt} of ${attempts.length}, ${a.status})`);
      const endsWithNewline = await copyFile(a.log_path, out);
      if (endsWithNewline === null) {
        missing++;
        await out(`(log file ${a.log_path} is missing)
`);
      } else if (!endsWithNewline) {
        await out("\n");
      }
    }
  }
  return missing > 0 ? ExitCode.failed : ExitCode.ok;
}
export {
  logsCommand
};
