/**
 * The end-of-run summary on the console: the steps' table, the outcome, then every root cause
 * (root-causes.ts) with its reason, what it caused and the last lines of its log, then the
 * failures the run went on without.
 */
import { relative } from 'node:path';
import type { RunCancelRequestedEvent, RunFinishedEvent } from '../../engine/events.js';
import { unreachable } from '../../engine/events.js';
import type { StepStatus } from '../../engine/status.js';
import { count, formatDuration } from '../../format.js';
import { type Colour, type Style } from './console-style.js';
import { readLogTail } from './log-tail.js';
import { analyseFailures, type Consequences } from './root-causes.js';

/** A step as the console saw it. */
export interface StepView {
  id: string;
  status: StepStatus;
  attempts: number;
  /** Duration of the last attempt that ended. */
  durationMs: number | null;
  /** Durations of all its attempts, added up. */
  totalMs: number;
  logPath: string | null;
  /** The step whose outcome skipped or cancelled this one. */
  upstream: string | null;
  /** `failed (attempt 2): exit code 3 (expected 0)`, of its last failed attempt. */
  error: string | null;
  dependsOn: readonly string[];
  critical: boolean;
}

export interface SummaryContext {
  steps: readonly StepView[];
  level: 'quiet' | 'normal' | 'verbose';
  style: Style;
  /** Who asked the run to cancel (`cancelledBy`), when someone did. */
  cancelledBy: string | null;
  logDir: string;
  cwd: string;
  mask: (text: string) => string;
  stateDirOption: string;
  width: number;
  line: (text: string) => void;
}

/** Lines of a root cause's log shown in the summary (fewer each when there are several). */
const LOG_TAIL_LINES = 15;
const LOG_TAIL_LINES_SEVERAL = 8;
/** Runs with more steps list only the steps that did not succeed in the summary table. */
const FULL_TABLE_MAX_STEPS = 60;

/** `engine cancel from pid 4242`, `the dashboard (pid 4242)`, `SIGINT`, `the run's timeout_sec`. */
export function cancelledBy(e: Pick<RunCancelRequestedEvent, 'source' | 'signal' | 'requested_by_pid'>): string {
  const pid = e.requested_by_pid == null ? '' : ` from pid ${e.requested_by_pid}`;
  switch (e.source) {
    case 'engine_cancel':
      return `engine cancel${pid}`;
    case 'dashboard':
      return `the dashboard${pid}`;
    case 'run_timeout':
      return "the run's timeout_sec";
    case 'parent_run':
      return 'its parent run';
    case 'signal':
      return e.signal;
    default:
      return unreachable(e.source);
  }
}

export function printSummary(e: RunFinishedEvent, c: SummaryContext): void {
  const { style, line } = c;
  if (c.level !== 'quiet') table(c);
  line('');
  const counts = `${e.succeeded} succeeded, ${e.failed} failed, ${e.skipped} skipped, ${e.cancelled} cancelled`;
  const colour: Colour = e.status === 'succeeded' ? 'green' : e.status === 'failed' ? 'red' : 'yellow';
  line(style.paint(colour, style.bold(`Run ${e.status} in ${formatDuration(e.duration_ms)}`)) + ` (${counts})`);
  if (e.detail) line(style.paint(colour, `Why: ${e.detail}`));
  if (e.status === 'cancelled' && c.cancelledBy) line(`The run was cancelled by ${c.cancelledBy}.`);
  failures(c, e.status !== 'succeeded');
  if (c.logDir) line(`Logs: ${shortPath(c.logDir, c.cwd)} (one step: engine logs ${e.run_id} STEP${c.stateDirOption})`);
}

function table(c: SummaryContext): void {
  const rows = c.steps;
  const shown = rows.length <= FULL_TABLE_MAX_STEPS ? rows : rows.filter((r) => r.status !== 'succeeded');
  const pad = (id: string): string => id.padEnd(c.width);
  c.line('');
  c.line(c.style.bold(`  ${'STEP'.padEnd(c.width)}  ${'STATUS'.padEnd(10)}  ATTEMPTS  DURATION`));
  for (const r of shown) {
    c.line(`  ${pad(r.id)}  ${c.style.paint(STATUS_COLOUR[r.status], r.status.padEnd(10))}  ${String(r.attempts).padEnd(8)}  ${duration(r)}`);
  }
  if (shown.length < rows.length) c.line(`  (${count(rows.length - shown.length, 'succeeded step')} not listed)`);
}

/** The last attempt's duration; for a retried step, the total of its attempts and the last one. */
function duration(r: StepView): string {
  if (r.attempts <= 1 || r.durationMs === null) return formatDuration(r.durationMs);
  return `${formatDuration(r.totalMs)} (last attempt ${formatDuration(r.durationMs)})`;
}

function failures(c: SummaryContext, runFailed: boolean): void {
  const { style, line } = c;
  const byId = new Map(c.steps.map((s) => [s.id, s]));
  const analysis = analyseFailures(c.steps);
  const roots = runFailed ? analysis.rootCauses : [];
  const notCritical = runFailed ? analysis.notCritical : [...analysis.rootCauses, ...analysis.notCritical];
  if (roots.length > 1) line(style.paint('red', `${roots.length} root causes (failed steps none of whose upstream steps failed):`));
  for (const id of roots) {
    const s = byId.get(id)!;
    line(style.paint('red', `Root cause: step "${id}" ${s.error ?? 'failed'}`));
    consequences(c, analysis.caused.get(id));
    logTail(c, s.logPath, roots.length > 1 ? LOG_TAIL_LINES_SEVERAL : LOG_TAIL_LINES);
  }
  // Beside root causes, a short list; alone (the run succeeded anyway), with their logs' ends.
  for (const id of notCritical) {
    const s = byId.get(id)!;
    line(style.paint('yellow', `Not critical: step "${id}" ${s.error ?? 'failed'}`));
    consequences(c, analysis.caused.get(id));
    if (roots.length === 0) logTail(c, s.logPath, notCritical.length > 1 ? LOG_TAIL_LINES_SEVERAL : LOG_TAIL_LINES);
  }
}

function consequences(c: SummaryContext, caused: Consequences | undefined): void {
  if (!caused) return;
  if (caused.skipped.length) c.line(`  skipped because of it: ${listNames(caused.skipped)}`);
  if (caused.cancelled.length) c.line(`  cancelled because of it: ${listNames(caused.cancelled)}`);
  if (caused.failed.length) c.line(`  failed after it: ${listNames(caused.failed)}`);
}

function logTail(c: SummaryContext, log: string | null, lines: number): void {
  if (!log) return;
  const tail = readLogTail(log, lines);
  if (tail.length === 0) {
    c.line(`  ${shortPath(log, c.cwd)} is empty`);
    return;
  }
  c.line(`  last lines of ${shortPath(log, c.cwd)}:`);
  for (const l of tail) c.line(c.style.paint('dim', `    | ${c.mask(l)}`));
}

const STATUS_COLOUR: Record<StepStatus, Colour> = {
  pending: 'cyan',
  waiting: 'yellow',
  running: 'cyan',
  succeeded: 'green',
  failed: 'red',
  skipped: 'dim',
  cancelled: 'yellow',
  interrupted: 'yellow',
};

function listNames(ids: string[]): string {
  return ids.length <= 20 ? ids.join(', ') : `${ids.slice(0, 20).join(', ')} and ${ids.length - 20} more`;
}

function shortPath(p: string, cwd: string): string {
  const rel = relative(cwd, p);
  return rel.length < p.length && !rel.startsWith('..') ? rel : p;
}
