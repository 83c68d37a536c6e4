/**
 * The run loop's port for up-to-date skipping (issue 14, like go-task's `sources` and make's
 * timestamps, but by content): a step with `sources` is skipped as `up_to_date` when its
 * fingerprint (the content of its sources, its command, args, env and cwd) equals the one of
 * its last successful attempt in this state directory and every `generates` path exists.
 */
import type { ResolvedStep } from '../schema/resolved-plan.js';

export interface FingerprintCheck {
  /** The step's fingerprint now (hex sha256). */
  fingerprint: string;
  /** True when it equals the last success's and the generated paths exist. */
  upToDate: boolean;
  /** Why, in words: `3 sources unchanged since run R`, `src/a.c changed`, `build/app is missing`. */
  detail: string;
  /**
   * When up to date: the outputs its last success wrote (issue 13), which later steps get as if
   * it had just run. A step with `secret_outputs` is never up to date (they are not recorded).
   */
  outputs: Record<string, string>;
}

export interface FingerprintPort {
  /** Computes the step's fingerprint and compares it with its last success. May take a while (hashing). */
  check(step: ResolvedStep): Promise<FingerprintCheck>;
  /** The attempt with this fingerprint succeeded: it becomes the step's last success. */
  record(step: ResolvedStep, fingerprint: string, attempt: number): void;
}
