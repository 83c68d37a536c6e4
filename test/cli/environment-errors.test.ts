/**
 * Which errors count as a failure of the engine's environment (exit 3) and how they are named,
 * with errors produced by real file-system calls and a real SQLite database. The CLI cases
 * (read-only and full state directories) are in test/cli/hostile-input.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { environmentFailure } from '../../src/commands/report-error.js';
import { tempDir } from '../helpers/temp-dirs.js';

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('environmentFailure', () => {
  it('names a state directory that is a file, from mkdir EEXIST', () => {
    const dir = tempDir();
    const state = path.join(dir, 'state');
    writeFileSync(state, '');
    const err = thrown(() => mkdirSync(state, { recursive: true }));
    expect(environmentFailure(err, state)).toBe(`cannot use state directory ${state}: it is a file, not a directory (mkdir)`);
  });

  it('names the file above a state directory, from mkdir ENOTDIR', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'f'), '');
    const state = path.join(dir, 'f', 'state');
    const err = thrown(() => mkdirSync(state, { recursive: true }));
    expect(environmentFailure(err, state)).toBe(`cannot use state directory ${state}: ${path.join(dir, 'f')} is a file, not a directory (mkdir)`);
  });

  it('names the path when it is outside the state directory', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'f'), '');
    const err = thrown(() => mkdirSync(path.join(dir, 'f', 'x')));
    expect(environmentFailure(err, path.join(dir, 'state'))).toBe(`cannot use ${path.join(dir, 'f', 'x')}: ${path.join(dir, 'f')} is a file, not a directory (mkdir)`);
  });

  it('names a runs.db that is not a database', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'runs.db'), 'not a database\n'.repeat(100));
    const err = thrown(() => new Database(path.join(dir, 'runs.db')).pragma('journal_mode = WAL'));
    expect(environmentFailure(err, dir)).toBe(`cannot use state directory ${dir}: runs.db is not an SQLite database (SQLite: file is not a database)`);
  });

  it('leaves a missing file outside the state directory to its caller', () => {
    const dir = tempDir();
    const err = thrown(() => readFileSync(path.join(dir, 'nope')));
    expect(environmentFailure(err, path.join(dir, 'state'))).toBeUndefined();
  });

  it('leaves SQLite errors of the engine itself (a datatype mismatch) as internal errors', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
    const err = thrown(() => db.prepare('INSERT INTO t VALUES (?)').run('not an integer'));
    expect((err as { code?: string }).code).toBe('SQLITE_MISMATCH');
    expect(environmentFailure(err, tempDir())).toBeUndefined();
  });

  it('leaves a permission error that is not file I/O (signalling a process) to its caller', () => {
    const err = Object.assign(new Error('kill EPERM'), { code: 'EPERM', errno: -1, syscall: 'kill' });
    expect(environmentFailure(err, '/state')).toBeUndefined();
  });

  it('leaves errors without a code as internal errors', () => {
    expect(environmentFailure(new TypeError('x is undefined'), '/state')).toBeUndefined();
  });

  it('says what failed when there is no state directory to name', () => {
    const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    expect(environmentFailure(err, undefined)).toBe("the engine's environment failed: no space left on device (write)");
  });
});
