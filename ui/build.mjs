#!/usr/bin/env node
/**
 * Builds the dashboard's page into dist/ui/ (run by `npm run build`, so by `npm ci`): ui/src
 * bundled with esbuild into app.js and app.css (Preact, elkjs's API, ansi_up and TanStack
 * Virtual included), index.html, and elkjs's layout worker copied as elk-worker.js. The
 * engine serves exactly these files (src/ui/routes/assets.ts); the page loads nothing else.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, 'dist', 'ui');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: { app: 'ui/src/main.tsx' },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outdir: out,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(join(root, 'ui', 'index.html'), join(out, 'index.html'));
const require = createRequire(import.meta.url);
copyFileSync(require.resolve('elkjs/lib/elk-worker.min.js'), join(out, 'elk-worker.js'));
