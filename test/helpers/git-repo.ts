/**
 * Real git repositories for end-to-end tests of plans that work on git (plans/safe_merge.json):
 * a bare "remote" and a clone with commits on two branches, all in a fresh temp directory,
 * plus ways to run the built CLI from inside the clone and to see what git looks like
 * afterwards. What the run recorded is read with ./record.ts (a Repos is a StateSource).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { engineIn, type EngineProcess } from './cli.js';
import { makeTempDir, removeDir } from './temp-dirs.js';

/** plans/safe_merge.json of this repository (absolute). */
export const SAFE_MERGE_PLAN = fileURLToPath(new URL('../../plans/safe_merge.json', import.meta.url));

/** Environment for git commands run by the tests: no user/system config can change them. */
const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

/** Runs git in `cwd`; returns stdout without the trailing newline. Throws when git fails. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(
    /\n$/,
    '',
  );
}

/** `git rev-parse --verify -q <ref>` in `cwd`, or null when the ref does not exist. */
export function revOrNull(cwd: string, ref: string): string | null {
  try {
    return git(cwd, 'rev-parse', '--verify', '-q', ref);
  } catch {
    return null;
  }
}

/** What {@link makeRepos} made: paths, and the commits of its history. */
export interface Repos {
  /** Temp directory holding everything below (and nothing else the engine writes into). */
  root: string;
  /** The bare remote (`<root>/remote.git`), or null for a repository without `origin`. */
  remote: string | null;
  /** The user's clone, checked out on `feature`. The engine runs here. */
  clone: string;
  /** `<root>/state`: outside the clone, passed as --state-dir. */
  stateDir: string;
  /** Commits: the common base, main's tip and feature's tip at set-up. */
  base: string;
  main: string;
  feature: string;
  /** The path both branches change when set up with `conflict: true`. */
  conflictPath: string;
}

/** How {@link makeRepos} sets the repositories up. */
export interface RepoOptions {
  /** Give the clone an `origin` (a bare repository that has main). Default true. */
  remote?: boolean;
  /** Make both branches change the same line of `shared.txt`. Default false. */
  conflict?: boolean;
}

function commitFile(repo: string, file: string, content: string, message: string): string {
  writeFileSync(join(repo, file), content);
  git(repo, 'add', file);
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

function configureIdentity(repo: string): void {
  git(repo, 'config', 'user.name', 'Safe Merge Test');
  git(repo, 'config', 'user.email', 'safe-merge-test@example.com');
  git(repo, 'config', 'commit.gpgsign', 'false');
}

/**
 * A remote (bare, main) and a clone. History: base (shared.txt) → main adds main.txt;
 * base → feature adds feature-only.txt. With `conflict`, both also change line 1 of
 * shared.txt. main is pushed; feature is checked out in the clone (and not pushed).
 */
export function makeRepos(opts: RepoOptions = {}): Repos {
  const withRemote = opts.remote ?? true;
  const root = makeTempDir('engine-safe-merge-');
  const clone = join(root, 'clone');
  const remote = withRemote ? join(root, 'remote.git') : null;
  if (remote) git(root, 'init', '-q', '--bare', '-b', 'main', remote);
  git(root, 'init', '-q', '-b', 'main', clone);
  configureIdentity(clone);
  const conflictPath = 'shared.txt';
  const base = commitFile(clone, conflictPath, 'line one\nline two\n', 'base');
  git(clone, 'checkout', '-q', '-b', 'feature');
  if (opts.conflict) commitFile(clone, conflictPath, 'line one (feature)\nline two\n', 'feature changes shared');
  const feature = commitFile(clone, 'feature-only.txt', 'feature\n', 'feature work');
  git(clone, 'checkout', '-q', 'main');
  if (opts.conflict) commitFile(clone, conflictPath, 'line one (main)\nline two\n', 'main changes shared');
  const main = commitFile(clone, 'main.txt', 'main\n', 'main work');
  if (remote) {
    git(clone, 'remote', 'add', 'origin', remote);
    git(clone, 'push', '-q', 'origin', 'main');
    git(clone, 'fetch', '-q', 'origin');
  }
  git(clone, 'checkout', '-q', 'feature');
  return { root, remote, clone, stateDir: join(root, 'state'), base, main, feature, conflictPath };
}

/** Another clone of the remote pushes a commit to its main; returns that commit. */
export function pushFromOtherClone(repos: Repos, file = 'other.txt'): string {
  if (!repos.remote) throw new Error('no remote');
  const other = join(repos.root, 'other');
  git(repos.root, 'clone', '-q', repos.remote, other);
  configureIdentity(other);
  git(other, 'checkout', '-q', 'main');
  const commit = commitFile(other, file, 'from another clone\n', 'pushed by someone else');
  git(other, 'push', '-q', 'origin', 'main');
  return commit;
}

/**
 * A `makeRepos` for one test file: every repository it makes is removed after the file's
 * tests (call it at the top level of the file).
 */
export function reposForThisFile(): (opts?: RepoOptions) => Repos {
  const made: Repos[] = [];
  afterAll(() => made.forEach(removeRepos));
  return (opts = {}) => {
    const r = makeRepos(opts);
    made.push(r);
    return r;
  };
}

/** Removes everything {@link makeRepos} made (its `root`). Returns nothing. */
export function removeRepos(repos: Repos): void {
  removeDir(repos.root);
}

/** Everything about the repositories a safe merge must not change, or must change as stated. */
export interface GitState {
  /** refs/heads/main of the clone. */
  branch: string;
  /** HEAD commit of the clone. */
  head: string;
  /** `git rev-parse --abbrev-ref HEAD` (the checked-out branch). */
  headRef: string;
  /** `git status --porcelain` (untracked files included). */
  status: string;
  /** The remote's main, or null without a remote. */
  remoteBranch: string | null;
  /** Lines of `git worktree list --porcelain` that start a worktree. */
  worktrees: string[];
}

/** The {@link GitState} of the clone (and remote) now. */
export function gitState(repos: Repos): GitState {
  const c = repos.clone;
  return {
    branch: git(c, 'rev-parse', 'refs/heads/main'),
    head: git(c, 'rev-parse', 'HEAD'),
    headRef: git(c, 'rev-parse', '--abbrev-ref', 'HEAD'),
    status: git(c, 'status', '--porcelain'),
    remoteBranch: repos.remote ? git(repos.root, '--git-dir', repos.remote, 'rev-parse', 'main') : null,
    worktrees: git(c, 'worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree ')),
  };
}

