/**
 * The checks every request passes before any route sees it (docs/dashboard.md, "Security"):
 *  - `Host` must name the address the dashboard serves (DNS rebinding: a foreign site whose name
 *    resolves to 127.0.0.1 sends its own name);
 *  - no `..` anywhere in the path (logs are found by ids in runs.db, never by a path, but a
 *    traversal attempt is refused outright);
 *  - a POST must come from the dashboard's own origin and carry the token the page was given;
 *  - when the dashboard listens beyond loopback, every request needs the token.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AccessPolicy } from './options.js';

/** Why a request is refused: the status and message it gets. */
export interface Refusal {
  status: 400 | 403;
  message: string;
}

/** Name of the cookie that carries the token once a browser opened `/?token=…`; one per port. */
export function tokenCookieName(port: number): string {
  return `engine_ui_token_${port}`;
}

/**
 * The refusal for `req`, or null when it may go on. `url` is the parsed request URL.
 */
export function refusalOf(req: IncomingMessage, url: URL, rawPath: string, policy: AccessPolicy): Refusal | null {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !policy.hosts.has(host)) {
    return { status: 403, message: `Host ${JSON.stringify(req.headers.host ?? '')} is not the address this dashboard serves` };
  }
  if (hasDotDot(rawPath)) return { status: 400, message: 'paths with ".." are refused' };
  const given = givenToken(req, url, policy.port);
  if (policy.tokenOnEveryRequest && !tokenMatches(given.any, policy.token)) {
    return { status: 403, message: 'this dashboard needs its token: open the address with ?token=… as printed by engine ui' };
  }
  if (req.method === 'POST') {
    const origin = req.headers.origin;
    if (origin !== undefined && !policy.origins.has(origin.toLowerCase())) {
      return { status: 403, message: `Origin ${JSON.stringify(origin)} may not post to this dashboard` };
    }
    if (req.headers['sec-fetch-site'] === 'cross-site') return { status: 403, message: 'cross-site requests may not post here' };
    // The cookie does not count: a browser sends it by itself, the page's token it does not.
    if (!tokenMatches(given.explicit, policy.token)) return { status: 403, message: 'actions need the token of the dashboard page' };
  }
  return null;
}

/** True when the token arrived as `?token=` (the caller then sets the cookie). */
export function tokenInQuery(url: URL, policy: AccessPolicy): boolean {
  return tokenMatches(url.searchParams.get('token') ?? undefined, policy.token);
}

/** `..` as a path segment or inside one, raw or percent-encoded. */
function hasDotDot(rawPath: string): boolean {
  if (rawPath.includes('..')) return true;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return true;
  }
  return decoded.includes('..') || decoded.includes('\\');
}

/** The token a request carries: explicitly (header `X-Engine-Token` or `?token=`), or by cookie too. */
function givenToken(req: IncomingMessage, url: URL, port: number): { explicit: string | undefined; any: string | undefined } {
  const header = req.headers['x-engine-token'];
  const explicit = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('token') ?? undefined;
  return { explicit, any: explicit ?? cookieValue(req.headers.cookie, tokenCookieName(port)) };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from timings. */
function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
