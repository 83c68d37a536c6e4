/** How times, durations and counts read on the page. */

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`; `—` for null. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${Math.floor(s % 60)} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** A stored ISO time in the browser's local time: `2025-01-02 03:04:05`. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Milliseconds since the epoch of a stored ISO time (NaN for null). */
export function timeMs(iso: string | null | undefined): number {
  return iso ? Date.parse(iso) : Number.NaN;
}

/** A run's or step's duration: the recorded one, or for one still going, up to `nowMs`. */
export function elapsedMs(startedAt: string | null, durationMs: number | null, running: boolean, nowMs: number): number | null {
  if (durationMs !== null && !running) return durationMs;
  if (startedAt === null) return null;
  // The clock ticks once a second: a step that started since its last tick has run ~0 ms, not less.
  return running ? Math.max(0, nowMs - timeMs(startedAt)) : durationMs;
}
