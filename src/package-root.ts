/**
 * Files that ship with the engine (package.json, schemas/, the native launcher in build/) are
 * found from the package root, not from a module's own location: the same module runs from
 * src/ (tests), dist/<dir>/ (tsc output) and dist/chunks/ (the bundled CLI).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * Absolute path of the engine's package root: the nearest directory above this module that
 * holds a package.json.
 * @throws Error when there is none (a broken install).
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`engine: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** `packageRoot()` joined with `parts`, e.g. `packagePath('schemas', 'plan.schema.json')`. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
