/**
 * Temporary directories for tests, all made under the OS temp directory by
 * {@link makeTempDir}; the variants differ only in who removes them and when.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

/**
 * Makes a fresh directory `<os tmpdir>/<prefix>XXXXXX`.
 * @returns its absolute path. Nothing removes it: the caller does (see {@link removeDir}).
 */
export function makeTempDir(prefix = 'engine-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes a directory tree; a directory that does not exist is no error. Returns nothing. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A fresh temp directory removed when the current test finishes. Call it inside a test.
 * @returns its absolute path.
 */
export function tempDir(prefix = 'engine-test-'): string {
  const dir = makeTempDir(prefix);
  onTestFinished(() => removeDir(dir));
  return dir;
}

/**
 * A fresh temp directory removed after all tests of the calling file. Call it at the top
 * level of a test file.
 * @returns its absolute path.
 */
export function tempDirForFile(prefix = 'engine-test-'): string {
  const dir = makeTempDir(prefix);
  afterAll(() => removeDir(dir));
  return dir;
}

/**
 * A fresh temp directory and a function that removes it (for `beforeEach`/`afterEach` pairs
 * and for helpers that clean up themselves).
 * @returns `dir`, its absolute path, and `cleanup`, which removes it.
 */
export function tempDirWithCleanup(prefix = 'engine-test-'): { dir: string; cleanup: () => void } {
  const dir = makeTempDir(prefix);
  return { dir, cleanup: () => removeDir(dir) };
}
