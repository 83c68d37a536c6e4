/**
 * `--output`: steps' own stdout and stderr on the console, read back from their log files
 * (a step writes straight to its file, the fast path; a redacted one through the engine's
 * redactor into it), so showing output never slows a step and never differs from its log:
 * every byte of the file is shown once, in file order.
 *
 * - `prefixed`: each line as it comes, after `[step_id] ` (aligned); the files of running
 *   attempts are read every {@link POLL_MS} ms and once more when the attempt ends.
 * - `grouped`: when a step ends, each of its attempts' logs in one block under a
 *   `==> step (attempt N, status) <==` header, like `engine logs`.
 * - `failed`: `grouped`, for failed steps only.
 *
 * With `none` (the default) this module is not even constructed.
 */
import type { StepStatus } from '../../engine/status.js';
import { FileTail } from '../store/file-tail.js';

export const OUTPUT_MODES = ['none', 'prefixed', 'grouped', 'failed'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

/** How often the logs of running attempts are read in `prefixed` mode. */
const POLL_MS = 100;
/** A line without a newline longer than this is shown in pieces (memory stays bounded). */
const MAX_PARTIAL_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

interface Tailing {
  tail: FileTail;
  prefix: Buffer;
  /** Bytes after the last newline read so far. */
  partial: Buffer;
}

export class StepOutput {
  private readonly tails = new Map<string, Tailing>();
  /** Log files of each step's attempts so far, for `grouped` and `failed`. */
  private readonly attempts = new Map<string, { attempt: number; logPath: string; status: string }[]>();
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param print receives the bytes to show (it must not reorder them)
   * @param idWidth width the `[step_id]` prefixes are aligned to
   */
  constructor(
    private readonly mode: Exclude<OutputMode, 'none'>,
    private readonly print: (chunk: Buffer | string) => void,
    private readonly idWidth: number,
  ) {}

  /** An attempt started writing `logPath`. */
  started(stepId: string, attempt: number, logPath: string): void {
    if (this.mode === 'prefixed') {
      const prefix = Buffer.from(`${`[${stepId}]`.padEnd(this.idWidth + 2)} `);
      this.tails.set(stepId, { tail: new FileTail(logPath), prefix, partial: Buffer.alloc(0) });
      if (this.timer === null) {
        this.timer = setInterval(() => this.poll(), POLL_MS);
        this.timer.unref();
      }
    } else {
      const list = this.attempts.get(stepId) ?? [];
      list.push({ attempt, logPath, status: 'running' });
      this.attempts.set(stepId, list);
    }
  }

  /** The step's running attempt ended with `status`: its last lines are shown (prefixed). */
  attemptEnded(stepId: string, status: string): void {
    const t = this.tails.get(stepId);
    if (t) {
      this.tails.delete(stepId);
      this.drain(t, true);
      if (this.tails.size === 0) this.stopPolling();
    }
    const last = this.attempts.get(stepId)?.at(-1);
    if (last) last.status = status;
  }

  /** The step reached its final status: its blocks are shown (grouped, failed). */
  stepEnded(stepId: string, status: StepStatus): void {
    const list = this.attempts.get(stepId);
    if (!list) return;
    this.attempts.delete(stepId);
    if (this.mode === 'failed' && status !== 'failed') return;
    for (const a of list) {
      const tail = new FileTail(a.logPath);
      this.print(`==> ${stepId} (attempt ${a.attempt}${list.length > 1 ? ` of ${list.length}` : ''}, ${a.status}) <==\n`);
      let last = NEWLINE;
      for (const chunk of tail.readNew()) {
        this.print(Buffer.from(chunk));
        last = chunk[chunk.length - 1]!;
      }
      if (last !== NEWLINE) this.print('\n');
    }
  }

  /** Stops reading (the run ended). */
  close(): void {
    for (const t of this.tails.values()) this.drain(t, true);
    this.tails.clear();
    this.stopPolling();
  }

  private poll(): void {
    for (const t of this.tails.values()) this.drain(t, false);
  }

  /** Shows the complete lines read since the last drain; at the end, the unfinished one too. */
  private drain(t: Tailing, atEnd: boolean): void {
    const out: Buffer[] = [];
    for (const chunk of t.tail.readNew()) {
      let data = t.partial.length > 0 ? Buffer.concat([t.partial, chunk]) : chunk;
      let nl = data.indexOf(NEWLINE);
      while (nl !== -1) {
        out.push(t.prefix, data.subarray(0, nl + 1));
        data = data.subarray(nl + 1);
        nl = data.indexOf(NEWLINE);
      }
      if (data.length > MAX_PARTIAL_BYTES) {
        out.push(t.prefix, data, Buffer.from('\n'));
        data = Buffer.alloc(0);
      }
      // A copy: the chunk's buffer is not ours to keep.
      t.partial = Buffer.from(data);
    }
    if (atEnd && t.partial.length > 0) {
      out.push(t.prefix, t.partial, Buffer.from('\n'));
      t.partial = Buffer.alloc(0);
    }
    if (out.length > 0) this.print(Buffer.concat(out));
  }

  private stopPolling(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
