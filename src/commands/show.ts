/** `engine show RUN`: a run and its steps in topological order, as text or (--json) JSON. */
import { unreachable } from '../engine/events.js';
import { ExitCode } from '../exit-codes.js';
import { formatLocalTime, formatLocalTimeOfDay, renderTable, shortPath } from '../query/format.js';
import { formatDuration } from '../format.js';
import {
  engineSeemsGone,
  parseJsonColumn,
  requireRunsDb,
  resolveRun,
  childRunsOf,
  stepsWithAttempts,
  using,
  type AttemptRow,
  type RunRow,
  type StepRow,
  type StepWithAttempts,
} from '../query/runs-reader.js';
import { recoverBeforeReading, resolveStateDir } from './common.js';
import { reportError } from './report-error.js';
import { runDurationMs, runSummary, type RunSummary } from './runs.js';

export interface ShowOptions {
  json?: boolean;
  stateDir?: string;
}

/** `engine show --json`: the run, and its steps in topological order with their attempts. */
export interface ShowJson {
  run: RunSummary & {
    plan_sha256: string;
    vars: Record<string, string>;
    max_concurrency: number;
    cancel_requested_at: string | null;
    /** A child run of a plan step: its parent run and step, else null. */
    parent_run_id: string | null;
    parent_step_id: string | null;
    /** Child runs of this run's plan steps. */
    children: { run_id: string; step_id: string | null; status: string }[];
  };
  steps: ShowJsonStep[];
}

/** A `steps` row (depends_on parsed), with every attempt and its outputs (secret values masked). */
export type ShowJsonStep = Omit<StepRow, 'run_id' | 'depends_on'> & {
  depends_on: string[];
  outputs: Record<string, string>;
  attempt_details: ShowJsonAttempt[];
};

/** An `attempts` row, without the columns its step already gives. */
export type ShowJsonAttempt = Pick<
  AttemptRow,
  'attempt' | 'status' | 'exit_code' | 'signal' | 'reason' | 'error' | 'started_at' | 'finished_at' | 'duration_ms' | 'log_path'
>;

