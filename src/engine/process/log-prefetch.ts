/**
 * Creates attempts' log files ahead of time, in libuv's thread pool, so the main thread does
 * not wait for the file system when it starts a step.
 *
 * Creating a file (a new inode and directory entry) is the slowest per-step system call the
 * engine makes: 0.02-0.7 ms here, depending on what else the disk is doing, and it used to run
 * on the main thread right before each spawn (docs/PERFORMANCE.md). The run asks for the log
 * files of the next few steps in plan order that have not started; by the time a step starts,
 * its file usually exists and the attempt takes the open descriptor.
 *
 * A prepared file is opened O_WRONLY|O_CREAT without O_TRUNC, so an open that completes late
 * never truncates what a step already wrote; the taker truncates it instead. Files of steps
 * that never start (skipped, cancelled) are deleted by {@link LogPrefetch.discard} when the
 * run ends; a killed engine can leave such empty files behind, which nothing reads (logs are
 * found through the recorded `log_path`).
 */
import { close, closeSync, constants, ftruncateSync, open, unlink, unlinkSync } from 'node:fs';
import type { LogPreparer } from '../attempt.js';

interface Entry {
  /** The descriptor once open; null while opening. */
  fd: number | null;
  /** Nobody wants the file any more: close (and, when `unlink`, delete) it on arrival. */
  dropped: boolean;
  unlink: boolean;
}

const FLAGS = constants.O_WRONLY | constants.O_CREAT;

export class LogPrefetch implements LogPreparer {
  private readonly entries = new Map<string, Entry>();

  /** @param capacity files prepared or being prepared at once (descriptors held), >= 1 */
  constructor(private readonly capacity: number) {}

  /** True when another {@link want} would start creating a file. */
  get hasRoom(): boolean {
    return this.entries.size < this.capacity;
  }

  /** True when `path` is prepared and open, so {@link take} would return its descriptor. */
  isReady(path: string): boolean {
    return (this.entries.get(path)?.fd ?? null) !== null;
  }

  /** Starts creating `path` (mode 0666 & ~umask), unless it is already wanted or there is no room. */
  want(path: string): void {
    if (!this.hasRoom || this.entries.has(path)) return;
    const entry: Entry = { fd: null, dropped: false, unlink: false };
    this.entries.set(path, entry);
    open(path, FLAGS, 0o666, (err, fd) => {
      if (err) {
        // The attempt opens the file itself and reports the error then.
        if (this.entries.get(path) === entry) this.entries.delete(path);
        return;
      }
      if (!entry.dropped) {
        entry.fd = fd;
        return;
      }
      close(fd, () => {});
      if (entry.unlink) unlink(path, () => {});
    });
  }

  /**
   * The prepared descriptor of `path`, emptied and now owned by the caller; undefined when it
   * is not ready (then the caller opens the file itself).
   */
  take(path: string): number | undefined {
    const entry = this.entries.get(path);
    if (!entry) return undefined;
    this.entries.delete(path);
    if (entry.fd === null) {
      entry.dropped = true;
      return undefined;
    }
    try {
      ftruncateSync(entry.fd, 0);
    } catch {
      closeSync(entry.fd);
      return undefined;
    }
    return entry.fd;
  }

  /** Forgets `path` (a step that will not start): closes and deletes its file if prepared. */
  drop(path: string): void {
    const entry = this.entries.get(path);
    if (!entry) return;
    this.entries.delete(path);
    this.release(path, entry);
  }

  /** Closes and deletes every file prepared for a step that did not start. */
  discard(): void {
    for (const [path, entry] of this.entries) this.release(path, entry);
    this.entries.clear();
  }

  private release(path: string, entry: Entry): void {
    if (entry.fd === null) {
      entry.dropped = true;
      entry.unlink = true;
      return;
    }
    closeSync(entry.fd);
    try {
      unlinkSync(path);
    } catch {
      // already gone: nothing to clean up
    }
  }
}
