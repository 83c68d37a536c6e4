/**
 * The `child_process` launcher (see launch.ts): node:child_process.spawn, detached (setsid),
 * stdio ['ignore', outFd, outFd]. The fallback where the native launcher is not built.
 */
import { spawn } from 'node:child_process';
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
};
