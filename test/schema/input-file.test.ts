/**
 * Reading plan and vars files from what a path can name: regular files, named and anonymous
 * pipes, devices, directories. Pipes are real (mkfifo, a writer in another process); nothing
 * here may block: a pipe without a writer is given up after PIPE_WRITER_WAIT_MS.
 */
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_INPUT_FILE_BYTES, PIPE_WRITER_WAIT_MS, readInputFile } from '../../src/schema/input-file.js';
import { tempDir } from '../helpers/temp-dirs.js';

function fifo(dir: string, name = 'fifo'): string {
  const p = path.join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
}

/** Starts `sh -c script` in the background: a writer that outlives this synchronous read. */
function inBackground(script: string): void {
  spawn('sh', ['-c', script], { stdio: 'ignore' });
}

const ok = (r: ReturnType<typeof readInputFile>) => (r.ok ? r.bytes.toString('utf8') : `error: ${r.message}`);

describe('readInputFile', () => {
  it('reads a regular file', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'p.json'), '{"a": 1}');
    expect(ok(readInputFile('plan file', path.join(dir, 'p.json')))).toBe('{"a": 1}');
  });

  it('refuses a file over the limit from its size, without reading it', () => {
    const dir = tempDir();
    const p = path.join(dir, 'big.json');
    const fd = openSync(p, 'w');
    ftruncateSync(fd, MAX_INPUT_FILE_BYTES + 1); // sparse: costs no disk
    closeSync(fd);
    expect(ok(readInputFile('plan file', p))).toBe(`error: plan file is ${MAX_INPUT_FILE_BYTES + 1} bytes; the limit is 64 MiB: ${p}`);
  });

  it('refuses a directory, a character device and a pipe as a plan file before opening them', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'd'));
    const f = fifo(dir); // opening this one for reading would wait for a writer
    expect(ok(readInputFile('plan file', path.join(dir, 'd')))).toBe(`error: plan file is a directory: ${path.join(dir, 'd')}`);
    expect(ok(readInputFile('plan file', '/dev/zero'))).toMatch(/^error: plan file is a character device .*: \/dev\/zero$/);
    expect(ok(readInputFile('plan file', f))).toMatch(/^error: plan file is a pipe, not a regular file: .*fifo \(engine resume/);
  });

  it('reads a vars file from a named pipe whose writer comes a little later', () => {
    const dir = tempDir();
    const f = fifo(dir);
    inBackground(`sleep 0.3; printf '{"X": "1"}' > '${f}'`);
    expect(ok(readInputFile('vars file', f))).toBe('{"X": "1"}');
  });

  it('reads a vars file from a named pipe until its writer closes it, however long it pauses', () => {
    const dir = tempDir();
    const f = fifo(dir);
    inBackground(`exec 3> '${f}'; printf '{"X":' >&3; sleep 0.5; printf ' "1"}' >&3`);
    expect(ok(readInputFile('vars file', f))).toBe('{"X": "1"}');
  });

  it('gives up on a named pipe that nothing opens for writing', () => {
    const dir = tempDir();
    const f = fifo(dir);
    const t0 = performance.now();
    expect(ok(readInputFile('vars file', f))).toBe(`error: vars file is a named pipe that nothing wrote to within 2 s: ${f}`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(PIPE_WRITER_WAIT_MS - 50);
    expect(performance.now() - t0).toBeLessThan(PIPE_WRITER_WAIT_MS + 2000);
  });

  it('refuses a pipe that delivers more than the limit', () => {
    const dir = tempDir();
    const f = fifo(dir);
    inBackground(`head -c ${MAX_INPUT_FILE_BYTES + 10} /dev/zero > '${f}' 2>/dev/null`);
    expect(ok(readInputFile('vars file', f))).toBe(`error: vars file is larger than the limit of 64 MiB: ${f}`);
  });

  it('names a missing file, and a path through a file', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'file'), '');
    expect(ok(readInputFile('vars file', path.join(dir, 'nope.json')))).toBe(`error: vars file not found: ${path.join(dir, 'nope.json')}`);
    expect(ok(readInputFile('vars file', path.join(dir, 'file', 'x.json')))).toMatch(/^error: vars file not found: .*\(a directory on the way is a file\)$/);
  });
});
