/**
 * Turns an error that reached the top of a command into a message on stderr and an exit
 * code, never with a stack trace unless ENGINE_DEBUG=1:
 * - bad input (a PlanError) prints each problem with its place and exits 2;
 * - a UserError prints its message and exits with its code;
 * - a failure of the engine's environment (a state directory that is a file, read-only, on a
 *   full disk; see {@link environmentFailure}) names the cause and exits 3;
 * - anything else is an internal error (exit 1).
 */
import { accessSync, constants, statfsSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { ExitCode } from '../exit-codes.js';
import { formatProblem, PlanError } from '../schema/problems.js';
import { UserError } from '../errors.js';

/** What the running command works on, for messages about failures that carry no path. */
export interface ErrorContext {
  /** Absolute state directory of the command, when it has one. */
  stateDir?: string;
}

let context: ErrorContext = {};

/**
 * Tells {@link reportError} which state directory the running command uses. The CLI sets it
 * once, before the command runs: a full disk (a write(2) on a file descriptor) or an SQLite
 * error says nothing about where it happened, and "cannot use state directory /x: no space
 * left on device" is the message a person can act on.
 */
export function setErrorContext(next: ErrorContext): void {
  context = next;
}

/** Prints `err` for a person and returns the exit code for it. */
export function reportError(err: unknown): number {
  if (err instanceof PlanError) {
    const n = err.problems.length;
    process.stderr.write(`engine: invalid plan (${n} problem${n === 1 ? '' : 's'}):\n`);
    for (const p of err.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
    return ExitCode.usage;
  }
  if (err instanceof UserError) {
    process.stderr.write(`engine: ${err.message}\n`);
    return err.exitCode;
  }
  const environment = environmentFailure(err, context.stateDir);
  if (environment !== undefined) {
    process.stderr.write(`engine: ${environment}\n`);
    return ExitCode.environment;
  }
  const e = err as Error;
  process.stderr.write(`engine: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.ENGINE_DEBUG === '1' && e?.stack) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('(set ENGINE_DEBUG=1 for a stack trace)\n');
  return ExitCode.failed;
}

/**
 * Error codes of file-system calls and SQLite that mean the environment failed, not the
 * engine, with the cause they name. `diagnose`: the code alone does not tell the real cause
 * (mkdir reports ENOENT under a read-only directory, SQLite cannot open a database in one),
 * so the directory is looked at first ({@link diagnoseDir}).
 */
const CAUSES: Record<string, { cause: string; diagnose?: true }> = {
  EACCES: { cause: 'permission denied' },
  EPERM: { cause: 'permission denied' },
  EROFS: { cause: 'read-only file system' },
  ENOSPC: { cause: 'no space left on device' },
  EDQUOT: { cause: 'disk quota exceeded' },
  EMFILE: { cause: 'too many open files' },
  ENFILE: { cause: 'too many open files in the system' },
  EIO: { cause: 'input/output error' },
  SQLITE_FULL: { cause: 'no space left on device' },
  ENOTDIR: { cause: 'a directory on the way is a file', diagnose: true },
  EEXIST: { cause: 'a file is in the way', diagnose: true },
  ENOENT: { cause: 'no such file or directory', diagnose: true },
  SQLITE_CANTOPEN: { cause: 'cannot open runs.db', diagnose: true },
  SQLITE_READONLY: { cause: 'runs.db is read-only', diagnose: true },
  SQLITE_IOERR: { cause: 'input/output error on runs.db', diagnose: true },
  SQLITE_NOTADB: { cause: 'runs.db is not an SQLite database' },
  SQLITE_CORRUPT: { cause: 'runs.db is corrupt' },
};

/** Calls on a file descriptor: their errors name no path, but they are file I/O. */
const FD_CALLS = new Set(['read', 'write', 'writev', 'fsync', 'fdatasync', 'ftruncate', 'fstat', 'close']);

/**
 * The message for an error that means the engine's environment failed, or undefined for any
 * other error. It is one when its code is in {@link CAUSES} (SQLite's extended codes such as
 * SQLITE_READONLY_DIRECTORY included) and it comes from SQLite or from file I/O (a call with a
 * path, or on a file descriptor: not `kill` or `spawn`), except ENOENT outside `stateDir` and
 * not from mkdir (a file that is simply missing is the caller's business). The message names
 * the state directory (or the path, outside it), the real cause and the call that failed:
 * `cannot use state directory /x: it is a file, not a directory (mkdir)`,
 * `cannot use state directory /x: read-only file system (open /x/.gitignore)`.
 */
export function environmentFailure(err: unknown, stateDir: string | undefined): string | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  const known = typeof e?.code === 'string' ? CAUSES[baseCode(e.code)] : undefined;
  if (e === undefined || known === undefined) return undefined;
  const path = typeof e.path === 'string' ? e.path : undefined;
  const fileIo = e.code!.startsWith('SQLITE_') || path !== undefined || FD_CALLS.has(e.syscall ?? '');
  if (!fileIo) return undefined;
  const inStateDir = stateDir !== undefined && (path === undefined || path === stateDir || path.startsWith(stateDir + sep));
  if (e.code === 'ENOENT' && !inStateDir && e.syscall !== 'mkdir') return undefined;

  const subjectPath = inStateDir ? stateDir : path;
  const runsDbIsDir = e.code!.startsWith('SQLITE_') && stateDir !== undefined && isDirectory(join(stateDir, 'runs.db'));
  const cause = runsDbIsDir
    ? 'cannot open runs.db: it is a directory'
    : ((known.diagnose && subjectPath !== undefined ? diagnoseDir(subjectPath) : undefined) ?? known.cause);
  const detail = failedCall(e, subjectPath);
  if (subjectPath === undefined) return `the engine's environment failed: ${cause}${detail}`;
  return `cannot use ${inStateDir ? 'state directory ' : ''}${subjectPath}: ${cause}${detail}`;
}

/** `SQLITE_READONLY_DIRECTORY` → `SQLITE_READONLY`; other codes as they are. */
function baseCode(code: string): string {
  if (code in CAUSES) return code;
  const m = /^SQLITE_[A-Z]+/.exec(code);
  return m ? m[0] : code;
}

/** ` (open /x/.gitignore)` or ` (SQLite: unable to open database file)`: what failed, when it
 * adds to the subject; else ''. */
function failedCall(e: NodeJS.ErrnoException, subject: string | undefined): string {
  if (e.code?.startsWith('SQLITE_')) return ` (SQLite: ${e.message})`;
  if (e.syscall === undefined) return '';
  if (e.path === undefined || e.path === subject) return ` (${e.syscall})`;
  return ` (${e.syscall} ${e.path})`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Why `dir` cannot be used as a directory to write in: it or a directory above it is a file,
 * the nearest existing one is read-only or not writable, or its file system is full.
 * Undefined when none of these holds (the error's code then says what it can).
 */
function diagnoseDir(dir: string): string | undefined {
  let existing = dir;
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(existing).isDirectory();
    } catch {
      const up = dirname(existing);
      if (up === existing) return undefined;
      existing = up;
      continue;
    }
    if (!isDirectory) return existing === dir ? 'it is a file, not a directory' : `${existing} is a file, not a directory`;
    break;
  }
  try {
    accessSync(existing, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return 'read-only file system';
    if (code === 'EACCES' || code === 'EPERM') return existing === dir ? 'permission denied' : `permission denied on ${existing}`;
  }
  try {
    if (statfsSync(existing).bavail === 0) return 'no space left on device';
  } catch {
    // statfs is a diagnosis only; without it the error's own code is reported.
  }
  return undefined;
}
