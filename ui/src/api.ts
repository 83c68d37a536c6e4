/**
 * Talking to the engine's server: JSON reads, the two actions, event streams. Every URL is a
 * path on the page's own origin. The token the server put into the page goes with every
 * request (a header, or `?token=` where a header cannot go: EventSource, download links).
 */

const token = document.querySelector<HTMLMetaElement>('meta[name="engine-token"]')?.content ?? '';

/** An answer other than 2xx, with the server's `error` text. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, { ...init, headers: { 'x-engine-token': token, ...init.headers } });
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new RequestError(res.status, body.error ?? `${res.status} ${res.statusText}`);
  return body as T;
}

/** GET a JSON resource. */
export function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return request<T>(path, signal ? { signal } : {});
}

/** POST an action with a JSON body. */
export function post<T>(path: string, body: unknown = {}): Promise<T> {
  return request<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** `path` with the token as a query parameter, for requests that cannot carry headers. */
export function withToken(path: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

/** The bytes of a log that a `Range` header asks for, where they start, and the file's size then. */
export async function getLogRange(path: string, range: string): Promise<{ bytes: Uint8Array; start: number; size: number }> {
  const res = await fetch(path, { headers: { 'x-engine-token': token, range } });
  if (res.status === 416) return { bytes: new Uint8Array(), start: 0, size: Number(res.headers.get('x-log-size') ?? 0) };
  if (!res.ok) throw new RequestError(res.status, ((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.statusText);
  const size = Number(res.headers.get('x-log-size') ?? 0);
  const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
  return { bytes: new Uint8Array(await res.arrayBuffer()), start: m ? Number(m[1]) : 0, size };
}

/** Path segments of the API, percent-encoded. */
export function apiPath(...segments: (string | number)[]): string {
  return `/api/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
}
