/**
 * Evaluates a step's preconditions (issue 3) once, when the step becomes ready. Value tests
 * are plain string checks; command entries run through the check port (the process stack's
 * command-check.ts: no shell, the step's cwd and env, holding when they exit 0, bounded by the
 * step's timeout).
 */
import type { CheckPort, RunningCheck } from './attempt.js';
import type { Precondition } from '../schema/resolved-plan.js';

export interface PreconditionContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  killGraceMs: number;
  checks: CheckPort;
}

/** A precondition evaluation in progress. */
export interface RunningPreconditions {
  /** Why the first failing entry does not hold (`precondition 2 (…) does not hold: …`), or
   * null when all hold. */
  readonly result: Promise<string | null>;
  /** Stops a running check command (the run was cancelled); no further entry is checked. */
  cancel(): void;
}

/** Checks `list` in order; the first failure stops the check. */
export function checkPreconditions(list: readonly Precondition[], ctx: PreconditionContext): RunningPreconditions {
  let cancelled = false;
  let current: RunningCheck | null = null;
  /** Why `p` does not hold, or null when it holds. */
  const evaluate = async (p: Precondition): Promise<string | null> => {
    switch (p.kind) {
      case 'command': {
        current = ctx.checks({ command: p.command, args: p.args, cwd: ctx.cwd, env: ctx.env, timeoutMs: ctx.timeoutMs, killGraceMs: ctx.killGraceMs });
        const r = await current.result;
        current = null;
        return r.holds ? null : r.why;
      }
      case 'not': {
        const inner = await evaluate(p.check);
        return inner === null ? describeHolding(p.check) : null;
      }
      default:
        return valueCheck(p);
    }
  };
  const run = async (): Promise<string | null> => {
    for (let i = 0; i < list.length && !cancelled; i++) {
      const p = list[i]!;
      const why = await evaluate(p);
      if (why !== null && !cancelled) return `precondition ${i + 1} (${p.label}) does not hold: ${why}`;
    }
    return null;
  };
  return {
    result: run(),
    cancel: () => {
      cancelled = true;
      current?.cancel();
    },
  };
}

/** Why a value test does not hold (naming the actual value), or null. */
function valueCheck(p: Exclude<Precondition, { kind: 'command' | 'not' }>): string | null {
  switch (p.kind) {
    case 'not_empty':
      return p.value !== '' ? null : 'the value is empty';
    case 'equals':
      return p.value === p.expected ? null : `the value is ${quote(p.value)}, not ${quote(p.expected)}`;
    case 'matches':
      return p.pattern.test(p.value) ? null : `the value ${quote(p.value)} does not match /${p.pattern.source}/`;
    case 'in':
      return p.allowed.includes(p.value) ? null : `the value ${quote(p.value)} is not one of ${p.allowed.map(quote).join(', ')}`;
  }
}

/** Why a negated check fails: the check it negates holds (with the value it saw). */
function describeHolding(p: Precondition): string {
  switch (p.kind) {
    case 'command':
      return 'the command exited 0';
    case 'not':
      return `${p.check.label} does not hold`;
    case 'not_empty':
    case 'equals':
    case 'matches':
    case 'in':
      return `it holds (the value is ${quote(p.value)})`;
  }
}

/** Text quoted for a message, cut at 200 characters. */
function quote(text: string): string {
  return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
