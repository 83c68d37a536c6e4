/**
 * Stamps events with `seq`, `ts` and `run_id` and hands each, in order, to every sink.
 */
import type { EngineEvent, EventDraft, EventSink } from './events.js';

export class Recorder {
  private seq = 0;

  constructor(
    readonly runId: string,
    private readonly sinks: readonly EventSink[],
  ) {}

  /** Emits one event to every sink synchronously and returns it as recorded. */
  emit(draft: EventDraft): EngineEvent {
    const event = {
      seq: ++this.seq,
      ts: new Date().toISOString(),
      run_id: this.runId,
      ...draft,
    } as EngineEvent;
    for (const sink of this.sinks) sink.handle(event);
    return event;
  }
}
