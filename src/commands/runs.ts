/** `engine runs`: recent runs, newest first, as a table or (--json) a JSON array. */
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { formatLocalTime, renderTable } from '../query/format.js';
import { formatDuration } from '../format.js';
import { isRunStatus, RUN_STATUSES, type RunStatus } from '../engine/status.js';
import { countRuns, engineSeemsGone, listRuns, openRunsDbForReading, using, type RunRow } from '../query/runs-reader.js';
import { parseSince } from '../query/time-args.js';
import { recoverBeforeReading, resolveStateDir } from './common.js';
import { reportError } from './report-error.js';

export interface RunsOptions {
  status?: string;
  plan?: string;
  /** An age (`2h`) or a local date (`2026-11-01`): only runs started since. */
  since?: string;
  limit?: number;
  json?: boolean;
  stateDir?: string;
}

/** Runs listed when --limit is not given. */
export const DEFAULT_RUNS_LIMIT = 20;

/** One run in `engine runs --json`: stable snake_case keys. */
export interface RunSummary {
  run_id: string;
  plan_id: string;
  plan_version: string;
  plan_path: string;
  status: RunStatus;
  exit_code: number | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  steps_total: number;
  steps_succeeded: number;
  steps_failed: number;
  steps_skipped: number;
  steps_cancelled: number;
  cwd: string;
  pid: number;
  hostname: string;
  /** For a child run of a plan step (issue 13): the run and step that started it, else null. */
  parent_run_id: string | null;
  parent_step_id: string | null;
}

export function runSummary(r: RunRow): RunSummary {
  return {
    run_id: r.run_id,
    plan_id: r.plan_id,
    plan_version: r.plan_version,
    plan_path: r.plan_path,
    status: r.status,
    exit_code: r.exit_code,
    started_at: r.started_at,
    finished_at: r.finished_at,
    duration_ms: r.duration_ms,
    steps_total: r.steps_total,
    steps_succeeded: r.steps_succeeded,
    steps_failed: r.steps_failed,
    steps_skipped: r.steps_skipped,
    steps_cancelled: r.steps_cancelled,
    cwd: r.cwd,
    pid: r.pid,
    hostname: r.hostname,
    parent_run_id: r.parent_run_id,
    parent_step_id: r.parent_step_id,
  };
}

export async function runsCommand(opts: RunsOptions): Promise<number> {
  try {
    const stateDir = resolveStateDir(opts.stateDir);
    const status = opts.status;
    if (status !== undefined && !isRunStatus(status)) {
      throw new UserError(`unknown status "${status}"; expected one of: ${RUN_STATUSES.join(', ')}`, ExitCode.usage);
    }
    await recoverBeforeReading(stateDir);
    const db = openRunsDbForReading(stateDir);
    if (!db) {
      if (opts.json) process.stdout.write('[]\n');
      else process.stdout.write(`no runs yet in ${stateDir}\n`);
      return ExitCode.ok;
    }
    const filter = { status, planId: opts.plan, since: opts.since === undefined ? undefined : parseSince('--since', opts.since) };
    const { rows, counts } = using(db, (d) => ({
      rows: listRuns(d, { ...filter, limit: opts.limit ?? DEFAULT_RUNS_LIMIT }),
      counts: countRuns(d, filter),
    }));
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(rows.map(runSummary), null, 2)}\n`);
      return ExitCode.ok;
    }
    // The count goes to stderr: stdout stays the table, for programs.
    const filtered = opts.status !== undefined || opts.plan !== undefined || opts.since !== undefined;
    if (rows.length === 0) {
      process.stdout.write(filtered ? `no runs match in ${stateDir}\n` : `no runs yet in ${stateDir}\n`);
      if (filtered) process.stderr.write(`0 of ${counts.all} runs match\n`);
      return ExitCode.ok;
    }
    process.stdout.write(runsTable(rows));
    process.stderr.write(
      filtered
        ? `${rows.length} of ${counts.matching} matching runs (${counts.all} in all)\n`
        : `${rows.length} of ${counts.all} runs${rows.length < counts.all ? ' (--limit N for more)' : ''}\n`,
    );
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}

/**
 * The table of `engine runs`. A child run of a plan step (issue 13) is listed right under its
 * parent when the parent is listed too, as `↳ RUN_ID` (indented by depth), oldest child first;
 * otherwise in its place, marked `↳`.
 */
export function runsTable(rows: readonly RunRow[], now: number = Date.now()): string {
  const listed = new Set(rows.map((r) => r.run_id));
  const children = new Map<string, RunRow[]>();
  for (const r of rows) {
    if (r.parent_run_id === null || !listed.has(r.parent_run_id)) continue;
    const list = children.get(r.parent_run_id) ?? [];
    list.push(r);
    children.set(r.parent_run_id, list);
  }
  const ordered: { row: RunRow; depth: number }[] = [];
  const visit = (r: RunRow, depth: number): void => {
    ordered.push({ row: r, depth });
    for (const c of (children.get(r.run_id) ?? []).reverse()) visit(c, depth + 1);
  };
  for (const r of rows) if (r.parent_run_id === null || !listed.has(r.parent_run_id)) visit(r, r.parent_run_id === null ? 0 : 1);
  return renderTable(
    [
      { header: 'RUN ID' },
      { header: 'PLAN' },
      { header: 'STATUS' },
      { header: 'STARTED' },
      { header: 'DURATION', align: 'right' },
      { header: 'STEPS ok/failed/skipped' },
    ],
    ordered.map(({ row: r, depth }) => [
      depth === 0 ? r.run_id : `${'  '.repeat(depth - 1)}↳ ${r.run_id}`,
      r.plan_id,
      engineSeemsGone(r, now) ? `${r.status} (engine gone)` : r.status,
      formatLocalTime(r.started_at),
      formatDuration(runDurationMs(r, now)),
      stepCounts(r),
    ]),
  );
}

/**
 * The run's duration; for a run still running, the time since it started (or, when its engine
 * is gone, until its last heartbeat).
 */
export function runDurationMs(r: RunRow, now: number = Date.now()): number | null {
  if (r.duration_ms !== null) return r.duration_ms;
  if (r.status !== 'running') return null;
  const started = Date.parse(r.started_at);
  const until = engineSeemsGone(r, now) ? Date.parse(r.heartbeat_at) : now;
  return Number.isFinite(started) && Number.isFinite(until) ? Math.max(0, until - started) : null;
}

/** `3/1/0 of 5`, plus `, 1 cancelled` when steps were cancelled. */
function stepCounts(r: RunRow): string {
  const base = `${r.steps_succeeded}/${r.steps_failed}/${r.steps_skipped} of ${r.steps_total}`;
  return r.steps_cancelled > 0 ? `${base}, ${r.steps_cancelled} cancelled` : base;
}
