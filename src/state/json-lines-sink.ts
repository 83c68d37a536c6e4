/**
 * `engine run --json`: the event stream on a stream (stdout) as JSON lines, byte for byte the
 * lines of the run's events.jsonl ({@link serializeEvent}). Lines are collected and written
 * once per event-loop turn (like the console), and `close()` writes what is left.
 *
 * A reader that goes away (EPIPE, e.g. `engine run --json … | head -1`) does not stop the run:
 * the stream's error is swallowed and later events are no longer written there (they are
 * still recorded in events.jsonl and runs.db).
 */
import type { EngineEvent, EventSink } from '../engine/events.js';
import { serializeEvent } from './jsonl-sink.js';

export class JsonLinesSink implements EventSink {
  private buffer = '';
  private scheduled = false;
  private broken = false;

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', () => {
      this.broken = true;
      this.buffer = '';
    });
  }

  handle(event: EngineEvent): void {
    if (this.broken) return;
    this.buffer += serializeEvent(event) + '\n';
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  close(): void {
    this.flush();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.broken || this.buffer === '') return;
    const text = this.buffer;
    this.buffer = '';
    this.stream.write(text);
  }
}
