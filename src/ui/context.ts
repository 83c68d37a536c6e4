/** What every route handler gets: the state directory, its runs.db, the live feed, the policy. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveFeed } from './live-feed.js';
import type { AccessPolicy } from './options.js';
import type { Queries } from './queries.js';
import type { RunsSource } from './runs-source.js';
import { SseStream } from './sse.js';

export interface UiContext {
  /** Absolute state directory. */
  stateDir: string;
  source: RunsSource;
  feed: LiveFeed;
  policy: AccessPolicy;
  /** Open event streams, ended on shutdown. */
  streams: Set<SseStream>;
}

/** A route's handler: `params` are the decoded path segments its pattern captured. */
export type Handler = (ctx: UiContext, req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => void | Promise<void>;

/** Opens an event stream that the server ends on shutdown. */
export function openStream(ctx: UiContext, req: IncomingMessage, res: ServerResponse): SseStream {
  const stream = new SseStream(req, res);
  ctx.streams.add(stream);
  stream.onClose(() => ctx.streams.delete(stream));
  return stream;
}

/** The queries, or null while runs.db does not exist yet. */
export function queriesOf(ctx: UiContext): Queries | null {
  return ctx.source.current();
}
