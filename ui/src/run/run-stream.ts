/**
 * Keeps a {@link RunStore} live: the run's event stream from the store's last seq (the browser
 * resends `Last-Event-ID` by itself after a broken connection), applied in batches of at most
 * one per 50 ms, so a burst of events costs one render.
 */
import { withToken, apiPath } from '../api.js';
import type { EngineEvent } from '../types.js';
import type { RunStore } from './run-store.js';

const BATCH_MS = 50;

/** Starts following; returns the function that stops. */
export function followRun(store: RunStore): () => void {
  const source = new EventSource(withToken(`${apiPath('runs', store.run.value.run_id, 'events')}?after=${store.lastSeq}`));
  let queue: EngineEvent[] = [];
  let timer: number | undefined;
  source.onmessage = (m) => {
    queue.push(JSON.parse(m.data as string) as EngineEvent);
    timer ??= window.setTimeout(() => {
      timer = undefined;
      const events = queue;
      queue = [];
      store.apply(events);
    }, BATCH_MS);
  };
  return () => {
    source.close();
    window.clearTimeout(timer);
  };
}
