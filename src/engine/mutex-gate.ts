/**
 * Steps' `mutex` for the run loop (issue 14): a ready step enters the gate before it queues for
 * a concurrency slot, so a step waiting for a mutex holds no slot. It keeps the mutex through
 * its retries and gives it back when it ends (or withdraws its request when it is cancelled
 * while waiting).
 */
import type { MutexHolder, MutexPort, MutexRequest } from './mutex.js';

export class MutexGate {
  /** Requests of steps waiting for their mutex, by step index. */
  private readonly waiting = new Map<number, MutexRequest>();
  /** Mutexes held, by step index: the name and the step id it was taken for. */
  private readonly held = new Map<number, { name: string; stepId: string }>();

  /**
   * @param port where mutexes live; without it (unit tests of plans without mutexes) no step waits
   * @param onWaiting a step found its mutex busy (once per wait)
   */
  constructor(
    private readonly port: MutexPort | undefined,
    private readonly onWaiting: (step: number, name: string, holder: MutexHolder) => void,
  ) {}

  /** Calls `then` once step `i` holds mutex `name`: at once when it has none or holds it already. */
  enter(i: number, stepId: string, name: string | null, then: () => void): void {
    if (name === null || !this.port || this.held.has(i)) {
      then();
      return;
    }
    const request = this.port.acquire(name, stepId, (holder) => this.onWaiting(i, name, holder));
    this.waiting.set(i, request);
    void request.held.then(() => {
      if (this.waiting.get(i) !== request) return;
      this.waiting.delete(i);
      this.held.set(i, { name, stepId });
      then();
    });
  }

  /** Step `i` ended or will not start: its mutex is given back, or its request withdrawn. */
  leave(i: number): void {
    const request = this.waiting.get(i);
    if (request) {
      this.waiting.delete(i);
      request.cancel();
    }
    const h = this.held.get(i);
    if (h) {
      this.held.delete(i);
      this.port?.release(h.name, h.stepId);
    }
  }

  /** The run is over: everything is given back. */
  close(): void {
    for (const i of [...this.waiting.keys(), ...this.held.keys()]) this.leave(i);
  }
}
