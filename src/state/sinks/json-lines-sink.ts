/**
 * `engine run --json`: the event stream on a stream (stdout) as JSON lines, byte for byte the
 * lines of the run's events.jsonl, written once per turn (turn-buffer.ts).
 *
 * A reader that goes away (EPIPE, e.g. `engine run --json … | head -1`) does not stop the run:
 * the stream's error is swallowed and later events are no longer written there (they are
 * still recorded in events.jsonl and runs.db).
 */
import type { BatchSink, SerializedEvent } from './turn-buffer.js';

export class JsonLinesSink implements BatchSink {
  private broken = false;

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', () => {
      this.broken = true;
    });
  }

  write(batch: readonly SerializedEvent[]): void {
    if (this.broken) return;
    let text = '';
    for (const e of batch) text += e.json + '\n';
    this.stream.write(text);
  }

  close(): void {}
}
