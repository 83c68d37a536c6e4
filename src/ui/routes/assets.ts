/**
 * The page and its files, all from dist/ui/ inside the package (built by `npm ci`): nothing
 * is fetched from anywhere else, so the dashboard works offline. Every page path (`/`,
 * `/runs/<id>`, `/runs/<id>/steps/<step>`, `/plans`) gets the same index.html, with the token
 * for the actions in a `<meta>` element; the page routes itself.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { packagePath } from '../../package-root.js';
import type { Handler, UiContext } from '../context.js';
import { HttpError } from '../http-util.js';

/** The files under /assets/ and their types; nothing else is served from disk. */
const ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'elk-worker.js': 'text/javascript; charset=utf-8',
};

/** Everything the page may load comes from this server; no request leaves the machine. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  // Preact sets element positions and sizes with style attributes.
  "style-src 'self' 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const cache = new Map<string, Buffer>();

function asset(name: string): Buffer {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    try {
      bytes = readFileSync(packagePath('dist', 'ui', name));
    } catch {
      throw new HttpError(500, `dist/ui/${name} is missing: run npm ci (or npm run build) in the engine's directory`);
    }
    cache.set(name, bytes);
  }
  return bytes;
}

function send(res: ServerResponse, type: string, body: Buffer | string): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  res.end(body);
}

/** index.html with the token in it. */
export function pageHtml(ctx: UiContext): string {
  const escaped = ctx.policy.token.replace(/[^0-9A-Za-z_.~-]/g, (c) => `&#${c.charCodeAt(0)};`);
  return asset('index.html').toString('utf8').replace('__ENGINE_UI_TOKEN__', escaped);
}

export const page: Handler = (ctx, _req, res) => {
  send(res, 'text/html; charset=utf-8', pageHtml(ctx));
};

export const assetFile: Handler = (_ctx, _req, res, [name]) => {
  const type = ASSETS[name!];
  if (type === undefined) throw new HttpError(404, `no asset ${name}`);
  send(res, type, asset(name!));
};
