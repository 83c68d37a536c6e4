/**
 * Terminal output of a run, derived from events like every other sink: one line per step
 * start and end, then a summary. On failure the summary names the root cause first (the
 * step that failed first and why), then what was skipped or cancelled because of it, then
 * the last lines of the failed step's log (issue 2).
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { EngineEvent, PlannedStep, RerunCauseRecord, RunFinishedEvent, StepFailedEvent } from '../../engine/events.js';
import { unreachable } from '../../engine/events.js';
import type { StepStatus } from '../../engine/status.js';
import { formatDuration } from '../../format.js';
import type { BatchSink, SerializedEvent } from './turn-buffer.js';

export interface ConsoleSinkOptions {
  /** Receives text to print; called at most once per batch (event-loop turn). */
  write: (text: string) => void;
  /** ANSI colours (a TTY without NO_COLOR). */
  color: boolean;
  /** Masks secret values in text read from log files. */
  mask: (text: string) => string;
  /** Paths are shown relative to this directory when that is shorter. */
  cwd: string;
  /** Options a later `engine logs` needs to find this run, e.g. `--state-dir /x` ('' for none). */
  stateDirOption: string;
}

/** Lines of a failed step's log shown in the summary. */
const LOG_TAIL_LINES = 15;
/** Runs with more steps list only the steps that did not succeed in the summary table. */
const FULL_TABLE_MAX_STEPS = 60;

interface StepView {
  id: string;
  status: StepStatus;
  attempts: number;
  durationMs: number | null;
  logPath: string | null;
  /** The step whose outcome skipped or cancelled this one. */
  upstream: string | null;
}

export class ConsoleSink implements BatchSink {
  private buffer = '';
  private readonly steps = new Map<string, StepView>();
  /** First final failure of a critical step, else of any step. */
  private rootCause: StepFailedEvent | null = null;
  private readonly critical = new Set<string>();
  private cancelSignal: string | null = null;
  private width = 8;
  private logDir = '';

  constructor(private readonly opts: ConsoleSinkOptions) {}

  write(batch: readonly SerializedEvent[]): void {
    for (const { event } of batch) this.consume(event);
    this.flush();
  }

