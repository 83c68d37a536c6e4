/** Text formatting for the read-side commands (`runs`, `show`, `logs`). */
import { relative } from 'node:path';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** An ISO 8601 time as local `YYYY-MM-DD HH:MM:SS`; `-` when absent or unparsable. */
export function formatLocalTime(iso: string | null | undefined): string {
  const d = parseTime(iso);
  if (!d) return '-';
  return `${localDate(d)} ${localClock(d)}`;
}

/**
 * Local `HH:MM:SS` of `iso`, with the date in front when it is not the local date of
 * `reference` (a step that started after midnight of its run's day).
 */
export function formatLocalTimeOfDay(iso: string | null | undefined, reference: string | null | undefined): string {
  const d = parseTime(iso);
  if (!d) return '-';
  const ref = parseTime(reference);
  return ref && localDate(ref) === localDate(d) ? localClock(d) : `${localDate(d)} ${localClock(d)}`;
}

function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function localDate(d: Date): string {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

function localClock(d: Date): string {
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

export type Align = 'left' | 'right';

export interface Column {
  header: string;
  align?: Align;
}

/**
 * An aligned text table: a header row, then one row per entry, columns separated by two
 * spaces, no trailing spaces. Every line ends with a newline.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const w = widths[i]!;
        return c.align === 'right' ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** `p` relative to `cwd` when that is shorter and does not climb out of it, else `p`. */
export function shortPath(p: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, p);
  return rel !== '' && rel.length < p.length && !rel.startsWith('..') ? rel : p;
}
