/**
 * The run loop's port for mutual exclusion across runs (issue 14): a step's `mutex` and a
 * run's `globals.mutex` are names at most one holder has at a time, across every engine
 * process that shares the state directory. The store behind it (state/store/mutexes.ts) keeps
 * holders and waiters in runs.db; waiters get a name in the order they asked for it, and a
 * holder whose engine died is dropped by the same liveness rule as crash recovery.
 */

/** Who holds (or asks for) a mutex: a step of a run, or a whole run (`stepId` null). */
export interface MutexHolder {
  runId: string;
  stepId: string | null;
}

/** A request for a mutex in progress. */
export interface MutexRequest {
  /** Resolves once the name is held by this requester. */
  readonly held: Promise<void>;
  /** Withdraws the request (the step was cancelled while waiting); `held` never resolves then. */
  cancel(): void;
}

export interface MutexPort {
  /**
   * Asks for `name` for `stepId` of this run (null: the whole run). When it is busy,
   * `onBusy(holder)` is called once, with who holds it, before waiting.
   */
  acquire(name: string, stepId: string | null, onBusy: (holder: MutexHolder) => void): MutexRequest;
  /** Gives `name` back (the step or run ended). No-op when not held. */
  release(name: string, stepId: string | null): void;
  /** Who holds `name` now, or null (for `on_mutex_busy: fail`). */
  holderOf(name: string): MutexHolder | null;
  /** Asks the engine running `holder`'s run to cancel it, as `engine cancel` does (`on_mutex_busy: cancel_other`). */
  cancelHolder(holder: MutexHolder): void;
}
