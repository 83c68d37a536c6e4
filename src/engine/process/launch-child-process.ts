/**
 * The `child_process` launcher (see launch.ts): node:child_process.spawn, detached (setsid),
 * stdio ['ignore', outFd, outFd]. The fallback where the native launcher is not built.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Launcher } from './launch.js';

export const childProcessLauncher: Launcher = {
  name: 'child_process',
  launch(req, onExit, onError) {
    const child = spawn(req.file, req.args as string[], {
      cwd: req.cwd,
      env: req.env,
      detached: true,
      stdio: ['ignore', req.outFd, req.outFd],
    });
    child.once('error', onError);
    child.once('exit', onExit);
    return child.pid ?? null;
  },
  // Node has no pipe(2): a FIFO made with mkfifo(1), opened at both ends (the reader first,
  // non-blocking, so that opening the writer does not wait) and unlinked at once. Only
  // attempts whose output is redacted need it, and only where the native launcher is not built.
  pipe() {
    const dir = mkdtempSync(join(tmpdir(), 'engine-pipe-'));
    try {
      const path = join(dir, 'fifo');
      execFileSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' });
      const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        return [readFd, openSync(path, constants.O_WRONLY)];
      } catch (err) {
        closeSync(readFd);
        throw err;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
