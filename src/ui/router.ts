/** The dashboard's routes: method, path pattern, handler. The one place that lists them. */
import type { Handler } from './context.js';
import { cancel, resume } from './routes/actions.js';
import { assetFile, page } from './routes/assets.js';
import { runEvents, updates } from './routes/events.js';
import { logStream, rawLog } from './routes/logs.js';
import { getRun, getStep, listPlans, listRuns } from './routes/runs.js';

interface Route {
  method: 'GET' | 'POST';
  /** Matches the whole path; each `([^/]+)` captures one (still percent-encoded) segment. */
  pattern: RegExp;
  handler: Handler;
}

const SEG = '([^/]+)';
const path = (...parts: string[]): RegExp => new RegExp(`^/${parts.join('/')}$`);

const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: path('api', 'runs'), handler: listRuns },
  { method: 'GET', pattern: path('api', 'runs', SEG), handler: getRun },
  { method: 'GET', pattern: path('api', 'runs', SEG, 'events'), handler: runEvents },
  { method: 'GET', pattern: path('api', 'runs', SEG, 'steps', SEG), handler: getStep },
  { method: 'GET', pattern: path('api', 'runs', SEG, 'steps', SEG, 'attempts', SEG, 'log'), handler: rawLog },
  { method: 'GET', pattern: path('api', 'runs', SEG, 'steps', SEG, 'attempts', SEG, 'log', 'stream'), handler: logStream },
  { method: 'GET', pattern: path('api', 'plans'), handler: listPlans },
  { method: 'GET', pattern: path('api', 'updates'), handler: updates },
  { method: 'POST', pattern: path('api', 'runs', SEG, 'cancel'), handler: cancel },
  { method: 'POST', pattern: path('api', 'runs', SEG, 'resume'), handler: resume },
  { method: 'GET', pattern: path('assets', SEG), handler: assetFile },
  { method: 'GET', pattern: /^\/(?:plans\/?)?$/, handler: page },
  { method: 'GET', pattern: path('runs', SEG), handler: page },
  { method: 'GET', pattern: path('runs', SEG, 'steps', SEG), handler: page },
];

/** What a request path resolves to. */
export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: string[] }
  | { kind: 'wrong_method'; allowed: string }
  | { kind: 'not_found' };

/**
 * The route for `method` and `pathname`. HEAD is served as GET. Segments are percent-decoded.
 * @throws URIError for a malformed percent-encoding
 */
export function route(method: string, pathname: string): RouteMatch {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const allowed: string[] = [];
  for (const r of ROUTES) {
    const m = r.pattern.exec(pathname);
    if (m === null) continue;
    if (r.method !== wanted) {
      allowed.push(r.method);
      continue;
    }
    return { kind: 'found', handler: r.handler, params: m.slice(1).map((s) => decodeURIComponent(s)) };
  }
  return allowed.length > 0 ? { kind: 'wrong_method', allowed: allowed.join(', ') } : { kind: 'not_found' };
}
