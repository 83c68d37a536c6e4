/**
 * plans/safe_merge.json resumed after a failed check: the resumed run takes the lock again and
 * makes a new worktree (their cleanup steps had undone them), then merges and publishes.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { engineInClone, git, lockDir, parents, reposForThisFile, runSafeMerge } from '../helpers/git-repo.js';
import { onlyRunId, runRecord } from '../helpers/record.js';

const repos = reposForThisFile();

describe('engine resume of a safe merge whose check failed', () => {
  it('takes the lock again, merges, publishes, and releases the lock', async () => {
    const r = repos();
    const failed = await runSafeMerge(r, { BRANCH: 'main', CHECK_CMD: 'exit 3' });
    expect(failed.exitCode, failed.all).toBe(1);
    const runId = onlyRunId(r.stateDir);
    expect(git(r.clone, 'rev-parse', 'main')).toBe(r.main);

    const resumed = await engineInClone(r, ['resume', runId, '--var', 'CHECK_CMD=true', '--state-dir', r.stateDir]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    const merge = git(r.clone, 'rev-parse', 'main');
    expect(parents(r.clone, merge)).toEqual([r.main, r.feature]);
    expect(existsSync(lockDir(r))).toBe(false);
    const rec = runRecord(r.stateDir, runId);
    expect(rec.status).toBe('succeeded');
    expect(rec.steps.lock?.attempts).toBe(2);
    expect(rec.steps.check_branches?.attempts).toBe(1);
  });
});
