/**
 * Times on the command line: an age (`90s`, `30m`, `2h`, `30d`, `2w`) for `runs --since` and
 * `prune --older-than`, or a local date or date-time (`2026-11-01`, `2026-11-01T08:00`) for
 * `--since`. Both become an ISO 8601 UTC time, comparable with `runs.started_at` as text.
 */
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d` → milliseconds, or undefined when `text` is not an age. */
export function parseAgeMs(text: string): number | undefined {
  const m = /^([0-9]{1,9})([smhdw])$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

/**
 * The moment `text` names: `now` minus an age, or a local date (midnight) or date-time.
 * @throws UserError (exit 2) naming `flag` when it is neither
 */
export function parseSince(flag: string, text: string, now = Date.now()): string {
  const age = parseAgeMs(text);
  if (age !== undefined) return new Date(now - age).toISOString();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (m) {
    const [y, mo, d, h, mi, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
    const date = new Date(y!, mo! - 1, d, h, mi, s);
    if (date.getFullYear() === y && date.getMonth() === mo! - 1 && date.getDate() === d) return date.toISOString();
  }
  throw new UserError(`${flag} ${JSON.stringify(text)}: expected an age (90s, 30m, 2h, 30d, 2w) or a local date (2026-11-01, 2026-11-01T08:00)`, ExitCode.usage);
}

/**
 * The moment `text` (an age) before now.
 * @throws UserError (exit 2) naming `flag` when it is not an age
 */
export function parseOlderThan(flag: string, text: string, now = Date.now()): string {
  const age = parseAgeMs(text);
  if (age === undefined) throw new UserError(`${flag} ${JSON.stringify(text)}: expected an age: 90s, 30m, 2h, 30d or 2w`, ExitCode.usage);
  return new Date(now - age).toISOString();
}
