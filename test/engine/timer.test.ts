import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout } from '../../src/engine/timer.js';

describe('setLongTimeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires a 25-day delay (beyond setTimeout\'s 24.8-day limit) after 25 days, not after 1 ms', () => {
    const fn = vi.fn();
    const days25 = 25 * 24 * 3600 * 1000;
    expect(days25).toBeGreaterThan(MAX_TIMER_MS);
    setLongTimeout(fn, days25);
    vi.advanceTimersByTime(1000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(days25 - 1001);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('fires a short delay once, and not at all when cancelled (also in the middle of a chain)', () => {
    const short = vi.fn();
    setLongTimeout(short, 50);
    vi.advanceTimersByTime(50);
    expect(short).toHaveBeenCalledTimes(1);
    const long = vi.fn();
    const cancel = setLongTimeout(long, 3 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 10);
    cancel();
    vi.advanceTimersByTime(3 * MAX_TIMER_MS);
    expect(long).not.toHaveBeenCalled();
  });

  it('never fires an infinite delay', () => {
    const fn = vi.fn();
    setLongTimeout(fn, Infinity);
    vi.advanceTimersByTime(10 * MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
  });
});
