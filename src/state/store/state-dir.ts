/**
 * Creates the state directory. It also gets a `.gitignore` of `*` (as pytest and mypy do for
 * their caches), so a state directory inside a git work tree, such as the default `./state`
 * when a plan runs in a repository, never shows up as untracked files there.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function prepareStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  const ignore = join(stateDir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '# Created by engine: run state is not source.\n*\n');
}
