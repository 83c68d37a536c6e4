/**
 * plans/safe_merge.json end to end: the per-repository lock (`<git-common-dir>/safe-merge.lock`).
 * A second run fails fast naming the holder and never removes a lock it does not hold;
 * BREAK_LOCK=true removes a stale one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitState, holdLock, lockDir, parents, runSafeMerge, reposForThisFile, SAFE_MERGE_WAIT_MS } from '../helpers/git-repo.js';
import { isProcessGone, waitFor } from '../helpers/processes.js';
import { onlyRunId, readEvents, runIds, runRecord, stepStatuses } from '../helpers/record.js';

const repos = reposForThisFile();

/** A pid that certainly belongs to no process: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const { execa } = await import('execa');
  const p = execa('true');
  await p;
  return p.pid!;
}

describe('a lock held by another run', () => {
  it('makes the run fail fast (exit 1) naming the holder, and leaves the lock in place', async () => {
    const r = repos();
    const before = gitState(r);
    const lock = holdLock(r, { runId: 'other-run' });
    const owner = readFileSync(join(lock, 'owner'), 'utf8');
    const t0 = Date.now();
    const result = await runSafeMerge(r, { BRANCH: 'main' });
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(result.exitCode, result.all).toBe(1);
    expect(result.all).toContain('other-run');
    const rec = runRecord(r.stateDir, onlyRunId(r.stateDir));
    expect(rec.status).toBe('failed');
    expect(rec.steps.lock?.status).toBe('failed');
    expect(stepStatuses(rec)).toMatchObject({ fetch: 'cancelled', merge: 'cancelled', release_lock: 'succeeded' });
    // The other run's lock is untouched.
    expect(existsSync(lock)).toBe(true);
    expect(readFileSync(join(lock, 'owner'), 'utf8')).toBe(owner);
    expect(gitState(r)).toEqual(before);
  });

  it('is reported as stale when its engine process is gone on this host', async () => {
    const r = repos();
    holdLock(r, { runId: 'dead-run', pid: await deadPid() });
    const result = await runSafeMerge(r, { BRANCH: 'main' });
    expect(result.exitCode, result.all).toBe(1);
    expect(result.all).toContain('dead-run');
    expect(result.all).toMatch(/stale/);
    expect(result.all).toContain('BREAK_LOCK=true');
  });

  it('is not broken by BREAK_LOCK=true while its holder is alive on this host', async () => {
    const r = repos();
    const lock = holdLock(r, { runId: 'live-run', pid: process.pid });
    const result = await runSafeMerge(r, { BRANCH: 'main', BREAK_LOCK: 'true' });
    expect(result.exitCode, result.all).toBe(1);
    expect(result.all).toContain('holder is alive');
    expect(readFileSync(join(lock, 'owner'), 'utf8')).toContain('run_id=live-run');
  });

  it('is broken by BREAK_LOCK=true, and the merge then succeeds and releases its own lock', async () => {
    const r = repos();
    holdLock(r, { runId: 'other-run', pid: await deadPid() });
    const result = await runSafeMerge(r, { BRANCH: 'main', BREAK_LOCK: 'true' });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/lock/);
    const state = gitState(r);
    expect(parents(r.clone, state.branch)).toEqual([r.main, r.feature]);
    expect(state.remoteBranch).toBe(state.branch);
    expect(existsSync(lockDir(r))).toBe(false);
  });
});

describe('two safe merges of one repository at the same time', () => {
  it('the second fails fast naming the first run, which keeps its lock and can still finish', async () => {
    const r = repos();
    const stateA = join(r.root, 'state-a');
    const stateB = join(r.root, 'state-b');
    const a = runSafeMerge(r, { BRANCH: 'main', CHECK_CMD: 'sleep 30' }, { stateDir: stateA });
    try {
      const runA = await waitFor(() => runIds(stateA)[0], 'run A to start', { timeoutMs: SAFE_MERGE_WAIT_MS });
      await waitFor(
        () => readEvents(stateA, runA).some((e) => e.type === 'step_started' && e.step_id === 'verify'),
        'run A to reach verify',
        { timeoutMs: SAFE_MERGE_WAIT_MS },
      );
      const lock = lockDir(r);
      const ownerA = readFileSync(join(lock, 'owner'), 'utf8');
      expect(ownerA).toContain(`run_id=${runA}\n`);
      expect(ownerA).toContain(`pid=${a.pid}\n`); // the engine's pid, which the stale check tests

      const b = await runSafeMerge(r, { BRANCH: 'main' }, { stateDir: stateB });
      expect(b.exitCode, b.all).toBe(1);
      expect(b.all).toContain(runA);
      const recB = runRecord(stateB, onlyRunId(stateB));
      expect(recB.steps.lock?.status).toBe('failed');
      expect(recB.steps.release_lock?.status).toBe('succeeded');
      // A's lock and A's worktree survive B's cleanup steps.
      expect(readFileSync(join(lock, 'owner'), 'utf8')).toContain(`run_id=${runA}`);
      expect(existsSync(join(stateA, 'runs', runA, 'worktree'))).toBe(true);
    } finally {
      if (a.pid !== undefined && !isProcessGone(a.pid)) a.kill('SIGINT');
    }
    const resA = await a;
    expect(resA.exitCode, resA.all).toBe(130);
    expect(existsSync(lockDir(r))).toBe(false);
  });
});
