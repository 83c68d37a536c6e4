/**
 * The one per-turn buffer of a run's sinks. Each event is serialized once; its line is
 * appended to events.jsonl at once (the durable record), and the event joins the batch of the
 * current event-loop turn. Once per turn (setImmediate) the batch goes to every batch sink:
 * runs.db writes it in one transaction, the stdout JSON stream and the console in one write
 * each. So a 10,000-step run costs a handful of writes per turn rather than several per event.
 *
 * `run_started` and `run_resumed` are handed on at once, and to the batch sinks before the
 * events file: the run's row must be in runs.db (as `running`) before the event is anywhere
 * else, so crash recovery, which looks for `running` rows, always finds a run whose engine
 * died, even between the two writes (it then copies the line runs.db has and the file lacks).
 */
import type { EngineEvent, EventSink } from '../../engine/events.js';
import { serializeEvent, type EventsFile } from './events-file-sink.js';

/** An event with its JSON text (its events.jsonl line; `events.data` in runs.db). */
export interface SerializedEvent {
  event: EngineEvent;
  json: string;
}

/** A sink fed one turn's events at a time, in `seq` order. */
export interface BatchSink {
  /** Consumes a batch. May throw (runs.db could not be written); the other sinks still get it. */
  write(batch: readonly SerializedEvent[]): void;
  /** Releases resources after the last batch; may wait (an export), within its own bound. */
  close(): void | Promise<void>;
}

/** Events buffered beyond this are handed on at once instead of waiting for the turn to end. */
const MAX_BUFFERED = 5000;

export interface TurnBufferOptions {
  /** The run's events file; null for a buffer that only feeds batch sinks. */
  file: EventsFile | null;
  sinks: readonly BatchSink[];
  /** Receives what a sink threw during a background (end-of-turn) hand-over. */
  onError: (error: unknown) => void;
}

export class TurnBuffer implements EventSink {
  private batch: SerializedEvent[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private closed = false;

  constructor(private readonly opts: TurnBufferOptions) {}

  /**
   * Appends the event to the events file and buffers it for the batch sinks.
   * @throws what the events file or (for `run_started`/`run_resumed`) a batch sink throws
   */
  handle(event: EngineEvent): void {
    if (this.closed) throw new Error('the run\'s sinks are closed');
    const json = serializeEvent(event);
    if (event.type === 'run_started' || event.type === 'run_resumed') {
      this.batch.push({ event, json });
      this.flush();
      this.opts.file?.append(json);
      return;
    }
    this.opts.file?.append(json);
    this.batch.push({ event, json });
    if (this.batch.length >= MAX_BUFFERED) {
      this.flush();
    } else if (this.scheduled === null) {
      this.scheduled = setImmediate(() => {
        this.scheduled = null;
        try {
          this.flush();
        } catch (error) {
          this.opts.onError(error);
        }
      });
    }
  }

  /** Events buffered for the batch sinks, not yet handed on. */
  get pending(): number {
    return this.batch.length;
  }

  /**
   * Hands the buffered events to every batch sink now (synchronously: safe right before
   * `process.exit`). Every sink gets the batch even when one throws.
   * @throws the first error a sink threw
   */
  flush(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    let failure: unknown;
    for (const sink of this.opts.sinks) {
      try {
        sink.write(batch);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** Flushes, then closes the events file and every sink (also when one fails). Rethrows the first failure. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.scheduled !== null) clearImmediate(this.scheduled);
    this.scheduled = null;
    let failure: unknown;
    try {
      this.flush();
    } catch (error) {
      failure = error;
    }
    this.closed = true;
    try {
      this.opts.file?.close();
    } catch (error) {
      failure ??= error;
    }
    const closing = await Promise.allSettled(this.opts.sinks.map(async (s) => s.close()));
    for (const c of closing) if (c.status === 'rejected') failure ??= c.reason;
    if (failure !== undefined) throw failure;
  }
}
