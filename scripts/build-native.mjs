#!/usr/bin/env node
/**
 * Builds the native launcher, native/posix_spawn.c -> build/Release/engine_spawn.node, with
 * node-gyp. Run by `npm install`/`npm ci` (the package's `install` script) and by
 * `npm run build:native`.
 *
 * It never fails the install: without Linux, a C compiler, or Node's headers, it prints one
 * warning and the engine spawns steps with node:child_process instead (same behaviour, about
 * 1 ms more per step; docs/PERFORMANCE.md). Exit code: always 0, unless `--strict` is given.
 *
 * node-gyp: the one npm runs scripts with (`npm_config_node_gyp`), else the one bundled with
 * npm next to this Node. Headers: npm's `nodedir` setting when set, else this Node's own
 * include/node directory when it has one, else node-gyp's default (a download).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const strict = process.argv.includes('--strict');

function giveUp(why, output = '') {
  const tail = output.trim().split('\n').slice(-15).join('\n');
  console.warn(`engine: native launcher not built: ${why}`);
  if (tail) console.warn(tail);
  console.warn('engine: steps will be spawned with node:child_process (slower per step; set-up in README.md)');
  process.exit(strict ? 1 : 0);
}

if (process.platform !== 'linux') giveUp(`it is Linux-only (this is ${process.platform})`);

const prefix = dirname(dirname(process.execPath));
const nodeGyp = [
  process.env.npm_config_node_gyp,
  join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].find((p) => p && existsSync(p));
if (!nodeGyp) giveUp('node-gyp not found (it comes with npm)');

const args = [nodeGyp, 'rebuild', '--loglevel=error'];
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const build = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
const output = `${build.stdout ?? ''}${build.stderr ?? ''}`;
if (build.error) giveUp(build.error.message);
if (build.status !== 0) giveUp(`node-gyp exited with ${build.status ?? build.signal}`, output);

const check = spawnSync(
  process.execPath,
  ['-e', 'const m = require(process.argv[1]); if (!m.available) { console.log(m.unavailableReason); process.exit(1); }', join(root, 'build', 'Release', 'engine_spawn.node')],
  { encoding: 'utf8' },
);
if (check.status !== 0) giveUp('it does not load here', `${check.stdout}${check.stderr}`);
console.log('engine: native launcher built (posix_spawn + pidfd)');
