/**
 * Terminal output of a run, derived from events like every other sink: one-liners as steps
 * start and end, a progress display, then a summary that puts the root causes first
 * (run-summary.ts).
 *
 * Progress is either the live status area at the bottom of a terminal (progress-area.ts,
 * redrawn ~10 times a second, finished steps scrolling above it), or, when stderr is not a
 * terminal, a `[done/total] N running: a, b` line every 10 s so a CI log shows a long run is
 * alive. `--quiet` prints only failures and the summary; `--verbose` adds retry delays,
 * precondition results and skip reasons; `--output` shows the steps' own output
 * (step-output.ts).
 *
 * The plain path (no terminal, `--output none`) stays what it was: one string per batch.
 */
import { dirname } from 'node:path';
import type { EngineEvent, PlannedStep, RerunCauseRecord } from '../../engine/events.js';
import { unreachable } from '../../engine/events.js';
import { isEndedStepStatus, type StepStatus } from '../../engine/status.js';
import { count, formatDuration } from '../../format.js';
import { consoleStyle, type Style } from './console-style.js';
import { estimateRemainingMs, type EtaState, type EtaStep } from './progress-eta.js';
import { ProgressArea, type AreaStream } from './progress-area.js';
import { cancelledBy, printSummary, type StepView } from './run-summary.js';
import { StepOutput, type OutputMode } from './step-output.js';
import type { BatchSink, SerializedEvent } from './turn-buffer.js';

/** How much the console says as steps run. */
export type ConsoleLevel = 'quiet' | 'normal' | 'verbose';

/** How progress is shown. */
export type ProgressMode =
  | { kind: 'none' }
  /** A `[done/total] N running: …` line every `intervalMs` (stderr is not a terminal). */
  | { kind: 'periodic'; intervalMs: number }
  /** The status area on `stream` (a terminal); `linesHere`: the one-liners go to it too. */
  | { kind: 'live'; stream: AreaStream; linesHere: boolean; color: boolean };

/** What earlier runs recorded, read from runs.db by the command (src/query/step-history.ts). */
export interface RunHistory {
  /** Median duration of each step in earlier runs of the plan: the status area's ETA. */
  medianMs: ReadonlyMap<string, number>;
  /** Kept steps of a resumed run: their recorded attempts, last and total duration. */
  kept: ReadonlyMap<string, { attempts: number; durationMs: number | null; totalMs: number }>;
}

export interface ConsoleSinkOptions {
  /** Receives the one-liners and the summary; called at most once per batch (event-loop turn). */
  write: (chunk: string | Buffer) => void;
  level: ConsoleLevel;
  /** ANSI colours on the lines (decided by the command: --color, NO_COLOR, FORCE_COLOR, TERM). */
  color: boolean;
  /** Each line starts with the local time (the lines do not go to a terminal). */
  timestamps: boolean;
  progress: ProgressMode;
  output: OutputMode;
  history?: RunHistory;
  /** Steps that have preconditions (`--verbose` says when they held). */
  withPreconditions?: ReadonlySet<string>;
  /** Masks secret values in text read from log files. */
  mask: (text: string) => string;
  /** Paths are shown relative to this directory when that is shorter. */
  cwd: string;
  /** Options a later `engine logs` needs to find this run, e.g. `--state-dir /x` ('' for none). */
  stateDirOption: string;
}

/** Running steps listed in the status area; more are counted. */
const AREA_RUNNING_MAX = 8;
/** Running steps named in a periodic progress line; more are counted. */
const PERIODIC_RUNNING_MAX = 10;

export class ConsoleSink implements BatchSink {
  private chunks: (string | Buffer)[] = [];
  private buffer = '';
  private readonly steps = new Map<string, StepView>();
  private readonly running = new Map<string, number>();
  private readonly style: Style;
  private readonly area: ProgressArea | null = null;
  private output: StepOutput | null = null;
  private periodic: NodeJS.Timeout | null = null;
  /** Who asked the run to cancel (`cancelledBy`), once someone did. */
  private cancelRequester: string | null = null;
  /** Inside {@link write}: what is printed goes out with the batch. */
  private inBatch = false;
  private finished = false;
  private width = 8;
  private logDir = '';
  private total = 0;
  private ended = 0;
  private startedAtMs = Date.now();
  private maxConcurrency = 1;
  private eta: { steps: EtaStep[]; states: EtaState[]; medianMs: (number | undefined)[]; index: Map<string, number> } | null = null;
  private stamp = { second: -1, text: '' };
  private timestamps: boolean;

