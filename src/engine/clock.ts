/**
 * The run loop's clock port: what time it is and timers. The engine uses the system clock;
 * unit tests drive the loop with a manual clock, so retry delays need no real waiting.
 */
import { setLongTimeout, type CancelTimer } from './timer.js';

export interface Clock {
  /** Now as Unix epoch ms with sub-millisecond (µs) precision. */
  now(): number;
  /** Calls `fn` once after `delayMs` ms; returns a function that cancels it. */
  setTimer(delayMs: number, fn: () => void): CancelTimer;
}

/** A performance.now() reading as Unix epoch ms, µs precision kept. */
export function toEpochMs(perfNow: number): number {
  return Math.round((performance.timeOrigin + perfNow) * 1000) / 1000;
}

/** The real clock: monotonic time anchored at the process's time origin, chained timers. */
export const systemClock: Clock = {
  now: () => toEpochMs(performance.now()),
  setTimer: (delayMs, fn) => setLongTimeout(fn, delayMs),
};
