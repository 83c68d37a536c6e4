/**
 * Client-side routing over the History API: every page is a deep link (`/`, `/runs/<id>`,
 * `/runs/<id>/steps/<step>`, `/plans`), the server answers each with the same page, and the
 * back button works because every navigation is a history entry.
 */
import { signal } from '@preact/signals';

/** The current location (path and query). */
export const location = signal(currentLocation());

function currentLocation(): { path: string; query: URLSearchParams } {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

/** Goes to `href` (a path on this origin) as a new history entry; `replace` rewrites the current one. */
export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  location.value = currentLocation();
}

window.addEventListener('popstate', () => {
  location.value = currentLocation();
});

// Plain <a href="/…"> links navigate without reloading the page; modified clicks stay the browser's.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest('a');
  if (!a || a.target || a.hasAttribute('download') || a.origin !== window.location.origin) return;
  if (!a.pathname.startsWith('/api/')) {
    e.preventDefault();
    navigate(a.pathname + a.search);
  }
});

/** The page a path shows. */
export type Route =
  | { page: 'runs' }
  | { page: 'plans' }
  | { page: 'run'; runId: string }
  | { page: 'step'; runId: string; stepId: string }
  | { page: 'not_found' };

export function routeOf(path: string): Route {
  const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length === 0) return { page: 'runs' };
  if (parts.length === 1 && parts[0] === 'plans') return { page: 'plans' };
  if (parts[0] === 'runs' && parts.length === 2) return { page: 'run', runId: parts[1]! };
  if (parts[0] === 'runs' && parts.length === 4 && parts[2] === 'steps') return { page: 'step', runId: parts[1]!, stepId: parts[3]! };
  return { page: 'not_found' };
}

/** The page path of a run, or of one of its steps. */
export function runHref(runId: string, stepId?: string): string {
  const base = `/runs/${encodeURIComponent(runId)}`;
  return stepId === undefined ? base : `${base}/steps/${encodeURIComponent(stepId)}`;
}
