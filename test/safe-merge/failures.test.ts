/**
 * plans/safe_merge.json end to end, the ways it refuses or fails: conflicts, a failing
 * CHECK_CMD, preflight failures and bad variables. In every case nothing is published and the
 * user's repository is exactly as before.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { git, gitState, lockDir, revOrNull, runSafeMerge, type GitState, type Repos, reposForThisFile } from '../helpers/git-repo.js';
import { onlyRunId, readLog, runIds, runRecord, stepStatuses } from '../helpers/record.js';

type Result = Awaited<ReturnType<typeof runSafeMerge>>;

const repos = reposForThisFile();

/** Step statuses of a run that failed in preflight: nothing after it ran but the cleanup. */
const PREFLIGHT_FAILURE_SHAPE = {
  lock: 'cancelled',
  fetch: 'cancelled',
  backup: 'cancelled',
  worktree: 'cancelled',
  sync_remote: 'cancelled',
  merge: 'cancelled',
  verify: 'cancelled',
  push: 'cancelled',
  publish: 'cancelled',
  remove_worktree: 'succeeded',
  release_lock: 'succeeded',
};

describe('a merge whose branches conflict', () => {
  let r: Repos;
  let before: GitState;
  let result: Result;
  let runId: string;
  let after: GitState;

  beforeAll(async () => {
    r = repos({ conflict: true });
    before = gitState(r);
    result = await runSafeMerge(r, { BRANCH: 'main' });
    runId = onlyRunId(r.stateDir);
    after = gitState(r);
  });

  it('exits 1 and records the run as failed, with the merge step failed', () => {
    expect(result.exitCode, result.all).toBe(1);
    const rec = runRecord(r.stateDir, runId);
    expect(rec.status).toBe('failed');
    expect(rec.steps.merge?.status).toBe('failed');
  });

  it('names the conflicting path in its console output', () => {
    expect(result.all).toContain(r.conflictPath);
    expect(result.all).toMatch(/CONFLICT/);
  });

  it('leaves main and the remote where they were', () => {
    expect(after.branch).toBe(r.main);
    expect(after.remoteBranch).toBe(r.main);
  });

  it("leaves the user's branch, HEAD and work tree exactly as before", () => {
    expect(after.headRef).toBe(before.headRef);
    expect(after.head).toBe(before.head);
    expect(after.status).toBe('');
  });

  it('releases the lock and removes the temporary worktree', () => {
    expect(existsSync(lockDir(r))).toBe(false);
    expect(after.worktrees).toEqual([`worktree ${r.clone}`]);
  });
});

describe('a merge whose CHECK_CMD fails', () => {
  let r: Repos;
  let result: Result;
  let runId: string;
  let after: GitState;

  beforeAll(async () => {
    r = repos();
    result = await runSafeMerge(r, { BRANCH: 'main', CHECK_CMD: 'echo checking; exit 3' });
    runId = onlyRunId(r.stateDir);
    after = gitState(r);
  });

  it('exits 1 with the verify step failed and push and publish never run', () => {
    expect(result.exitCode, result.all).toBe(1);
    const rec = runRecord(r.stateDir, runId);
    expect(rec.status).toBe('failed');
    expect(rec.steps.verify).toMatchObject({ status: 'failed', attempts: 1 });
    expect(rec.steps.push?.attempts).toBe(0);
    expect(rec.steps.publish?.attempts).toBe(0);
  });

  it('publishes nothing: main and the remote are unchanged', () => {
    expect(after.branch).toBe(r.main);
    expect(after.remoteBranch).toBe(r.main);
  });

  it('releases the lock and removes the temporary worktree', () => {
    expect(existsSync(lockDir(r))).toBe(false);
    expect(after.worktrees).toEqual([`worktree ${r.clone}`]);
  });

  it("keeps the check's output in the verify step's log file", () => {
    expect(readLog(r.stateDir, 'verify', 1, runId)).toContain('checking');
  });
});

