import { randomBytes } from 'node:crypto';

/**
 * A new run id such as `20261121T195053123Z-4f2a9c`: UTC start time to the millisecond, then
 * 6 random hex digits, so ids sort by start time and two runs started in the same
 * millisecond still differ.
 */
export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