export async function showCommand(runRef: string, opts: ShowOptions): Promise<number> {
  try {
    const stateDir = resolveStateDir(opts.stateDir);
    await recoverBeforeReading(stateDir);
    const { run, steps, children } = using(requireRunsDb(stateDir), (db) => {
      const r = resolveRun(db, runRef, stateDir);
      return { run: r, steps: stepsWithAttempts(db, r.run_id), children: childRunsOf(db, r.run_id) };
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(showJson(run, steps, children), null, 2)}\n`);
    else process.stdout.write(showText(run, steps, Date.now(), children));
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}

export function showJson(run: RunRow, steps: readonly StepWithAttempts[], children: readonly RunRow[] = []): ShowJson {
  return {
    run: {
      ...runSummary(run),
      plan_sha256: run.plan_sha256,
      vars: parseJsonColumn<Record<string, string>>(run.vars_json, {}),
      max_concurrency: run.max_concurrency,
      cancel_requested_at: run.cancel_requested_at,
      parent_run_id: run.parent_run_id ?? null,
      parent_step_id: run.parent_step_id ?? null,
      children: children.map((c) => ({ run_id: c.run_id, step_id: c.parent_step_id, status: c.status })),
    },
    steps: steps.map(({ step: s, attempts, outputs }) => ({
      step_id: s.step_id,
      name: s.name,
      position: s.position,
      depends_on: parseJsonColumn<string[]>(s.depends_on, []),
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
      kind: s.kind ?? 'command',
      instance_of: s.instance_of ?? null,
      child_run_id: s.child_run_id ?? null,
      outputs,
      attempt_details: attempts.map(attemptJson),
    })),
  };
}

function attemptJson(a: AttemptRow): ShowJsonAttempt {
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
    log_path: a.log_path,
  };
}

export function showText(run: RunRow, steps: readonly StepWithAttempts[], now: number = Date.now(), children: readonly RunRow[] = []): string {
  steps = groupedOrder(steps);
  const status = run.exit_code === null ? run.status : `${run.status} (exit code ${run.exit_code})`;
  const fields: [string, string][] = [
    ['run', run.run_id],
    ['plan', `${run.plan_id} ${run.plan_version} (${shortPath(run.plan_path)})`],
    ['status', run.cancel_requested_at && run.status === 'running' ? `${status}, cancelling` : status],
    ['started', formatLocalTime(run.started_at)],
  ];
  if (run.finished_at) fields.push(['finished', formatLocalTime(run.finished_at)]);
  fields.push(
    [run.status === 'running' ? 'elapsed' : 'duration', formatDuration(runDurationMs(run, now))],
    [
      'steps',
      `${run.steps_succeeded} succeeded, ${run.steps_failed} failed, ${run.steps_skipped} skipped, ` +
        `${run.steps_cancelled} cancelled (of ${run.steps_total})`,
    ],
    ['cwd', run.cwd],
    ['engine', `pid ${run.pid} on ${run.hostname}`],
  );
  if (run.parent_run_id) fields.push(['parent', `run ${run.parent_run_id}, step ${run.parent_step_id ?? '?'}`]);
  for (const c of children) fields.push(['child', `run ${c.run_id} (step ${c.parent_step_id ?? '?'}): ${c.status}`]);
  const width = Math.max(...fields.map(([k]) => k.length));
  let out = fields.map(([k, v]) => `${k.padEnd(width)}  ${v}\n`).join('');
  if (engineSeemsGone(run, now)) {
    out += `note: the run is recorded as running, but its engine (pid ${run.pid} on ${run.hostname}) is gone\n`;
  }
  out += '\n';
  out += renderTable(
    [
      { header: 'STEP' },
      { header: 'STATUS' },
      { header: 'ATTEMPTS', align: 'right' },
      { header: 'RESULT' },
      { header: 'STARTED' },
      { header: 'DURATION', align: 'right' },
      { header: 'LOG' },
    ],
    steps.map(({ step: s }) => [
      s.step_id,
      s.status,
      String(s.attempts),
      stepResult(s),
      formatLocalTimeOfDay(s.started_at, run.started_at),
      formatDuration(s.duration_ms),
      s.log_path ? shortPath(s.log_path) : '-',
    ]),
  );
  const withOutputs = steps.filter((s) => Object.keys(s.outputs).length > 0);
  if (withOutputs.length > 0) {
    out += '\noutputs\n';
    for (const { step, outputs } of withOutputs) {
      for (const [k, v] of Object.entries(outputs)) out += `  ${step.step_id}.${k} = ${oneLine(v)}\n`;
    }
  }
  return out;
}

/** Steps in position order, except that a for_each step's instances (added at the end as it
 * expanded) follow it. */
function groupedOrder(steps: readonly StepWithAttempts[]): readonly StepWithAttempts[] {
  if (!steps.some((s) => s.step.kind === 'for_each')) return steps;
  const byGroup = new Map<string, StepWithAttempts[]>();
  const dynamic = new Set(steps.filter((s) => s.step.kind === 'for_each').map((s) => s.step.step_id));
  for (const s of steps) {
    const g = s.step.instance_of;
    if (g !== null && dynamic.has(g)) byGroup.set(g, [...(byGroup.get(g) ?? []), s]);
  }
  const out: StepWithAttempts[] = [];
  for (const s of steps) {
    if (s.step.instance_of !== null && dynamic.has(s.step.instance_of)) continue;
    out.push(s, ...(byGroup.get(s.step.step_id) ?? []));
  }
  return out;
}

/** A value on one line: newlines shown as \n, cut at 200 characters. */
function oneLine(v: string): string {
  const t = v.replace(/\r?\n/g, '\\n');
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

/** The exit code or reason of a step, for the RESULT column. */
export function stepResult(s: StepRow): string {
  switch (s.status) {
    case 'succeeded':
      return s.exit_code === null ? 'succeeded' : `exit code ${s.exit_code}`;
    case 'failed':
      return s.detail ?? failureText(s);
    case 'skipped':
    case 'cancelled':
      return s.detail ?? s.reason ?? '-';
    case 'pending':
      // Waiting for a retry keeps the failed attempt's reason.
      return s.reason ? `retrying after: ${s.detail ?? failureText(s)}` : '-';
    case 'running':
      return '-';
    case 'waiting':
      return s.detail ?? 'waiting for its mutex';
    case 'interrupted':
      return s.detail ?? '-';
    default:
      return unreachable(s.status);
  }
}

function failureText(s: StepRow): string {
  if (s.signal) return `killed by ${s.signal}`;
  if (s.exit_code !== null) return `exit code ${s.exit_code}`;
  return s.reason ?? 'failed';
}