/** Parents of a commit (first parent first). */
export function parents(cwd: string, commit: string): string[] {
  return git(cwd, 'rev-list', '--parents', '-n', '1', commit).split(' ').slice(1);
}

/** `<git-common-dir>/safe-merge.lock`, where safe_merge keeps its lock. */
export function lockDir(repos: Repos): string {
  return join(git(repos.clone, 'rev-parse', '--path-format=absolute', '--git-common-dir'), 'safe-merge.lock');
}

/** Creates the lock directory as another run would, with an owner file; returns the lock directory's path. */
export function holdLock(repos: Repos, owner: { runId: string; pid?: number; host?: string }): string {
  const dir = lockDir(repos);
  execFileSync('mkdir', [dir]);
  writeFileSync(
    join(dir, 'owner'),
    `run_id=${owner.runId}\npid=${owner.pid ?? process.pid}\nhost=${owner.host ?? hostname()}\nsince=2025-01-01T00:00:00Z\n`,
  );
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Running the engine inside the clone

/**
 * How long (ms) safe-merge tests wait for a run to reach a point: its git steps, hooks and
 * retries are slower than most steps.
 */
export const SAFE_MERGE_WAIT_MS = 20_000;

/**
 * Runs `engine run plans/safe_merge.json --var K=V… --state-dir <stateDir>` with the clone as
 * its working directory, as a user would from inside the repository. `stateDir: null` leaves
 * the option out (the engine then uses ./state inside the clone).
 * @returns the engine process; await it for the result (never rejects on exit codes).
 */
export function runSafeMerge(
  repos: Repos,
  vars: Record<string, string> = { BRANCH: 'main' },
  opts: { stateDir?: string | null; env?: NodeJS.ProcessEnv; extraArgs?: string[] } = {},
): EngineProcess {
  const stateDir = opts.stateDir === undefined ? repos.stateDir : opts.stateDir;
  const args = ['run', SAFE_MERGE_PLAN, ...Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}=${v}`])];
  if (stateDir !== null) args.push('--state-dir', stateDir);
  args.push(...(opts.extraArgs ?? []));
  return engineInClone(repos, args, opts.env);
}

/**
 * Runs `engine <args>` with the clone as working directory, in the environment of git
 * commands (GIT_ENV above) plus `extraEnv`, without ENGINE_STATE_DIR.
 * @returns the engine process (see ./cli.ts `engineIn`).
 */
export function engineInClone(repos: Repos, args: string[], extraEnv: NodeJS.ProcessEnv = {}): EngineProcess {
  const env: NodeJS.ProcessEnv = { ...GIT_ENV, NO_COLOR: '1', ...extraEnv };
  delete env.ENGINE_STATE_DIR;
  return engineIn(repos.clone, args, { env, extendEnv: false });
}
