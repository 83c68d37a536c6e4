/**
 * The outputs files (ENGINE_OUTPUT, issue 13) of a run's local attempts, recycled instead of
 * created and deleted per attempt.
 *
 * Every attempt gets a fresh, empty file at `outputs/<step>.<attempt>`. Allocating an inode is
 * the expensive part of creating a file: 0.75 ms of kernel CPU per file on this project's
 * machines (ext4), against 0.02 ms for a rename and 0.01 ms for a truncate. A 1,000-step run of
 * `true` that created one outputs file per step took 1.5x the CPU and 1.4x the wall time of the
 * same run without them (bench `plain-true`, docs/BENCHMARKS.md). So a finished attempt's file
 * is emptied and kept as a spare (`outputs/.spare-N`; no step or instance id starts with a
 * dot), and the next attempt's file is a spare renamed to its name: after the first
 * `capacity` attempts, a run allocates no inode for outputs at all.
 *
 * Spares are emptied when they are given back (a secret a step wrote does not linger) and again
 * when they are taken (a process the step left behind could still hold the file open). The
 * first spares are created in libuv's thread pool, ahead of the steps that will need them.
 * Files that are not taken when the run ends are deleted by {@link OutputFiles.discard}.
 */
import { close, closeSync, constants, open, openSync, renameSync, unlink, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

export class OutputFiles {
  /** Empty spares, ready to be renamed. */
  private readonly spares: string[] = [];
  /** Spares being created in the thread pool. */
  private creating = 0;
  /** Attempts that asked for a file ({@link take}) and have not given it back. */
  private taken = 0;
  private counter = 0;
  private closed = false;

  /** @param capacity spares created ahead (at least 1): about the number of attempts that run at once */
  constructor(private readonly capacity: number) {}

  /** Spares ready to be taken now. */
  get ready(): number {
    return this.spares.length;
  }

  /** A step will start soon and write outputs into `path`'s directory: create a spare there, unless enough exist. */
  want(path: string): void {
    if (this.closed || this.spares.length + this.creating + this.taken >= this.capacity) return;
    const spare = join(dirname(path), `.spare-${this.counter++}`);
    this.creating++;
    open(spare, FLAGS, 0o600, (err, fd) => {
      this.creating--;
      if (err) return; // the attempt creates its file itself, and reports a failure then
      close(fd, () => {});
      if (this.closed) unlink(spare, () => {});
      else this.spares.push(spare);
    });
  }

  /**
   * Makes `path` an existing, empty file from a spare in the same directory. Every call is
   * matched by one {@link giveBack} of `path` once the attempt has read it.
   * @returns false when no spare was ready (the caller creates the file itself)
   */
  take(path: string): boolean {
    this.taken++;
    const dir = dirname(path);
    let at = this.spares.length - 1;
    while (at >= 0 && dirname(this.spares[at]!) !== dir) at--;
    if (at < 0) return false;
    const spare = this.spares.splice(at, 1)[0]!;
    try {
      renameSync(spare, path);
      empty(path);
      return true;
    } catch {
      removeQuietly(spare);
      return false;
    }
  }

  /**
   * An attempt has read `path`: empty it and keep it as a spare (deleted when that fails or the
   * run has ended). `emptied`: the attempt found it empty, so it is not emptied again here
   * (three system calls less per step; {@link take} empties it anyway, should a process the
   * step left behind have written since).
   */
  giveBack(path: string, emptied = false): void {
    this.taken = Math.max(0, this.taken - 1);
    if (this.closed || this.spares.length >= this.capacity) {
      removeQuietly(path);
      return;
    }
    const spare = join(dirname(path), `.spare-${this.counter++}`);
    try {
      if (!emptied) empty(path);
      renameSync(path, spare);
      this.spares.push(spare);
    } catch {
      // Gone (the step removed it) or not ours to keep.
      removeQuietly(path);
    }
  }

  /** The run ended: delete every spare. Files given back later are deleted too. */
  discard(): void {
    this.closed = true;
    for (const spare of this.spares) removeQuietly(spare);
    this.spares.length = 0;
  }
}

/**
 * Empties the file at `path` with one open(O_TRUNC) and a close: truncateSync(path) is an open,
 * an ftruncate and a close.
 * @throws NodeJS.ErrnoException when it cannot be opened (ENOENT: the step removed it)
 */
function empty(path: string): void {
  closeSync(openSync(path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW));
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone: nothing to clean up
  }
}
