/**
 * Reading a plan file or a vars file without ever hanging: the path is classified with
 * stat(2) before it is opened, so a directory, a terminal, a device that never ends
 * (/dev/zero) or a socket is refused by name; what is read is bounded by
 * {@link MAX_INPUT_FILE_BYTES}; and a pipe is opened with O_NONBLOCK, so a named pipe that
 * nobody writes to cannot block the engine forever.
 *
 * Plan files must be regular files (`engine resume` reads the plan again by its path).
 * Vars files may also be pipes (`… | engine run plan.json --vars-file /dev/stdin`), which is
 * how secret values are handed over without touching the disk; standard input is read as it
 * is, also when it is a socket (what Node and libuv give a child as a "pipe").
 */
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';

/** Largest plan or vars file the engine reads, in bytes: 64 MiB. A 100,000-step plan is
 * about 14 MB; the bound is there to refuse a runaway input quickly, not to limit plans. */
export const MAX_INPUT_FILE_BYTES = 64 * 1024 * 1024;

/** How long a named pipe may stay without a writer before it is refused, in ms. */
export const PIPE_WRITER_WAIT_MS = 2000;

/** What is being read: names the file in messages and decides whether a pipe is accepted. */
export type InputFileKind = 'plan file' | 'vars file';

/** The bytes of the file, or a message naming the path and why it cannot be used. */
export type InputFileResult = { ok: true; bytes: Buffer } | { ok: false; message: string };

/**
 * Reads `abs` (an absolute path) as a `kind`. Never throws and never blocks on a pipe without
 * a writer (it waits {@link PIPE_WRITER_WAIT_MS} for one); a pipe with a writer is read until
 * the writer closes it. Messages have no stack and name the path, e.g. `plan file is a
 * directory: /x`, `plan file is 70000000 bytes; the limit is 64 MiB`.
 */
export function readInputFile(kind: InputFileKind, abs: string): InputFileResult {
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (err) {
    return { ok: false, message: readErrorMessage(kind, abs, err) };
  }
  const fromStdin = (st.isFIFO() || st.isSocket()) && isOwnStdin(st);
  const refusal = refuseKind(kind, abs, st, fromStdin);
  if (refusal !== undefined) return { ok: false, message: refusal };
  if (st.isFile() && st.size > MAX_INPUT_FILE_BYTES) {
    return { ok: false, message: `${kind} is ${st.size} bytes; the limit is ${LIMIT_TEXT}: ${abs}` };
  }
  try {
    // Standard input is read as it is: a socket (what a Node or libuv parent gives as a
    // pipe) cannot be opened again through /dev/stdin (ENXIO).
    return fromStdin ? readPipe(kind, abs, 0, true) : openAndRead(kind, abs, st);
  } catch (err) {
    return { ok: false, message: readErrorMessage(kind, abs, err) };
  }
}

/** Opens `abs` (a regular file or a named pipe, as `st` says) and reads it. */
function openAndRead(kind: InputFileKind, abs: string, st: Stats): InputFileResult {
  // O_NONBLOCK: opening a named pipe without a writer returns at once instead of waiting.
  const fd = openSync(abs, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    return st.isFIFO() ? readPipe(kind, abs, fd, isAnonymousPipe(fd)) : readRegular(kind, abs, fd, st.size);
  } finally {
    closeSync(fd);
  }
}

const LIMIT_TEXT = `${MAX_INPUT_FILE_BYTES / 1024 / 1024} MiB`;

/** Why a file of this type cannot be read as `kind`, or undefined when it can. `fromStdin`:
 * the path names this process's standard input. */
function refuseKind(kind: InputFileKind, abs: string, st: Stats, fromStdin: boolean): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return `${kind} is a directory: ${abs}`;
  if (st.isFIFO() || (st.isSocket() && fromStdin)) {
    if (kind === 'vars file') return undefined;
    return `plan file is a pipe, not a regular file: ${abs} (engine resume reads the plan again, so save it to a file)`;
  }
  const hint = kind === 'vars file' ? ' (to pipe values in: … | engine run PLAN --vars-file /dev/stdin)' : '';
  if (st.isCharacterDevice()) {
    return isOwnTerminal(st)
      ? `${kind} is a terminal: ${abs}${hint}`
      : `${kind} is a character device (such as a terminal or /dev/zero), not a file: ${abs}${hint}`;
  }
  if (st.isBlockDevice()) return `${kind} is a block device, not a file: ${abs}`;
  if (st.isSocket()) return `${kind} is a socket, not a file: ${abs}`;
  return `${kind} is not a regular file: ${abs}`;
}

