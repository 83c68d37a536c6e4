/**
 * The live streams. `GET /api/runs/<run_id>/events`: a run's events as server-sent events, each
 * message's `id` its `seq` and its `data` the event's JSON (the events.jsonl line); it starts
 * after `Last-Event-ID` (a reconnecting browser) or `?after=SEQ`, else at the first event.
 * `GET /api/updates`: the `runs` row of every run that changed, for the runs page.
 *
 * Both pull from runs.db when the feed says something changed, and stop pulling while the
 * client is slow: nothing is queued per client but a cursor.
 */
import { openStream, queriesOf, type Handler, type UiContext } from '../context.js';
import { HttpError } from '../http-util.js';
import type { SseStream } from '../sse.js';
import { nonNegativeInt } from './params.js';

/** Events read from runs.db per query while catching up. */
const EVENTS_PER_READ = 500;

export const runEvents: Handler = (ctx, req, res, [runId], url) => {
  const lastEventId = req.headers['last-event-id'];
  let lastSeq = nonNegativeInt(
    typeof lastEventId === 'string' ? lastEventId : url.searchParams.get('after'),
    typeof lastEventId === 'string' ? 'Last-Event-ID' : 'after',
    0,
  );
  if (queriesOf(ctx)?.run(runId!) === undefined) throw new HttpError(404, `no run ${runId}`);
  const stream = openStream(ctx, req, res);
  const pump = (): void => {
    const q = queriesOf(ctx);
    while (q !== null && !stream.closed) {
      if (stream.congested) {
        stream.whenDrained(pump);
        return;
      }
      const events = q.eventsAfter(runId!, lastSeq, EVENTS_PER_READ);
      for (const e of events) stream.send({ id: e.seq, data: e.data });
      if (events.length > 0) lastSeq = events.at(-1)!.seq;
      if (events.length < EVENTS_PER_READ) return;
    }
  };
  const unsubscribe = ctx.feed.subscribe({ onRuns: (ids) => ids.has(runId!) && pump() });
  stream.onClose(unsubscribe);
  pump();
};

export const updates: Handler = (ctx, req, res) => {
  const stream = openStream(ctx, req, res);
  const owed = new Set<string>();
  const flush = (): void => sendRuns(ctx, stream, owed, flush);
  const unsubscribe = ctx.feed.subscribe({
    onRuns: (ids) => {
      for (const id of ids) owed.add(id);
      flush();
    },
  });
  stream.onClose(unsubscribe);
};

/**
 * Sends the current row of each run in `owed` (removing it), pausing while the client is slow.
 * A child run's parent row follows it (once per call), so the parent's `child_runs` count is
 * current as soon as a child run appears.
 */
function sendRuns(ctx: UiContext, stream: SseStream, owed: Set<string>, again: () => void): void {
  const q = queriesOf(ctx);
  if (q === null) return;
  const sent = new Set<string>();
  // A Set's iteration visits the ids added while it runs: the parents added below.
  for (const id of owed) {
    if (stream.closed) return;
    if (stream.congested) {
      stream.whenDrained(again);
      return;
    }
    owed.delete(id);
    sent.add(id);
    const run = q.run(id);
    if (run === undefined) continue;
    stream.send({ data: JSON.stringify(run) });
    if (run.parent_run_id !== null && !sent.has(run.parent_run_id)) owed.add(run.parent_run_id);
  }
}
