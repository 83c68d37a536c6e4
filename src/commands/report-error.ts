/**
 * Turns an error that reached the top of a command into a message on stderr and an exit
 * code. Bad input (a PlanError) prints each problem with its place and exits 2, with no stack
 * trace; anything unexpected prints its message (and the stack only with ENGINE_DEBUG=1).
 */
import { ExitCode } from '../exit-codes.js';
import { formatProblem, PlanError } from '../schema/problems.js';
import { UserError } from '../errors.js';

/** Prints `err` for a person and returns the exit code for it. */
export function reportError(err: unknown): number {
  if (err instanceof PlanError) {
    const n = err.problems.length;
    process.stderr.write(`engine: invalid plan (${n} problem${n === 1 ? '' : 's'}):\n`);
    for (const p of err.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
    return ExitCode.usage;
  }
  if (err instanceof UserError) {
    process.stderr.write(`engine: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`engine: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.ENGINE_DEBUG === '1' && e?.stack) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('(set ENGINE_DEBUG=1 for a stack trace)\n');
  return ExitCode.failed;
}
