/**
 * The run's concurrency limit (`max_concurrency`, `--max-concurrency`): at most `max` tasks
 * (attempts, with their precondition checks) at once; the others wait in first-in, first-out
 * order, which is the order the scheduler found them ready. A task starts on a microtask after
 * {@link ConcurrencyLimit.run}, never inside the caller, so the caller finishes recording its
 * decisions first.
 */
export class ConcurrencyLimit {
  private running = 0;
  /** Waiting tasks; `head` is the next one (a queue without Array#shift's O(n)). */
  private waiting: ((() => Promise<void>) | undefined)[] = [];
  private head = 0;

  /** @param max tasks at once, >= 1 */
  constructor(private readonly max: number) {}

  /**
   * Runs `task` when a slot is free. A rejected task is a bug in the engine: its rejection is
   * left unhandled, which ends the process.
   */
  run(task: () => Promise<void>): void {
    if (this.running < this.max) this.start(task);
    else this.waiting.push(task);
  }

  private start(task: () => Promise<void>): void {
    this.running++;
    queueMicrotask(() => {
      void task().finally(() => {
        this.running--;
        this.next();
      });
    });
  }

  private next(): void {
    if (this.head === this.waiting.length) return;
    const task = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    }
    this.start(task);
  }
}
