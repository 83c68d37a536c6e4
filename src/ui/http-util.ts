/** Small helpers for node:http answers: JSON bodies, errors as values, reading a JSON body. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiError } from './api-types.js';

/** An answer other than 2xx, thrown by a route and turned into `{"error": message}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Sends `body` as JSON with `status` (default 200); never cached (it is live data). */
export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** Sends `{"error": message}` with `status`. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, { error: message } satisfies ApiError, status);
}

/** Largest request body accepted, in bytes (an action's variables). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON request body; an empty body reads as `{}`.
 * @throws HttpError 413 when larger than 64 KiB, 400 when not JSON or not an object
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the request body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'the request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
