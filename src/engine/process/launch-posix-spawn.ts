/**
 * The `posix_spawn` launcher (see launch.ts): a thin adapter over the native addon
 * build/Release/engine_spawn.node, whose API native/posix_spawn.c documents.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { packagePath } from '../../package-root.js';
import type { Launcher } from './launch.js';

interface EngineSpawnAddon {
  available: boolean;
  unavailableReason: string;
  spawn(
    file: string,
    args: readonly string[],
    env: string[],
    cwd: string,
    outFd: number,
    onExit: (exitCode: number | null, signal: number | null) => void,
  ): number;
  pipe(): [number, number];
}

/** Signal numbers to names (SIGTERM, ...), for exit reports. */
const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

/** The launcher, or why it cannot be used here (not Linux, not built, kernel without pidfds). */
export function loadPosixSpawnLauncher(): { launcher: Launcher } | { unavailable: string } {
  if (process.platform !== 'linux') return { unavailable: `it is Linux-only (this is ${process.platform})` };
  let addon: EngineSpawnAddon;
  try {
    addon = createRequire(import.meta.url)(packagePath('build', 'Release', 'engine_spawn.node')) as EngineSpawnAddon;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? 'not built' : (err as Error).message;
    return { unavailable: `the native launcher cannot be loaded (${why}; run \`npm run build:native\`)` };
  }
  if (!addon.available) return { unavailable: addon.unavailableReason };
  return {
    launcher: {
      name: 'posix_spawn',
      launch(req, onExit) {
        const env: string[] = [];
        for (const key in req.env) {
          const value = req.env[key];
          if (value !== undefined) env.push(`${key}=${value}`);
        }
        return addon.spawn(req.file, req.args, env, req.cwd, req.outFd, (code, signal) =>
          onExit(code, signal === null ? null : (signalNames.get(signal) ?? (`SIG${signal}` as NodeJS.Signals))),
        );
      },
      pipe: () => addon.pipe(),
    },
  };
}
