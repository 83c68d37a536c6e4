/** Formatting used by `engine runs` and `engine show`: durations, local times, tables. */
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/format.js';
import { formatLocalTimeOfDay, renderTable } from '../../src/query/format.js';

describe('formatDuration', () => {
  it('shows durations under a second in ms', () => {
    expect([formatDuration(0), formatDuration(7), formatDuration(999)]).toEqual(['0ms', '7ms', '999ms']);
  });

  it('shows durations under a minute in seconds with one decimal', () => {
    expect([formatDuration(1000), formatDuration(1234), formatDuration(59_949)]).toEqual(['1.0s', '1.2s', '59.9s']);
  });

  it('shows longer durations as minutes and two-digit seconds, then hours', () => {
    expect([formatDuration(59_950), formatDuration(185_000), formatDuration(3_725_000)]).toEqual(['1m00s', '3m05s', '1h02m05s']);
  });

  it('shows an unknown duration as a dash', () => {
    expect([formatDuration(null), formatDuration(undefined)]).toEqual(['-', '-']);
  });
});

describe('formatLocalTimeOfDay', () => {
  it('adds the date only when it differs from the reference day', () => {
    const ref = new Date(2025, 0, 2, 23, 59, 0).toISOString();
    const sameDay = new Date(2025, 0, 2, 23, 59, 30).toISOString();
    const nextDay = new Date(2025, 0, 3, 0, 0, 5).toISOString();
    expect(formatLocalTimeOfDay(sameDay, ref)).toBe('23:59:30');
    expect(formatLocalTimeOfDay(nextDay, ref)).toBe('2025-01-03 00:00:05');
  });
});

describe('renderTable', () => {
  it('pads columns to their widest cell, right-aligns where asked and trims line ends', () => {
    const text = renderTable(
      [{ header: 'ID' }, { header: 'N', align: 'right' }, { header: 'NOTE' }],
      [
        ['a', '1', ''],
        ['long-id', '100', 'x'],
      ],
    );
    expect(text).toBe(['ID         N  NOTE', 'a          1', 'long-id  100  x', ''].join('\n'));
  });
});
