import { existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputFiles } from '../../src/engine/process/output-files.js';
import { tempDir } from '../helpers/temp-dirs.js';

/** Waits (up to 10 s) until the thread pool has created the spares asked for. */
async function settled(files: OutputFiles, count: number): Promise<void> {
  for (let i = 0; i < 1000 && files.ready < count; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('OutputFiles (recycled ENGINE_OUTPUT files)', () => {
  it('keeps a file read empty as it is, and never empties through a symlink the step left in its place', async () => {
    const dir = tempDir('outputs-');
    const files = new OutputFiles(2);
    files.want(join(dir, 'a.1'));
    await settled(files, 1);
    expect(files.take(join(dir, 'a.1'))).toBe(true);
    // Read empty by the attempt; written by a leftover process afterwards: emptied at the next take.
    files.giveBack(join(dir, 'a.1'), true);
    const [spare] = readdirSync(dir);
    writeFileSync(join(dir, spare!), 'LATE=1\n');
    expect(files.take(join(dir, 'b.1'))).toBe(true);
    expect(readFileSync(join(dir, 'b.1'), 'utf8')).toBe('');
    // The step replaced its file with a symlink: the target is not emptied, the link not kept.
    const target = join(dir, 'precious.txt');
    writeFileSync(target, 'keep me\n');
    symlinkSync(target, join(dir, 'c.1'));
    files.giveBack(join(dir, 'c.1'));
    expect(readFileSync(target, 'utf8')).toBe('keep me\n');
    expect(existsSync(join(dir, 'c.1'))).toBe(false);
  });

  it('gives an attempt an existing, empty, private file and reuses it, emptied, for the next one', async () => {
    const dir = tempDir('outputs-');
    const files = new OutputFiles(1);
    files.want(join(dir, 'a.1'));
    await settled(files, 1);
    expect(files.take(join(dir, 'a.1'))).toBe(true);
    expect(statSync(join(dir, 'a.1')).size).toBe(0);
    expect(statSync(join(dir, 'a.1')).mode & 0o777).toBe(0o600);
    const inode = statSync(join(dir, 'a.1')).ino;
    writeFileSync(join(dir, 'a.1'), 'TOKEN=s3cret\n');
    files.giveBack(join(dir, 'a.1'));
    expect(existsSync(join(dir, 'a.1'))).toBe(false);
    const spare = readdirSync(dir);
    expect(spare).toHaveLength(1);
    // A secret a step wrote does not linger in the spare.
    expect(readFileSync(join(dir, spare[0]!), 'utf8')).toBe('');
    expect(files.take(join(dir, 'b.1'))).toBe(true);
    expect(statSync(join(dir, 'b.1')).ino).toBe(inode);
    expect(readFileSync(join(dir, 'b.1'), 'utf8')).toBe('');
  });

  it('empties a spare again when it is taken (a leftover process may have written to it)', async () => {
    const dir = tempDir('outputs-');
    const files = new OutputFiles(1);
    expect(files.take(join(dir, 'a.1'))).toBe(false);
    writeFileSync(join(dir, 'a.1'), '');
    files.giveBack(join(dir, 'a.1'));
    const [spare] = readdirSync(dir);
    writeFileSync(join(dir, spare!), 'LATE=1\n');
    expect(files.take(join(dir, 'b.1'))).toBe(true);
    expect(readFileSync(join(dir, 'b.1'), 'utf8')).toBe('');
  });

  it('never holds more files than its capacity, and deletes them all when the run ends', async () => {
    const dir = tempDir('outputs-');
    const files = new OutputFiles(2);
    for (let i = 0; i < 10; i++) files.want(join(dir, `s${i}.1`));
    await settled(files, 2);
    expect(readdirSync(dir)).toHaveLength(2);
    expect(files.take(join(dir, 'x.1'))).toBe(true);
    expect(files.take(join(dir, 'y.1'))).toBe(true);
    // Both files are in use: no new spare while they are out.
    files.want(join(dir, 'z.1'));
    await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(dir).sort()).toEqual(['x.1', 'y.1']);
    files.giveBack(join(dir, 'x.1'));
    files.discard();
    expect(readdirSync(dir)).toEqual(['y.1']);
    files.giveBack(join(dir, 'y.1'));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a file the step removed is simply not kept', () => {
    const dir = tempDir('outputs-');
    const files = new OutputFiles(1);
    expect(files.take(join(dir, 'a.1'))).toBe(false);
    files.giveBack(join(dir, 'a.1'));
    expect(readdirSync(dir)).toEqual([]);
    expect(files.take(join(dir, 'b.1'))).toBe(false);
  });
});