  constructor(private readonly opts: ConsoleSinkOptions) {
    this.style = consoleStyle(opts.color);
    this.timestamps = opts.timestamps;
    const p = opts.progress;
    if (p.kind === 'live') {
      const areaStyle = consoleStyle(p.color);
      this.area = new ProgressArea(p.stream, () => this.frame(), (l, i) => (i === 0 ? areaStyle.bold(l) : areaStyle.paint('cyan', l)));
    }
  }

  write(batch: readonly SerializedEvent[]): void {
    this.inBatch = true;
    try {
      for (const { event } of batch) this.consume(event);
    } finally {
      this.inBatch = false;
    }
    this.flush();
  }

  close(): void {
    this.output?.close();
    this.stopProgress();
    this.flush();
  }

  private get live(): boolean {
    return this.area !== null && !this.finished;
  }

  private consume(e: EngineEvent): void {
    const { level } = this.opts;
    switch (e.type) {
      case 'run_started':
        this.plannedSteps(e.steps, e.max_concurrency, e.ts);
        if (level !== 'quiet') {
          this.line(`${this.style.bold(`run ${e.run_id}`)}  plan ${e.plan_id} ${e.plan_version}: ${count(e.steps.length, 'step')}, max concurrency ${e.max_concurrency}`);
        }
        this.startProgress();
        break;
      case 'run_resumed':
        this.plannedSteps(e.steps, this.maxConcurrency, e.ts);
        for (const id of e.kept) this.keep(id);
        if (level !== 'quiet') {
          this.line(`${this.style.bold(`run ${e.run_id}`)} resumed (was ${e.previous_status}): ${count(e.kept.length, 'succeeded step')} kept, ${e.rerun.length} to run`);
          this.rerunCauses(e.rerun_causes);
        }
        this.startProgress();
        break;
      case 'step_started': {
        const v = this.view(e.step_id);
        v.status = 'running';
        v.attempts = e.attempt;
        v.logPath = e.log_path;
        this.running.set(e.step_id, e.started_at_ms);
        this.etaState(e.step_id, { kind: 'running', elapsedMs: 0 });
        if (!this.logDir) this.logDir = dirname(e.log_path);
        if (level === 'verbose' && e.attempt === 1 && this.opts.withPreconditions?.has(e.step_id)) {
          this.line(`  ${this.style.paint('green', '✓')} ${this.pad(e.step_id)} preconditions hold`);
        }
        if (level === 'verbose' || (level === 'normal' && !this.area)) {
          this.line(`  ${this.style.paint('cyan', '▶')} ${this.pad(e.step_id)} started${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`);
        }
        this.output?.started(e.step_id, e.attempt, e.log_path);
        break;
      }
      case 'step_succeeded': {
        const v = this.attemptEnded(e.step_id, e.duration_ms, 'succeeded');
        this.stepEnded(v, 'succeeded');
        if (level !== 'quiet') this.line(`  ${this.style.paint('green', '✓')} ${this.pad(e.step_id)} succeeded in ${formatDuration(e.duration_ms)}`);
        this.output?.stepEnded(e.step_id, 'succeeded');
        break;
      }
      case 'step_failed': {
        const v = this.attemptEnded(e.step_id, e.duration_ms, 'failed');
        v.error = `failed (attempt ${e.attempt}): ${e.error}`;
        if (e.will_retry) {
          v.status = 'pending';
          this.etaState(e.step_id, { kind: 'waiting' });
        } else this.stepEnded(v, 'failed');
        if (level !== 'quiet' || !e.will_retry) {
          const tail = e.will_retry ? ', will retry' : '';
          this.line(`  ${this.style.paint('red', '✗')} ${this.pad(e.step_id)} failed after ${formatDuration(e.duration_ms)} (attempt ${e.attempt}): ${e.error}${tail}`);
        }
        if (!e.will_retry) this.output?.stepEnded(e.step_id, 'failed');
        break;
      }
      case 'step_retrying':
        if (level === 'verbose') {
          this.line(`  ${this.style.paint('yellow', '↻')} ${this.pad(e.step_id)} retrying in ${formatDuration(e.delay_ms)} (attempt ${e.attempt})`);
        }
        break;
      case 'step_skipped': {
        const v = this.view(e.step_id);
        v.upstream = e.upstream;
        this.stepEnded(v, 'skipped');
        if (level !== 'quiet') this.line(`  ${this.style.paint('dim', '-')} ${this.pad(e.step_id)} skipped${level === 'verbose' ? `: ${e.detail}` : ''}`);
        break;
      }
      case 'step_cancelled': {
        const v = e.attempt !== null ? this.attemptEnded(e.step_id, e.duration_ms ?? 0, 'cancelled') : this.view(e.step_id);
        v.upstream = e.upstream;
        this.stepEnded(v, 'cancelled');
        if (level !== 'quiet') this.line(`  ${this.style.paint('yellow', '⊘')} ${this.pad(e.step_id)} cancelled: ${e.detail}`);
        this.output?.stepEnded(e.step_id, 'cancelled');
        break;
      }
      case 'run_cancel_requested': {
        const who = cancelledBy(e);
        this.cancelRequester ??= who;
        const stop = e.source === 'run_timeout' ? 'the run timed out' : `cancel requested by ${who}`;
        this.line(
          e.forced
            ? this.style.paint('yellow', `! ${stop} again: cancelling cleanup steps too and stopping now`)
            : this.style.paint('yellow', `! ${stop}: cancelling the run; cleanup steps (all_done) still run. Press Ctrl-C again to stop them too.`),
        );
        break;
      }
      case 'step_expanded':
        this.addSteps(e.steps);
        for (const id of e.kept) this.keep(id);
        // Instances have no history of their own: no ETA rather than a wrong one.
        this.eta = null;
        if (level !== 'quiet') this.line(`  ${this.style.paint('cyan', '⋔')} ${this.pad(e.step_id)} expanded into ${count(e.instances.length, 'instance')}`);
        break;
      case 'step_waiting':
        this.view(e.step_id).status = 'waiting';
        if (level !== 'quiet') this.line(`  ${this.style.paint('yellow', '⧗')} ${this.pad(e.step_id)} waiting for mutex "${e.mutex}", held by ${holderText(e)}`);
        break;
      case 'run_waiting':
        this.line(
          this.style.paint('yellow', `! run waits for mutex "${e.mutex}", held by ${holderText(e)}${e.cancelled_holder ? ' (asked it to cancel: on_mutex_busy cancel_other)' : ''}`),
        );
        break;
      case 'step_picked_up':
        if (level === 'verbose') this.line(`  ${this.style.paint('dim', '·')} ${this.pad(e.step_id)} on worker ${e.worker}${e.pid === null ? '' : ` (pid ${e.pid})`}`);
        break;
      case 'step_result_discarded':
        this.line(this.style.paint('yellow', `! ${e.step_id}: late result of attempt ${e.attempt} from worker ${e.worker} ignored: ${e.detail}`));
        break;
      case 'executor_unreachable':
        this.line(
          this.style.paint('yellow', `! Redis ${e.redis} unreachable (${e.error}): the run waits for it, at most ${formatDuration(e.wait_limit_ms)}`),
        );
        break;
      case 'executor_reconnected':
        this.line(this.style.paint('yellow', `! Redis ${e.redis} reachable again after ${formatDuration(e.down_ms)}`));
        break;
      case 'step_orphan_killed':
        this.line(this.style.paint('yellow', `! killed process ${e.pid}${e.step_id ? ` of step "${e.step_id}"` : ''} left by the vanished engine`));
        break;
      case 'run_interrupted':
        this.line(this.style.paint('yellow', `! run ${e.run_id} interrupted: engine process ${e.pid} on ${e.hostname} is gone`));
        break;
      case 'run_finished':
        this.output?.close();
        this.stopProgress();
        // The summary is one block, read after the run: no timestamps in it.
        this.timestamps = false;
        printSummary(e, {
          steps: [...this.steps.values()],
          level,
          style: this.style,
          cancelledBy: this.cancelRequester,
          logDir: this.logDir,
          cwd: this.opts.cwd,
          mask: this.opts.mask,
          stateDirOption: this.opts.stateDirOption,
          width: this.width,
          line: (text) => this.line(text),
        });
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
    if (after > 0) this.line(`  ${count(after, 'succeeded step')} after those run again too`);
  }

  private plannedSteps(steps: readonly PlannedStep[], maxConcurrency: number, ts: string): void {
    this.steps.clear();
    this.running.clear();
    this.ended = 0;
    this.total = 0;
    this.maxConcurrency = maxConcurrency;
    this.startedAtMs = Date.parse(ts) || Date.now();
    this.addSteps(steps);
    if (this.opts.output !== 'none') this.output = new StepOutput(this.opts.output, (chunk) => this.print(chunk), this.width);
    const medians = this.opts.history?.medianMs;
    if (this.area && medians && medians.size > 0) {
      const index = new Map(steps.map((s, i) => [s.id, i]));
      this.eta = {
        steps: steps.map((s) => ({ id: s.id, deps: s.depends_on.map((d) => index.get(d)!).filter((i) => i !== undefined) })),
        states: steps.map((): EtaState => ({ kind: 'waiting' })),
        medianMs: steps.map((s) => medians.get(s.id)),
        index,
      };
    }
  }

  /** Steps to show and count: the plan's, and the instances of a step that expanded. */
  private addSteps(steps: readonly PlannedStep[]): void {
    for (const s of steps) {
      if (!this.steps.has(s.id)) this.total++;
      this.steps.set(s.id, {
        id: s.id,
        status: 'pending',
        attempts: 0,
        durationMs: null,
        totalMs: 0,
        logPath: null,
        upstream: null,
        error: null,
        dependsOn: s.depends_on,
        critical: s.critical,
      });
      if (s.id.length > this.width) this.width = Math.min(s.id.length, 40);
    }
  }

  /** A kept step of a resumed run: succeeded, with what it recorded. */
  private keep(id: string): void {
    const v = this.view(id);
    const recorded = this.opts.history?.kept.get(id);
    v.attempts = recorded?.attempts ?? 0;
    v.durationMs = recorded?.durationMs ?? null;
    v.totalMs = recorded?.totalMs ?? 0;
    this.stepEnded(v, 'succeeded');
  }

  private attemptEnded(id: string, durationMs: number, status: string): StepView {
    const v = this.view(id);
    v.durationMs = durationMs;
    v.totalMs += durationMs;
    this.running.delete(id);
    this.output?.attemptEnded(id, status);
    return v;
  }

  private stepEnded(v: StepView, status: StepStatus): void {
    if (!isEndedStepStatus(v.status)) this.ended++;
    v.status = status;
    this.running.delete(v.id);
    this.etaState(v.id, { kind: 'ended' });
  }

  private etaState(id: string, state: EtaState): void {
    if (!this.eta) return;
    const i = this.eta.index.get(id);
    if (i !== undefined) this.eta.states[i] = state;
  }

  // ---- progress ------------------------------------------------------------------------------

  private startProgress(): void {
    const p = this.opts.progress;
    if (this.area) this.area.start();
    else if (p.kind === 'periodic' && this.periodic === null) {
      this.periodic = setInterval(() => {
        this.line(this.progressLine());
        this.flush();
      }, p.intervalMs);
      this.periodic.unref();
    }
  }

  /** Ends the progress display: the status area is erased, later lines are written at once. */
  private stopProgress(): void {
    if (this.periodic !== null) clearInterval(this.periodic);
    this.periodic = null;
    if (this.area && !this.finished) {
      this.flush();
      this.area.stop();
    }
    this.finished = true;
  }

  /** `[120/300] 4 running: a, b, c, d` */
  private progressLine(): string {
    const ids = [...this.running.keys()];
    const named = ids.slice(0, PERIODIC_RUNNING_MAX).join(', ');
    const more = ids.length > PERIODIC_RUNNING_MAX ? ` and ${ids.length - PERIODIC_RUNNING_MAX} more` : '';
    return `[${this.ended}/${this.total}] ${ids.length} running${ids.length > 0 ? `: ${named}${more}` : ''}`;
  }

  /** The status area's lines: counts, elapsed time and ETA, then the running steps. */
  private frame(): string[] {
    const now = Date.now();
    const counts = new Map<StepStatus, number>();
    for (const v of this.steps.values()) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
    const parts = [`[${this.ended}/${this.total}]`];
    for (const s of ['succeeded', 'failed', 'skipped', 'cancelled'] as const) {
      const n = counts.get(s);
      if (n) parts.push(`${n} ${s}`);
    }
    parts.push(`${this.running.size} running`);
    const waiting = counts.get('waiting');
    if (waiting) parts.push(`${waiting} waiting for a mutex`);
    parts.push(`${elapsed(now - this.startedAtMs)} elapsed`);
    const eta = this.etaMs(now);
    if (eta !== null) parts.push(`ETA ${elapsed(Math.ceil(eta / 1000) * 1000)}`);
    const lines = [parts.join(' · ')];
    let shown = 0;
    for (const [id, startedAtMs] of this.running) {
      if (shown++ === AREA_RUNNING_MAX) {
        lines.push(`  … and ${this.running.size - AREA_RUNNING_MAX} more running`);
        break;
      }
      lines.push(`  ▶ ${this.pad(id)} ${elapsed(now - startedAtMs)}`);
    }
    return lines;
  }

  private etaMs(now: number): number | null {
    const eta = this.eta;
    if (!eta) return null;
    for (const [id, startedAtMs] of this.running) {
      const i = eta.index.get(id);
      if (i !== undefined) eta.states[i] = { kind: 'running', elapsedMs: now - startedAtMs };
    }
    return estimateRemainingMs(eta.steps, eta.states, eta.medianMs, this.maxConcurrency);
  }

  // ---- writing -------------------------------------------------------------------------------

  private view(id: string): StepView {
    return this.steps.get(id)!;
  }

  private pad(id: string): string {
    return id.padEnd(this.width);
  }

  /** One of the engine's own lines (timestamped when they do not go to a terminal). */
  private line(text: string): void {
    this.buffer += this.timestamps ? `${this.timestamp()}${text}\n` : `${text}\n`;
  }

  /** Steps' own output: never timestamped or changed. Between batches (a poll of the logs), it goes out at once. */
  private print(chunk: string | Buffer): void {
    if (this.buffer !== '') this.chunks.push(this.buffer);
    this.buffer = '';
    this.chunks.push(chunk);
    if (!this.inBatch) this.flush();
  }

  private flush(): void {
    if (this.buffer !== '') this.chunks.push(this.buffer);
    this.buffer = '';
    if (this.chunks.length === 0) return;
    const chunks = this.chunks;
    this.chunks = [];
    const p = this.opts.progress;
    if (this.live && p.kind === 'live' && p.linesHere) {
      for (const c of chunks) this.area!.print(c);
    } else if (chunks.length === 1) {
      this.opts.write(chunks[0]!);
    } else {
      this.opts.write(Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))));
    }
  }

  /** Local `HH:MM:SS `, formatted once a second. */
  private timestamp(): string {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.stamp.second) {
      const d = new Date(now);
      const two = (n: number): string => String(n).padStart(2, '0');
      this.stamp = { second, text: `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ` };
    }
    return this.stamp.text;
  }
}

/** `run R (step S)` or `run R`, for a mutex's holder. */
function holderText(e: { holder_run_id: string; holder_step_id: string | null }): string {
  return `run ${e.holder_run_id}${e.holder_step_id ? ` (step "${e.holder_step_id}")` : ''}`;
}

/** Whole seconds (`0s`, `35s`, `2m05s`): the area changes once a second, not every tick. */
function elapsed(ms: number): string {
  const sec = Math.max(0, Math.floor(ms / 1000));
  return sec < 60 ? `${sec}s` : formatDuration(sec * 1000);
}

function listNames(ids: string[]): string {
  return ids.length <= 20 ? ids.join(', ') : `${ids.slice(0, 20).join(', ')} and ${ids.length - 20} more`;
}
