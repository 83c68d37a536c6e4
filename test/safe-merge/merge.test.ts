/**
 * plans/safe_merge.json end to end, the successful paths: the built CLI runs the plan from
 * inside a real clone (a bare remote next to it), and the tests look at git afterwards, at
 * runs.db (read-only) and at events.jsonl.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  git,
  gitState,
  lockDir,
  parents,
  pushFromOtherClone,
  revOrNull,
  runSafeMerge,
  type GitState,
  type Repos,
  reposForThisFile,
} from '../helpers/git-repo.js';
import { eventsOf, onlyRunId, readEvents, readLog, runRecord } from '../helpers/record.js';

type Result = Awaited<ReturnType<typeof runSafeMerge>>;

const repos = reposForThisFile();

describe('a clean merge of the checked-out branch into main, with a remote', () => {
  let r: Repos;
  let before: GitState;
  let result: Result;
  let runId: string;
  let after: GitState;

  beforeAll(async () => {
    r = repos();
    before = gitState(r);
    result = await runSafeMerge(r, { BRANCH: 'main' });
    runId = onlyRunId(r.stateDir);
    after = gitState(r);
  });

  it('exits 0 and records the run as succeeded in runs.db', () => {
    expect(result.exitCode, result.all).toBe(0);
    expect(runRecord(r.stateDir, runId)).toMatchObject({ status: 'succeeded', exitCode: 0 });
  });

  it('moves main to a merge commit whose parents are the old main and the source branch', () => {
    expect(after.branch).not.toBe(r.main);
    expect(parents(r.clone, after.branch)).toEqual([r.main, r.feature]);
    expect(git(r.clone, 'log', '--merges', '--format=%H', 'main')).toBe(after.branch);
    expect(git(r.clone, 'log', '-1', '--format=%s', 'main')).toBe("Merge branch 'feature' into main");
  });

  it("pushes the merge commit to the remote's main", () => {
    expect(after.remoteBranch).toBe(after.branch);
  });

  it("leaves the user's checked-out branch, HEAD and work tree as they were", () => {
    expect(after.headRef).toBe('feature');
    expect(after.head).toBe(before.head);
    expect(after.head).toBe(r.feature);
    expect(after.status).toBe('');
  });

  it('releases the lock', () => {
    expect(existsSync(lockDir(r))).toBe(false);
  });

  it('removes the temporary worktree', () => {
    expect(after.worktrees).toEqual([`worktree ${r.clone}`]);
    expect(existsSync(join(r.stateDir, 'runs', runId, 'worktree'))).toBe(false);
  });

  it('records backup refs of the old main and of the source commit under the run id', () => {
    expect(git(r.clone, 'rev-parse', `refs/safe-merge/backup/${runId}/branch`)).toBe(r.main);
    expect(git(r.clone, 'rev-parse', `refs/safe-merge/backup/${runId}/source`)).toBe(r.feature);
  });

  it('the undo command the backup step prints restores main to its old commit', () => {
    const undo = readLog(r.stateDir, 'backup', 1, runId)
      .split('\n')
      .find((l) => l.startsWith('undo:'));
    expect(undo).toBe(`undo:   git update-ref refs/heads/main refs/safe-merge/backup/${runId}/branch`);
    const [cmd, ...args] = undo!.replace(/^undo:\s+/, '').split(/\s+/);
    expect(cmd).toBe('git');
    git(r.clone, ...args);
    expect(git(r.clone, 'rev-parse', 'refs/heads/main')).toBe(r.main);
  });
});

describe('a merge when the remote is ahead of the local main', () => {
  let r: Repos;
  let pushed: string;
  let result: Result;

  beforeAll(async () => {
    r = repos();
    pushed = pushFromOtherClone(r);
    result = await runSafeMerge(r, { BRANCH: 'main' });
  });

  it("fast-forwards to the remote's main first, so the merge commit's first parent is the remote's commit", () => {
    expect(result.exitCode, result.all).toBe(0);
    const merged = git(r.clone, 'rev-parse', 'refs/heads/main');
    expect(parents(r.clone, merged)).toEqual([pushed, r.feature]);
  });

  it('pushes a merge commit that contains the commit someone else pushed', () => {
    const remoteMain = git(r.root, '--git-dir', r.remote!, 'rev-parse', 'main');
    expect(remoteMain).toBe(git(r.clone, 'rev-parse', 'refs/heads/main'));
    expect(git(r.clone, 'merge-base', '--is-ancestor', pushed, remoteMain)).toBe('');
  });
});

describe('a merge in a repository without a remote', () => {
  let r: Repos;
  let result: Result;
  let runId: string;

  beforeAll(async () => {
    r = repos({ remote: false });
    result = await runSafeMerge(r, { BRANCH: 'main' });
    runId = onlyRunId(r.stateDir);
  });

  it('exits 0 and still merges the source branch into main', () => {
    expect(result.exitCode, result.all).toBe(0);
    expect(parents(r.clone, git(r.clone, 'rev-parse', 'refs/heads/main'))).toEqual([r.main, r.feature]);
    expect(runRecord(r.stateDir, runId).status).toBe('succeeded');
  });

  it('skips fetch, sync_remote and push with reason precondition in the steps table', () => {
    const { steps } = runRecord(r.stateDir, runId);
    for (const id of ['fetch', 'sync_remote', 'push']) {
      expect(steps[id], id).toMatchObject({ status: 'skipped', reason: 'precondition', attempts: 0 });
      expect(steps[id]!.detail, id).toContain('REMOTE exists');
    }
  });

  it('emits step_skipped with reason precondition for the remote steps', () => {
    const skipped = eventsOf(readEvents(r.stateDir, runId), 'step_skipped').filter((e) => e.reason === 'precondition');
    expect(skipped.map((e) => e.step_id).sort()).toEqual(['fetch', 'push', 'sync_remote', 'verify']);
  });

  it('runs backup, merge and publish, which do not need the remote', () => {
    const { steps } = runRecord(r.stateDir, runId);
    for (const id of ['backup', 'worktree', 'merge', 'publish', 'remove_worktree', 'release_lock']) {
      expect(steps[id]?.status, id).toBe('succeeded');
    }
  });
});

describe('a merge with the default state directory (./state inside the repository)', () => {
  let r: Repos;
  let result: Result;

  beforeAll(async () => {
    r = repos();
    result = await runSafeMerge(r, { BRANCH: 'main' }, { stateDir: null });
  });

  it('succeeds and keeps its state under ./state of the clone', () => {
    expect(result.exitCode, result.all).toBe(0);
    expect(onlyRunId(join(r.clone, 'state'))).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]+$/);
  });

  it('leaves git status of the clone empty, untracked files included', () => {
    expect(git(r.clone, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(git(r.clone, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree '))).toEqual([
      `worktree ${r.clone}`,
    ]);
  });
});

describe('a passing CHECK_CMD that inspects the merged tree', () => {
  let r: Repos;
  let result: Result;

  beforeAll(async () => {
    r = repos();
    // feature-only.txt exists only on the source branch: it is there only after the merge.
    result = await runSafeMerge(r, { BRANCH: 'main', CHECK_CMD: 'test -f feature-only.txt && echo merged-tree-ok' });
  });

  it('runs the check in the merged worktree and publishes the merge', () => {
    expect(result.exitCode, result.all).toBe(0);
    const runId = onlyRunId(r.stateDir);
    expect(runRecord(r.stateDir, runId).steps.verify).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(readLog(r.stateDir, 'verify', 1, runId)).toContain('merged-tree-ok');
    const merged = git(r.clone, 'rev-parse', 'refs/heads/main');
    expect(parents(r.clone, merged)).toEqual([r.main, r.feature]);
    expect(git(r.root, '--git-dir', r.remote!, 'rev-parse', 'main')).toBe(merged);
    expect(revOrNull(r.clone, 'refs/heads/main')).toBe(merged);
  });
});
