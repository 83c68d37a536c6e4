/**
 * Timers for any delay a plan can ask for. Node's setTimeout takes at most 2^31-1 ms (about
 * 24.8 days); a longer delay prints a TimeoutOverflowWarning and fires after 1 ms, so a
 * `retry_delay_sec` of 25 days would retry at once. Delays beyond that limit are chained here.
 */

/** setTimeout's largest delay in ms (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Cancels a timer; calling it after the timer fired, or twice, does nothing. */
export type CancelTimer = () => void;

/**
 * Calls `fn` once after `delayMs` (any non-negative number; Infinity never fires). With
 * `unref`, the timer does not keep the process alive.
 */
export function setLongTimeout(fn: () => void, delayMs: number, unref = false): CancelTimer {
  if (!(delayMs < Infinity)) return () => {};
  let remaining = Math.max(0, delayMs);
  let handle: NodeJS.Timeout;
  const arm = (): void => {
    const step = Math.min(remaining, MAX_TIMER_MS);
    remaining -= step;
    handle = setTimeout(remaining > 0 ? arm : fn, step);
    if (unref) handle.unref();
  };
  arm();
  return () => clearTimeout(handle);
}
