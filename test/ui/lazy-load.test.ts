/**
 * `engine --version` and `engine run` load none of the dashboard: in the bundle (dist/cli.js
 * and dist/chunks/, scripts/bundle.mjs), the dashboard's modules are only reachable through the
 * `ui` command's dynamic import. Checked on the built files' static imports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

/** The files `entry` loads before running: itself and its static imports, transitively. */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s*"(\.{1,2}\/[^"]+)";?$|^import\s*"(\.{1,2}\/[^"]+)";?$/gm)) {
      visit(join(dirname(file), (m[1] ?? m[2])!));
    }
  };
  visit(entry);
  return seen;
}

/** The source modules (`// src/…` markers esbuild writes) bundled into these files. */
function sourcesIn(files: Iterable<string>): string[] {
  return [...files].flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/^\/\/ (src\/\S+)$/gm)].map((m) => m[1]!));
}

function chunk(prefix: string): string {
  const name = readdirSync(join(DIST, 'chunks')).find((f) => f.startsWith(`${prefix}-`) && f.endsWith('.js'));
  if (name === undefined) throw new Error(`no dist/chunks/${prefix}-*.js: is dist/ built?`);
  return join(DIST, 'chunks', name);
}

describe('the bundle', () => {
  it('loads no dashboard module for engine --version', () => {
    const sources = sourcesIn(staticClosure(join(DIST, 'cli.js')));
    expect(sources.filter((s) => s.startsWith('src/ui/'))).toEqual([]);
  });

  it('loads no dashboard module for engine run', () => {
    const sources = sourcesIn(staticClosure(chunk('run')));
    expect(sources).toContain('src/commands/run.ts');
    expect(sources.filter((s) => s.startsWith('src/ui/'))).toEqual([]);
  });

  it('loads the dashboard for engine ui', () => {
    expect(sourcesIn(staticClosure(chunk('ui-command')))).toContain('src/ui/server.ts');
  });
});
