/** `engine show RUN`: a run and its steps in topological order, as text or (--json) JSON. */
import { unreachable } from '../engine/events.js';
import { ExitCode } from '../exit-codes.js';
import { formatLocalTime, formatLocalTimeOfDay, renderTable, shortPath } from '../query/format.js';
import { formatDuration } from '../format.js';
import type { PlannedStep, RunCancelRequestedEvent } from '../engine/events.js';
import { cancelledBy } from '../state/sinks/run-summary.js';
import { readLogTail } from '../state/sinks/log-tail.js';
import { analyseFailures, type FailureAnalysis } from '../state/sinks/root-causes.js';
import {
  cancelRequestOf,
  engineSeemsGone,
  plannedStepsOf,
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

/** What the events add to the rows: the steps' `critical` and who asked the run to cancel. */
export interface RunStory {
  planned: readonly PlannedStep[];
  cancel: RunCancelRequestedEvent | null;
}

/** `engine show --json`: the run, and its steps in topological order with their attempts. */
export interface ShowJson {
  run: RunSummary & {
    plan_sha256: string;
    vars: Record<string, string>;
    max_concurrency: number;
    cancel_requested_at: string | null;
    /** Who asked the run to cancel: `run_cancel_requested`'s source, signal and requester. */
    cancel_request: { source: string; signal: string; requested_by_pid: number | null } | null;
    /** Failed steps none of whose upstream steps failed (what explains the run's failure). */
    root_causes: string[];
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
    const { run, steps, story, children } = using(requireRunsDb(stateDir), (db) => {
      const r = resolveRun(db, runRef, stateDir);
      return {
        run: r,
        steps: stepsWithAttempts(db, r.run_id),
        story: { planned: plannedStepsOf(db, r.run_id), cancel: cancelRequestOf(db, r.run_id) },
        children: childRunsOf(db, r.run_id),
      };
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(showJson(run, steps, story, children), null, 2)}\n`);
    else process.stdout.write(showText(run, steps, story, Date.now(), children));
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}

export function showJson(run: RunRow, steps: readonly StepWithAttempts[], story: RunStory, children: readonly RunRow[] = []): ShowJson {
  const c = story.cancel;
  return {
    run: {
      ...runSummary(run),
      plan_sha256: run.plan_sha256,
      vars: parseJsonColumn<Record<string, string>>(run.vars_json, {}),
      max_concurrency: run.max_concurrency,
      cancel_requested_at: run.cancel_requested_at,
      cancel_request: c ? { source: c.source, signal: c.signal, requested_by_pid: c.requested_by_pid ?? null } : null,
      root_causes: analyse(steps, story).rootCauses,
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

export function showText(run: RunRow, steps: readonly StepWithAttempts[], story: RunStory, now: number = Date.now(), children: readonly RunRow[] = []): string {
  steps = groupedOrder(steps);
  const status = run.exit_code === null ? run.status : `${run.status} (exit code ${run.exit_code})`;
  const fields: [string, string][] = [
    ['run', run.run_id],
    ['plan', `${run.plan_id} ${run.plan_version} (${shortPath(run.plan_path)})`],
    ['status', statusText(status, run, story)],
  ];
  if (run.finish_reason) fields.push(['reason', `${run.finish_reason}${run.finish_detail ? `: ${run.finish_detail}` : ''}`]);
  fields.push(['started', formatLocalTime(run.started_at)]);
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
  // Root cause first: what explains a failure comes before the table of every step.
  const failures = failureText(steps, story, run.status !== 'succeeded');
  if (failures) out += `${failures}\n`;
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
    steps.map(({ step: s, attempts }) => [
      s.step_id,
      s.status,
      String(s.attempts),
      stepResult(s),
      formatLocalTimeOfDay(s.started_at, run.started_at),
      stepDuration(s, attempts),
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

/** `cancelled (exit code 130), cancelled by engine cancel from pid 4242`; `running, cancelling (requested by …)`. */
function statusText(status: string, run: RunRow, story: RunStory): string {
  const who = story.cancel ? cancelledBy(story.cancel) : null;
  if (run.status === 'running' && run.cancel_requested_at) return `${status}, cancelling${who ? ` (requested by ${who})` : ''}`;
  if (run.status === 'cancelled' && who) return `${status}, cancelled by ${who}`;
  return status;
}

/** The last attempt's duration; for a retried step, the total of its attempts, then the last. */
function stepDuration(s: StepRow, attempts: readonly AttemptRow[]): string {
  const ended = attempts.filter((a) => a.duration_ms !== null);
  if (ended.length <= 1) return formatDuration(s.duration_ms);
  const total = ended.reduce((sum, a) => sum + a.duration_ms!, 0);
  return `${formatDuration(total)} (last ${formatDuration(ended.at(-1)!.duration_ms)})`;
}

function analyse(steps: readonly StepWithAttempts[], story: RunStory): FailureAnalysis {
  const critical = new Map(story.planned.map((p) => [p.id, p.critical]));
  return analyseFailures(
    steps.map(({ step: s }) => ({
      id: s.step_id,
      status: s.status,
      dependsOn: parseJsonColumn<string[]>(s.depends_on, []),
      critical: critical.get(s.step_id) ?? true,
      upstream: s.upstream,
    })),
  );
}

/** Lines of each log tail in `engine show`. */
const SHOW_TAIL_LINES = 10;

/** The root causes with their log tails and consequences, then the non-critical failures; '' when nothing failed. */
function failureText(steps: readonly StepWithAttempts[], story: RunStory, runFailed: boolean): string {
  const a = analyse(steps, story);
  const byId = new Map(steps.map((x) => [x.step.step_id, x.step]));
  const roots = runFailed ? a.rootCauses : [];
  const notCritical = runFailed ? a.notCritical : [...a.rootCauses, ...a.notCritical];
  const lines: string[] = [];
  if (roots.length > 1) lines.push(`${roots.length} root causes (failed steps none of whose upstream steps failed):`);
  const describe = (label: string, id: string, withTail: boolean): void => {
    const s = byId.get(id)!;
    lines.push(`${label}: step "${id}" failed (attempt ${s.attempts}): ${s.detail ?? exitText(s)}`);
    const c = a.caused.get(id);
    if (c?.skipped.length) lines.push(`  skipped because of it: ${c.skipped.join(', ')}`);
    if (c?.cancelled.length) lines.push(`  cancelled because of it: ${c.cancelled.join(', ')}`);
    if (c?.failed.length) lines.push(`  failed after it: ${c.failed.join(', ')}`);
    if (!withTail || !s.log_path) return;
    const tail = readLogTail(s.log_path, SHOW_TAIL_LINES);
    if (tail.length === 0) lines.push(`  ${shortPath(s.log_path)} is empty`);
    else lines.push(`  last lines of ${shortPath(s.log_path)}:`, ...tail.map((l) => `    | ${l}`));
  };
  for (const id of roots) describe('Root cause', id, true);
  for (const id of notCritical) describe('Not critical', id, roots.length === 0);
  return lines.length ? `${lines.join('\n')}\n` : '';
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
      return s.detail ?? exitText(s);
    case 'skipped':
    case 'cancelled':
      return s.detail ?? s.reason ?? '-';
    case 'pending':
      // Waiting for a retry keeps the failed attempt's reason.
      return s.reason ? `retrying after: ${s.detail ?? exitText(s)}` : '-';
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

function exitText(s: StepRow): string {
  if (s.signal) return `killed by ${s.signal}`;
  if (s.exit_code !== null) return `exit code ${s.exit_code}`;
  return s.reason ?? 'failed';
}
