/**
 * Tells the open streams what changed in runs.db, cheaply: while anyone listens, a timer asks
 * the server's own connection for `PRAGMA data_version` (a read of SQLite's shared memory, no
 * query), and only when another connection has committed does it read which runs got events.
 * With no stream open there is no timer at all.
 */
import type { RunsSource } from './runs-source.js';

export interface FeedListener {
  /** Runs that got new events since the previous call. */
  onRuns?(runIds: ReadonlySet<string>): void;
  /** Called on every poll: log files grow without any commit to runs.db. */
  onTick?(): void;
}

/** Between two polls, in ms: the event-to-page latency is at most this plus the page's work. */
const POLL_MS = 100;

export class LiveFeed {
  private readonly listeners = new Set<FeedListener>();
  private timer: NodeJS.Timeout | null = null;
  private dataVersion = -1;
  /** Rowid of the last events row already announced; -1 before the first poll. */
  private lastRowid = -1;
  private errorReported = false;

  constructor(
    private readonly source: RunsSource,
    private readonly pollMs = POLL_MS,
  ) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    if (this.timer === null) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Stops polling (the listeners stay registered; used on shutdown). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.lastRowid = -1;
    this.dataVersion = -1;
  }

  private start(): void {
    // Listeners catch up from runs.db themselves; the feed announces only what comes after.
    const q = this.source.current();
    this.lastRowid = q === null ? 0 : q.lastEventRowid();
    this.dataVersion = q === null ? -1 : q.dataVersion();
    this.timer = setInterval(() => this.poll(), this.pollMs);
  }

  private poll(): void {
    try {
      const q = this.source.current();
      if (q !== null) {
        const version = q.dataVersion();
        if (version !== this.dataVersion) {
          this.dataVersion = version;
          const news = q.newEvents(this.lastRowid);
          this.lastRowid = news.lastRowid;
          if (news.runIds.length > 0) {
            const ids = new Set(news.runIds);
            for (const l of [...this.listeners]) l.onRuns?.(ids);
          }
        }
      }
      for (const l of [...this.listeners]) l.onTick?.();
    } catch (error) {
      // A read failing once (the file replaced, a disk error) must not kill the server; say it once.
      if (!this.errorReported) process.stderr.write(`engine ui: reading runs.db failed: ${(error as Error).message}\n`);
      this.errorReported = true;
    }
  }
}
