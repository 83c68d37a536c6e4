import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);

// ../../work/main/src/exit-codes.ts
var ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  cancelled: 130
};

// ../../work/main/src/errors.ts
var UserError = class extends Error {
  constructor(message, exitCode = ExitCode.usage) {
    super(message);
    this.exitCode = exitCode;
    this.name = "UserError";
  }
};

// ../../work/main/src/schema/problems.ts
var PlanError = class extends Error {
  constructor(problems) {
    super(problems.map(formatProblem).join("\n"));
    this.problems = problems;
    this.name = "PlanError";
  }
};
function formatProblem(p) {
  let where = p.file;
  if (p.line !== void 0) where += `:${p.line}:${p.column ?? 1}`;
  const pointer = p.pointer === "" ? "" : ` ${p.pointer}:`;
  return `${where}:${pointer} ${p.message}`;
}

// ../../work/main/src/commands/report-error.ts
function reportError(err) {
  if (err instanceof PlanError) {
    const n = err.problems.length;
    process.stderr.write(`engine: invalid plan (${n} problem${n === 1 ? "" : "s"}):
`);
    for (const p of err.problems) process.stderr.write(`  ${formatProblem(p)}
`);
    return ExitCode.usage;
  }
  if (err instanceof UserError) {
    process.stderr.write(`engine: ${err.message}
`);
    return err.exitCode;
  }
  const e = err;
  process.stderr.write(`engine: internal error: ${e?.message ?? String(err)}
`);
  if (process.env.ENGINE_DEBUG === "1" && e?.stack) process.stderr.write(`${e.stack}
`);
  else process.stderr.write("(set ENGINE_DEBUG=1 for a stack trace)\n");
  return ExitCode.failed;
}

export {
  ExitCode,
  PlanError,
  UserError,
  reportError
};