describe('preflight refusals', () => {
  it('a dirty work tree fails in preflight: only preflight and cleanup steps run, main is unchanged', async () => {
    const r = repos();
    writeFileSync(join(r.clone, r.conflictPath), 'uncommitted edit\n');
    const result = await runSafeMerge(r, { BRANCH: 'main' });
    expect(result.exitCode, result.all).toBe(1);
    const runId = onlyRunId(r.stateDir);
    const rec = runRecord(r.stateDir, runId);
    expect(rec.status).toBe('failed');
    expect(stepStatuses(rec)).toEqual({
      is_work_tree: 'succeeded',
      check_branches: 'succeeded',
      check_work_tree: 'failed',
      ...PREFLIGHT_FAILURE_SHAPE,
    });
    expect(readLog(r.stateDir, 'check_work_tree', 1, runId)).toContain('uncommitted changes');
    expect(git(r.clone, 'rev-parse', 'refs/heads/main')).toBe(r.main);
    expect(git(r.clone, 'status', '--porcelain')).toBe(` M ${r.conflictPath}`);
    expect(revOrNull(r.clone, `refs/safe-merge/backup/${runId}/branch`)).toBeNull();
    expect(existsSync(lockDir(r))).toBe(false);
  });

  it('an unknown BRANCH fails in preflight: only preflight and cleanup steps run, nothing changes', async () => {
    const r = repos();
    const before = gitState(r);
    const result = await runSafeMerge(r, { BRANCH: 'no-such-branch' });
    expect(result.exitCode, result.all).toBe(1);
    const runId = onlyRunId(r.stateDir);
    const rec = runRecord(r.stateDir, runId);
    expect(stepStatuses(rec)).toEqual({
      is_work_tree: 'succeeded',
      check_branches: 'failed',
      check_work_tree: 'succeeded',
      ...PREFLIGHT_FAILURE_SHAPE,
    });
    expect(readLog(r.stateDir, 'check_branches', 1, runId)).toContain("branch 'no-such-branch' does not exist");
    expect(gitState(r)).toEqual(before);
  });

  it('merging main into itself (main checked out, BRANCH=main) fails in preflight', async () => {
    const r = repos();
    git(r.clone, 'checkout', '-q', 'main');
    const before = gitState(r);
    const result = await runSafeMerge(r, { BRANCH: 'main' });
    expect(result.exitCode, result.all).toBe(1);
    const runId = onlyRunId(r.stateDir);
    const rec = runRecord(r.stateDir, runId);
    expect(rec.steps.check_branches?.status).toBe('failed');
    expect(stepStatuses(rec)).toMatchObject(PREFLIGHT_FAILURE_SHAPE);
    expect(readLog(r.stateDir, 'check_branches', 1, runId)).toContain("SOURCE is 'main' itself");
    expect(gitState(r)).toEqual(before);
  });
});

describe('bad variables', () => {
  it('a run without BRANCH exits 2 naming BRANCH and records no run', async () => {
    const r = repos();
    const before = gitState(r);
    const result = await runSafeMerge(r, {});
    expect(result.exitCode, result.all).toBe(2);
    expect(result.all).toMatch(/required variable "BRANCH" has no value/);
    expect(runIds(r.stateDir)).toEqual([]);
    expect(gitState(r)).toEqual(before);
  });

  it("BRANCH='main; rm -rf /' fails the variable's pattern with exit 2 and runs nothing", async () => {
    const r = repos();
    const before = gitState(r);
    const result = await runSafeMerge(r, { BRANCH: 'main; rm -rf /' });
    expect(result.exitCode, result.all).toBe(2);
    expect(result.all).toMatch(/variable "BRANCH" .*does not match its pattern/);
    expect(runIds(r.stateDir)).toEqual([]);
    expect(existsSync(r.stateDir)).toBe(false);
    expect(gitState(r)).toEqual(before);
  });
});