  private consume(e: EngineEvent): void {
    switch (e.type) {
      case 'run_started':
        this.plannedSteps(e.steps);
        this.line(
          `${this.bold(`run ${e.run_id}`)}  plan ${e.plan_id} ${e.plan_version}: ${e.steps.length} steps, max concurrency ${e.max_concurrency}`,
        );
        break;
      case 'run_resumed':
        this.plannedSteps(e.steps);
        for (const id of e.kept) this.view(id).status = 'succeeded';
        this.line(
          `${this.bold(`run ${e.run_id}`)} resumed (was ${e.previous_status}): ${e.kept.length} succeeded steps kept, ${e.rerun.length} to run`,
        );
        this.rerunCauses(e.rerun_causes);
        break;
      case 'step_started': {
        const v = this.view(e.step_id);
        v.status = 'running';
        v.attempts = e.attempt;
        v.logPath = e.log_path;
        if (!this.logDir) this.logDir = dirname(e.log_path);
        this.line(`  ${this.paint('cyan', '▶')} ${this.pad(e.step_id)} started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`);
        break;
      }
      case 'step_succeeded': {
        const v = this.view(e.step_id);
        v.status = 'succeeded';
        v.durationMs = e.duration_ms;
        this.line(`  ${this.paint('green', '✓')} ${this.pad(e.step_id)} succeeded in ${formatDuration(e.duration_ms)}`);
        break;
      }
      case 'step_failed': {
        const v = this.view(e.step_id);
        v.status = e.will_retry ? 'pending' : 'failed';
        v.durationMs = e.duration_ms;
        if (!e.will_retry && (this.rootCause === null || (!this.critical.has(this.rootCause.step_id) && this.critical.has(e.step_id)))) {
          this.rootCause = e;
        }
        const tail = e.will_retry ? ', will retry' : '';
        this.line(
          `  ${this.paint('red', '✗')} ${this.pad(e.step_id)} failed after ${formatDuration(e.duration_ms)} (attempt ${e.attempt}): ${e.error}${tail}`,
        );
        break;
      }
      case 'step_retrying':
        this.line(`  ${this.paint('yellow', '↻')} ${this.pad(e.step_id)} retrying in ${formatDuration(e.delay_ms)} (attempt ${e.attempt})`);
        break;
      case 'step_skipped': {
        const v = this.view(e.step_id);
        v.status = 'skipped';
        v.upstream = e.upstream;
        this.line(`  ${this.paint('dim', '-')} ${this.pad(e.step_id)} skipped: ${e.detail}`);
        break;
      }
      case 'step_cancelled': {
        const v = this.view(e.step_id);
        v.status = 'cancelled';
        v.upstream = e.upstream;
        if (e.duration_ms !== null) v.durationMs = e.duration_ms;
        this.line(`  ${this.paint('yellow', '⊘')} ${this.pad(e.step_id)} cancelled: ${e.detail}`);
        break;
      }
      case 'run_cancel_requested':
        this.cancelSignal ??= e.signal;
        this.line(
          e.forced
            ? this.paint('yellow', `! ${e.signal} again: cancelling cleanup steps too and stopping now`)
            : this.paint('yellow', `! ${e.signal}: cancelling the run; cleanup steps (all_done) still run. Press Ctrl-C again to stop them too.`),
        );
        break;
      case 'step_expanded':
        this.plannedSteps(e.steps);
        this.line(`  ${this.paint('cyan', '⋔')} ${this.pad(e.step_id)} expanded into ${e.instances.length} instance${e.instances.length === 1 ? '' : 's'}`);
        break;
      case 'step_waiting':
        this.view(e.step_id).status = 'waiting';
        this.line(`  ${this.paint('yellow', '⧗')} ${this.pad(e.step_id)} waiting for mutex "${e.mutex}", held by ${holderText(e)}`);
        break;
      case 'run_waiting':
        this.line(
          this.paint('yellow', `! run waits for mutex "${e.mutex}", held by ${holderText(e)}${e.cancelled_holder ? ' (asked it to cancel: on_mutex_busy cancel_other)' : ''}`),
        );
        break;
      case 'step_picked_up':
        this.line(`  ${this.paint('dim', '·')} ${this.pad(e.step_id)} on worker ${e.worker}${e.pid === null ? '' : ` (pid ${e.pid})`}`);
        break;
      case 'step_result_discarded':
        this.line(this.paint('yellow', `! ${e.step_id}: late result of attempt ${e.attempt} from worker ${e.worker} ignored: ${e.detail}`));
        break;
      case 'executor_unreachable':
        this.line(
          this.paint('yellow', `! Redis ${e.redis} unreachable (${e.error}): the run waits for it, at most ${formatDuration(e.wait_limit_ms)}`),
        );
        break;
      case 'executor_reconnected':
        this.line(this.paint('yellow', `! Redis ${e.redis} reachable again after ${formatDuration(e.down_ms)}`));
        break;
      case 'step_orphan_killed':
        this.line(this.paint('yellow', `! killed process ${e.pid}${e.step_id ? ` of step "${e.step_id}"` : ''} left by the vanished engine`));
        break;
      case 'run_interrupted':
        this.line(this.paint('yellow', `! run ${e.run_id} interrupted: engine process ${e.pid} on ${e.hostname} is gone`));
        break;
      case 'run_finished':
        this.summary(e);
        break;
      default:
        unreachable(e);
    }
  }

  /** Why succeeded steps run again: undone by a cleanup, or after such a step (failed ones need no telling). */
  private rerunCauses(causes: readonly RerunCauseRecord[]): void {
    const undone = new Map<string, string[]>();
    let after = 0;
    for (const c of causes) {
      if (c.cause === 'undone') undone.set(c.by!, [...(undone.get(c.by!) ?? []), c.step_id]);
      else if (c.cause === 'after_rerun') after++;
    }
    for (const [by, ids] of undone) this.line(`  ${listNames(ids)} run again: cleanup step "${by}" already ran and undid ${ids.length === 1 ? 'it' : 'them'}`);
    if (after > 0) this.line(`  ${after} succeeded step${after === 1 ? '' : 's'} after those run again too`);
  }

  private plannedSteps(steps: readonly PlannedStep[]): void {
    for (const s of steps) {
      this.steps.set(s.id, { id: s.id, status: 'pending', attempts: 0, durationMs: null, logPath: null, upstream: null });
      if (s.critical) this.critical.add(s.id);
      if (s.id.length > this.width) this.width = Math.min(s.id.length, 40);
    }
  }

  close(): void {
    this.flush();
  }

