/**
 * One server-sent-events response. Memory stays bounded however slow the client is: senders
 * check {@link SseStream.congested} and wait for {@link SseStream.whenDrained} instead of
 * queueing, and read what they owe from runs.db or the log file when the socket drains.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Bytes buffered for a client above which senders wait for it to drain. */
const HIGH_WATER_BYTES = 256 * 1024;
/** A comment line this often keeps proxies and idle timeouts from closing a quiet stream, in ms. */
const KEEPALIVE_MS = 15_000;
/** What a browser waits before reconnecting after the stream broke, in ms. */
const RETRY_MS = 1000;

export interface SseMessage {
  data: string;
  /** The `id:` field; a reconnecting EventSource sends the last one as `Last-Event-ID`. */
  id?: number;
  /** The `event:` field; without it the browser fires `message`. */
  event?: string;
}

export class SseStream {
  private readonly closeHandlers: (() => void)[] = [];
  private readonly keepalive: NodeJS.Timeout;
  private drainWaiter: (() => void) | null = null;
  closed = false;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n\n`);
    this.keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    res.on('drain', () => {
      const waiter = this.drainWaiter;
      this.drainWaiter = null;
      waiter?.();
    });
    const onGone = (): void => this.finish();
    req.on('close', onGone);
    res.on('close', onGone);
  }

  /** True while the client has not taken what was sent: stop sending until it drains. */
  get congested(): boolean {
    return this.res.writableLength > HIGH_WATER_BYTES;
  }

  /** Calls `fn` once when the socket has drained (replacing an earlier waiter). */
  whenDrained(fn: () => void): void {
    this.drainWaiter = fn;
  }

  /** Writes one message. `data` must not contain a newline (JSON text never does). */
  send(message: SseMessage): void {
    if (this.closed) return;
    let text = '';
    if (message.id !== undefined) text += `id: ${message.id}\n`;
    if (message.event !== undefined) text += `event: ${message.event}\n`;
    this.res.write(`${text}data: ${message.data}\n\n`);
  }

  /** Runs `fn` once when the stream ends, whoever ends it. */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeHandlers.push(fn);
  }

  /** Ends the response. */
  end(): void {
    if (!this.closed) this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepalive);
    this.drainWaiter = null;
    for (const fn of this.closeHandlers.splice(0)) fn();
  }
}