/** Whether `st` (of a pipe or socket) is this process's standard input. */
function isOwnStdin(st: Stats): boolean {
  try {
    const stdin = fstatSync(0);
    return stdin.dev === st.dev && stdin.ino === st.ino;
  } catch {
    return false;
  }
}

/** Whether the device is the terminal of this process's stdin, stdout or stderr (the usual
 * way to get here: `--vars-file /dev/stdin` typed in an interactive shell). Opens nothing. */
function isOwnTerminal(st: Stats): boolean {
  return [0, 1, 2].some((fd) => isatty(fd) && fstatSync(fd).rdev === st.rdev);
}

/** Reads a regular file of (stat) size `size`, refusing it when it has grown past the limit. */
function readRegular(kind: InputFileKind, abs: string, fd: number, size: number): InputFileResult {
  // One byte more than expected, so a file that grew since stat(2) is noticed; files under
  // /proc report size 0 and are read in chunks.
  let buf = Buffer.allocUnsafe(Math.min(Math.max(size + 1, 64 * 1024), MAX_INPUT_FILE_BYTES + 1));
  let length = 0;
  for (;;) {
    if (length === buf.length) {
      if (length > MAX_INPUT_FILE_BYTES) return tooLarge(kind, abs);
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_INPUT_FILE_BYTES + 1));
      buf.copy(bigger, 0, 0, length);
      buf = bigger;
    }
    const n = readSync(fd, buf, length, buf.length - length, null);
    if (n === 0) break;
    length += n;
  }
  if (length > MAX_INPUT_FILE_BYTES) return tooLarge(kind, abs);
  return { ok: true, bytes: buf.subarray(0, length) };
}

/**
 * Reads a pipe or socket until its writer closes it. A read of 0 bytes before any writer was
 * seen means, for a named pipe opened with O_NONBLOCK, that nobody has opened it for writing
 * yet: wait up to PIPE_WRITER_WAIT_MS for one. `hasWriter`: the other end is known to exist
 * (an anonymous pipe, `|`, or a socket), so 0 bytes is the end.
 */
function readPipe(kind: InputFileKind, abs: string, fd: number, hasWriter: boolean): InputFileResult {
  const chunks: Buffer[] = [];
  let length = 0;
  let writerSeen = hasWriter;
  let waitedMs = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let n: number;
    try {
      n = readSync(fd, chunk, 0, chunk.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      writerSeen = true; // a writer holds the pipe open but has not written yet
      sleepMs(PIPE_POLL_MS);
      continue;
    }
    if (n > 0) {
      writerSeen = true;
      chunks.push(chunk.subarray(0, n));
      length += n;
      if (length > MAX_INPUT_FILE_BYTES) return tooLarge(kind, abs);
      continue;
    }
    if (writerSeen) break;
    if (waitedMs >= PIPE_WRITER_WAIT_MS) {
      return { ok: false, message: `${kind} is a named pipe that nothing wrote to within ${PIPE_WRITER_WAIT_MS / 1000} s: ${abs}` };
    }
    sleepMs(PIPE_POLL_MS);
    waitedMs += PIPE_POLL_MS;
  }
  return { ok: true, bytes: Buffer.concat(chunks, length) };
}

const PIPE_POLL_MS = 10;

/** Linux names an anonymous pipe `pipe:[inode]` in /proc; elsewhere this returns false, and
 * an empty anonymous pipe is then reported after the wait for a writer. */
function isAnonymousPipe(fd: number): boolean {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`).startsWith('pipe:');
  } catch {
    return false;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function tooLarge(kind: InputFileKind, abs: string): InputFileResult {
  return { ok: false, message: `${kind} is larger than the limit of ${LIMIT_TEXT}: ${abs}` };
}

/** "<kind> not found: <abs>" and the like, from a stat, open or read error; no stack. */
function readErrorMessage(kind: string, abs: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `${kind} not found: ${abs}`;
  if (code === 'ENOTDIR') return `${kind} not found: ${abs} (a directory on the way is a file)`;
  if (code === 'EISDIR') return `${kind} is a directory: ${abs}`;
  if (code === 'EACCES' || code === 'EPERM') return `${kind} is not readable (permission denied): ${abs}`;
  if (code === 'ENXIO') return `${kind} is a socket or a device without a driver, not a file: ${abs}`;
  if (code === 'ENAMETOOLONG') return `${kind} path is too long (${abs.length} characters)`;
  if (code === 'ELOOP') return `${kind} path loops through symbolic links: ${abs}`;
  // Node's message is "CODE: what, syscall 'path'": keep "what", the path is shown already.
  const msg = err instanceof Error ? err.message : String(err);
  return `cannot read ${kind} ${abs}: ${/^[A-Z0-9]+: ([^,]+)/.exec(msg)?.[1] ?? msg}`;
}
