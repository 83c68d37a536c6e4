/**
 * Backoff between attempts (issue 2): the delay before attempt n+1, after attempt n failed,
 * is `min(retry_delay_sec * retry_backoff^(n-1), retry_max_delay_sec)`.
 */
import type { RetryPolicy } from '../schema/resolved-plan.js';

/** Delay in ms before the attempt that follows failed attempt `failedAttempt` (1-based). */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number): number {
  const raw = policy.delayMs * policy.backoff ** (failedAttempt - 1);
  return Math.round(Math.min(raw, policy.maxDelayMs));
}
