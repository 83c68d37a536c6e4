/**
 * The live status area at the bottom of a terminal: a few lines redrawn in place, with the
 * run's one-liners (and steps' output) scrolling above them. Everything for one redraw goes
 * out in a single write (erase the old area, the new lines, the new area), at most once per
 * tick (100 ms: ~10 redraws a second), so the terminal never flickers and a run of 10,000
 * quick steps costs ~10 writes a second, not one per step.
 *
 * Our own ~60 lines over three ANSI sequences rather than log-update: it brings five packages
 * (ansi-escapes, cli-cursor with restore-cursor and its signal-exit handlers on SIGINT/SIGTERM,
 * which the engine owns for cancelling; wrap-ansi, slice-ansi), writes once per update rather
 * than once per tick, and has no notion of lines scrolling above the area, which here is the
 * common case. Area lines are cut to the terminal's width, so each is exactly one row and the
 * erase (cursor up N rows, clear to the end of the screen) is exact.
 */

/** What the area writes to: a TTY stream (stderr), with its width. */
export interface AreaStream {
  write(text: string | Uint8Array): boolean;
  columns?: number;
}

/** One tick: the area is redrawn at most this often. */
export const AREA_TICK_MS = 100;

export class ProgressArea {
  private pending: (string | Buffer)[] = [];
  private drawn = 0;
  private lastFrame = '';
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /**
   * @param stream the terminal
   * @param frame the area's lines now (called once per tick; uncoloured, any length)
   * @param paint colours line `index` of the area once it is cut to the terminal's width
   */
  constructor(
    private readonly stream: AreaStream,
    private readonly frame: () => string[],
    private readonly paint: (line: string, index: number) => string = (l) => l,
  ) {}

  /** Starts ticking (the timer does not keep the process alive). */
  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => this.tick(), AREA_TICK_MS);
    this.timer.unref();
  }

  /** Text to scroll above the area; it goes out with the next tick. */
  print(chunk: string | Buffer): void {
    this.pending.push(chunk);
  }

  /** Redraws when something changed since the last tick. */
  tick(): void {
    if (this.stopped) return;
    const lines = this.frame();
    // A pseudo-terminal may report 0 columns (no size set): then 80.
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    const frame = lines.map((l, i) => `${this.paint(cut(l, width), i)}\n`).join('');
    if (this.pending.length === 0 && frame === this.lastFrame) return;
    this.write([this.erase(), ...this.pending, frame]);
    this.pending = [];
    this.lastFrame = frame;
    this.drawn = lines.length;
  }

  /** Erases the area for good and writes what is pending; later prints go out at once. */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.stopped) return;
    this.stopped = true;
    this.write([this.erase(), ...this.pending]);
    this.pending = [];
    this.drawn = 0;
  }

  private erase(): string {
    return this.drawn === 0 ? '' : `\r\x1b[${this.drawn}A\x1b[J`;
  }

  private write(chunks: (string | Buffer)[]): void {
    const parts = chunks.filter((c) => c.length > 0);
    if (parts.length === 0) return;
    this.stream.write(parts.every((c) => typeof c === 'string') ? parts.join('') : Buffer.concat(parts.map(toBuffer)));
  }
}

function toBuffer(c: string | Buffer): Buffer {
  return typeof c === 'string' ? Buffer.from(c) : c;
}

/** `text` cut to `width` characters, ending in `…` when cut. */
function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
