/**
 * Runs the built CLI (dist/cli.js, built by `npm test` before vitest starts) as a user would,
 * in a temporary working directory with its own state directory.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface Workspace {
  /** Temporary directory: the CLI's working directory. */
  dir: string;
  /** `<dir>/state`, passed as --state-dir. */
  stateDir: string;
  /** Writes `plan` (an object, or raw text) as `<dir>/<name>` and returns its path. */
  writePlan(plan: unknown, name?: string): string;
  /** Runs `engine <args...> --state-dir <stateDir>` (for run) and waits; never throws on exit codes. */
  engine(args: string[], opts?: { env?: NodeJS.ProcessEnv }): ResultPromise<{ reject: false; all: true }>;
}

export function workspace(prefix = 'engine-test-'): Workspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const stateDir = join(dir, 'state');
  return {
    dir,
    stateDir,
    writePlan(plan, name = 'plan.json') {
      const path = join(dir, name);
      writeFileSync(path, typeof plan === 'string' ? plan : JSON.stringify(plan, null, 2));
      return path;
    },
    engine(args, opts = {}) {
      const withState = args[0] === 'run' ? [...args, '--state-dir', stateDir] : args;
      return execa('node', [CLI, ...withState], {
        cwd: dir,
        reject: false,
        all: true,
        env: { NO_COLOR: '1', ...opts.env },
      });
    },
  };
}

/** A minimal valid plan around the given steps. */
export function plan(steps: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { plan_id: 'test', version: '1', steps, ...extra };
}
