/**
 * Stamps events with `seq`, `ts` and `run_id` and hands each, in order, to every sink.
 */
import type { EngineEvent, EventDraft, EventSink } from './events.js';

export class Recorder {
  /**
   * @param lastSeq seq of the run's last recorded event (0 for a new run; a resumed run
   *   continues its numbering)
   */
  constructor(
    readonly runId: string,
    private readonly sinks: readonly EventSink[],
    private seq = 0,
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