  private summary(e: RunFinishedEvent): void {
    const rows = [...this.steps.values()];
    const shown = rows.length <= FULL_TABLE_MAX_STEPS ? rows : rows.filter((r) => r.status !== 'succeeded');
    this.line('');
    this.line(this.bold(`  ${'STEP'.padEnd(this.width)}  ${'STATUS'.padEnd(10)}  ATTEMPTS  DURATION`));
    for (const r of shown) {
      const duration = formatDuration(r.durationMs);
      this.line(`  ${this.pad(r.id)}  ${this.statusText(r.status)}  ${String(r.attempts).padEnd(8)}  ${duration}`);
    }
    if (shown.length < rows.length) this.line(`  (${rows.length - shown.length} succeeded steps not listed)`);
    this.line('');
    const counts = `${e.succeeded} succeeded, ${e.failed} failed, ${e.skipped} skipped, ${e.cancelled} cancelled`;
    const colour = e.status === 'succeeded' ? 'green' : e.status === 'failed' ? 'red' : 'yellow';
    this.line(this.paint(colour, this.bold(`Run ${e.status} in ${formatDuration(e.duration_ms)}`)) + ` (${counts})`);
    if (e.status === 'cancelled' && this.cancelSignal) this.line(`Cancelled by ${this.cancelSignal}.`);
    if (e.detail) this.line(this.paint(colour, `Why: ${e.detail}`));
    if (this.rootCause) this.explainRootCause(this.rootCause, e.status !== 'succeeded');
    if (this.logDir) {
      this.line(`Logs: ${this.shortPath(this.logDir)} (one step: engine logs ${e.run_id} STEP${this.opts.stateDirOption})`);
    }
  }

  private explainRootCause(f: StepFailedEvent, runFailed: boolean): void {
    const what = `step "${f.step_id}" failed (attempt ${f.attempt}): ${f.error}`;
    this.line(runFailed ? this.paint('red', `Root cause: ${what}`) : this.paint('yellow', `Not critical: ${what}`));
    const skipped: string[] = [];
    const cancelled: string[] = [];
    for (const r of this.steps.values()) {
      if ((r.status === 'skipped' || r.status === 'cancelled') && this.tracesBackTo(r, f.step_id)) {
        (r.status === 'skipped' ? skipped : cancelled).push(r.id);
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
    for (const l of tail) this.line(this.paint('dim', `    | ${this.opts.mask(l)}`));
  }

  /** Follows `upstream` links (iteratively: chains can be long) to see whether `root` caused it. */
  private tracesBackTo(r: StepView, root: string): boolean {
    let cur: StepView | undefined = r;
    for (let hops = 0; cur && hops <= this.steps.size; hops++) {
      if (cur.upstream === root) return true;
      cur = cur.upstream ? this.steps.get(cur.upstream) : undefined;
    }
    return false;
  }

  private view(id: string): StepView {
    return this.steps.get(id)!;
  }

  private statusText(status: StepStatus): string {
    const colour = STATUS_COLOUR[status];
    return this.paint(colour, status.padEnd(10));
  }

  private pad(id: string): string {
    return id.padEnd(this.width);
  }

  private shortPath(p: string): string {
    const rel = relative(this.opts.cwd, p);
    return rel.length < p.length && !rel.startsWith('..') ? rel : p;
  }

  private bold(s: string): string {
    return this.opts.color ? `\x1b[1m${s}\x1b[22m` : s;
  }

  private paint(colour: string, s: string): string {
    if (!this.opts.color) return s;
    const code = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 }[colour] ?? 0;
    return `\x1b[${code}m${s}\x1b[0m`;
  }

  private line(text: string): void {
    this.buffer += text + '\n';
  }

  private flush(): void {
    if (this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    this.opts.write(text);
  }
}

const STATUS_COLOUR: Record<StepStatus, string> = {
  pending: 'cyan',
  waiting: 'yellow',
  running: 'cyan',
  succeeded: 'green',
  failed: 'red',
  skipped: 'dim',
  cancelled: 'yellow',
  interrupted: 'yellow',
};

/** `run R (step S)` or `run R`, for a mutex's holder. */
function holderText(e: { holder_run_id: string; holder_step_id: string | null }): string {
  return `run ${e.holder_run_id}${e.holder_step_id ? ` (step "${e.holder_step_id}")` : ''}`;
}

function listNames(ids: string[]): string {
  return ids.length <= 20 ? ids.join(', ') : `${ids.slice(0, 20).join(', ')} and ${ids.length - 20} more`;
}

/** Longest line shown in a log tail: a longer one shows its end, after `…`. */
const TAIL_LINE_MAX = 240;

/**
 * Last `maxLines` lines of a log file, reading at most its last 8 KiB. A line cut by that
 * window (or longer than {@link TAIL_LINE_MAX}) shows its end after `…`, so a log that is one
 * long line is not mistaken for an empty one.
 */
function readLogTail(path: string, maxLines: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 8192);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (len < size && lines.length > 0) lines[0] = `…${lines[0]}`;
    return lines.slice(-maxLines).map((l) => (l.length > TAIL_LINE_MAX ? `…${l.slice(-TAIL_LINE_MAX)}` : l));
  } finally {
    closeSync(fd);
  }
}
