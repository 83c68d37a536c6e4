/**
 * The dashboard's HTTP server (node:http): security checks first (src/ui/security.ts), then the
 * route table (src/ui/router.ts). {@link startUiServer} listens; {@link UiServer.close} ends
 * every event stream, stops the feed and closes runs.db.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { unreachable } from '../engine/events.js';
import type { UiContext } from './context.js';
import { HttpError, sendError } from './http-util.js';
import { LiveFeed } from './live-feed.js';
import { accessPolicy, urlHost } from './options.js';
import { route } from './router.js';
import { RunsSource } from './runs-source.js';
import { refusalOf, tokenCookieName, tokenInQuery } from './security.js';
import type { SseStream } from './sse.js';

export interface UiServerOptions {
  /** Absolute state directory. */
  stateDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  token: string;
}

export interface UiServer {
  /** `http://HOST:PORT/` as it listens (the port chosen when 0 was asked). */
  url: string;
  port: number;
  token: string;
  tokenOnEveryRequest: boolean;
  /** Ends every stream and connection, stops polling, closes runs.db. */
  close(): Promise<void>;
}

/**
 * Starts listening.
 * @throws Error (code EADDRINUSE, EACCES, …) when the address cannot be bound
 */
export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const source = new RunsSource(options.stateDir);
  const ctx: UiContext = {
    stateDir: options.stateDir,
    source,
    feed: new LiveFeed(source),
    // Replaced once the port is known (the Host check needs it).
    policy: accessPolicy(options.host, options.port, options.token),
    streams: new Set<SseStream>(),
  };
  const server = createServer((req, res) => void handle(ctx, req, res));
  await listen(server, options.host, options.port);
  const port = (server.address() as AddressInfo).port;
  ctx.policy = accessPolicy(options.host, port, options.token);
  return {
    url: `http://${urlHost(options.host)}:${port}/`,
    port,
    token: options.token,
    tokenOnEveryRequest: ctx.policy.tokenOnEveryRequest,
    close: () => close(server, ctx),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function close(server: Server, ctx: UiContext): Promise<void> {
  for (const stream of [...ctx.streams]) stream.end();
  ctx.feed.stop();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  ctx.source.close();
}

async function handle(ctx: UiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const rawUrl = req.url ?? '/';
    const rawPath = rawUrl.split('?', 1)[0]!;
    const url = new URL(rawUrl, 'http://dashboard.invalid');
    const refusal = refusalOf(req, url, rawPath, ctx.policy);
    if (refusal !== null) {
      sendError(res, refusal.status, refusal.message);
      return;
    }
    if (ctx.policy.tokenOnEveryRequest && tokenInQuery(url, ctx.policy)) {
      // Later requests of this browser (assets, links) carry it without ?token=.
      res.setHeader('set-cookie', `${tokenCookieName(ctx.policy.port)}=${ctx.policy.token}; Path=/; HttpOnly; SameSite=Strict`);
    }
    const match = route(req.method ?? 'GET', rawPath);
    switch (match.kind) {
      case 'found':
        await match.handler(ctx, req, res, match.params, url);
        return;
      case 'wrong_method':
        res.setHeader('allow', match.allowed);
        sendError(res, 405, `${req.method} is not allowed here`);
        return;
      case 'not_found':
        sendError(res, 404, `nothing at ${rawPath}`);
        return;
      default:
        unreachable(match);
    }
  } catch (error) {
    if (error instanceof HttpError) sendError(res, error.status, error.message);
    else if (error instanceof URIError) sendError(res, 400, 'malformed percent-encoding in the path');
    else {
      process.stderr.write(`engine ui: ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}\n`);
      sendError(res, 500, (error as Error).message);
    }
  }
}
