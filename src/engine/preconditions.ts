/**
 * Evaluates a step's preconditions (issue 3) once, when the step becomes ready. Value tests
 * are plain string checks; command entries run without a shell in the step's cwd and env,
 * hold when they exit 0, and are bounded by the step's timeout. Commands run through execa,
 * loaded only when a plan has command preconditions: they are off the hot path, and execa's
 * timeout and kill handling is what they need.
 */
import type { Precondition } from '../schema/resolved-plan.js';

export interface PreconditionContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  killGraceMs: number;
  /** Aborted when the run is cancelled: a running check command is killed. */
  signal: AbortSignal;
}

/** Why the first failing entry does not hold (`precondition 2 (…) does not hold: …`), or
 * null when all hold. Entries are checked in order; the first failure stops the check. */
export async function failedPrecondition(list: readonly Precondition[], ctx: PreconditionContext): Promise<string | null> {
  for (let i = 0; i < list.length && !ctx.signal.aborted; i++) {
    const p = list[i]!;
    const why = await check(p, ctx);
    if (why !== null) return `precondition ${i + 1} (${p.label}) does not hold: ${why}`;
  }
  return null;
}

async function check(p: Precondition, ctx: PreconditionContext): Promise<string | null> {
  switch (p.kind) {
    case 'not_empty':
      return p.value !== '' ? null : 'the value is empty';
    case 'equals':
      return p.value === p.expected ? null : 'the values differ';
    case 'matches':
      return p.pattern.test(p.value) ? null : `the value does not match /${p.pattern.source}/`;
    case 'command':
      return runCheck(p.command, p.args, ctx);
  }
}

async function runCheck(command: string, args: string[], ctx: PreconditionContext): Promise<string | null> {
  const { execa } = await import('execa');
  const r = await execa(command, args, {
    cwd: ctx.cwd,
    env: ctx.env,
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
    maxBuffer: 64 * 1024,
    timeout: ctx.timeoutMs,
    forceKillAfterDelay: ctx.killGraceMs,
    cancelSignal: ctx.signal,
    reject: false,
  });
  if (r.isCanceled) return 'cancelled';
  if (r.exitCode === 0) return null;
  if (r.timedOut) return `timed out after ${ctx.timeoutMs}ms`;
  const code = (r as { code?: string }).code;
  if (r.failed && r.exitCode === undefined && code === 'ENOENT') return `command not found: ${command}`;
  const stderr = String(r.stderr ?? '').trim().split('\n').at(-1) ?? '';
  const how = r.exitCode !== undefined ? `exit code ${r.exitCode}` : (r.signal ?? r.shortMessage ?? 'failed');
  return stderr ? `${how}: ${stderr}` : how;
}
