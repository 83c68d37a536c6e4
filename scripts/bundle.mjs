#!/usr/bin/env node
/**
 * Bundles the CLI: src/cli.ts and everything it imports -> dist/cli.js plus dist/chunks/, with
 * esbuild. Node 20 spends ~0.5 ms resolving, reading and linking each ES module, and the CLI's
 * `run` graph is ~70 of them (ours, commander's, better-sqlite3's), so the bundle starts ~30 ms
 * faster (measured: `engine run` of one step 167 -> 140 ms, `engine runs` 165 -> 126 ms). Each command stays a dynamically imported chunk, so
 * `engine --version` still loads neither Ajv nor SQLite.
 *
 * better-sqlite3's JavaScript is bundled too (another ~12 CommonJS modules); its compiled module
 * is loaded from node_modules through the `nativeBinding` option (src/state/runs-db.ts). Left
 * out of the bundle, loaded from node_modules at run time: OpenTelemetry (large, and only
 * loaded when enabled), BullMQ and ioredis (only loaded for runs on workers and by
 * `engine worker`), and tinyglobby (required at the first glob of `sources`, fingerprints.ts).
 *
 * tsc still emits every module to dist/ (run first, by `npm run build`): tests start some of
 * them in child processes. This script then replaces dist/cli.js with the bundle.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
rmSync(join(root, 'dist', 'chunks'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  logLevel: 'warning',
  external: ['@opentelemetry/*', 'bullmq', 'ioredis'],
  // commander and better-sqlite3 are CommonJS: their require() calls of Node built-ins need a
  // real require.
  banner: { js: "import { createRequire as __engineCreateRequire } from 'node:module';\nconst require = __engineCreateRequire(import.meta.url);" },
});
