/**
 * plans/safe_merge.json end to end with time in play: Ctrl-C (SIGINT to the engine process)
 * while CHECK_CMD runs, and a remote that is unreachable for a while (fetch is retried after
 * 2 s, 4 s, 8 s).
 */
import { chmodSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { git, gitState, lockDir, parents, reposForThisFile, runSafeMerge, SAFE_MERGE_WAIT_MS, type GitState, type Repos } from '../helpers/git-repo.js';
import { isProcessGone, processesIn, waitFor } from '../helpers/processes.js';
import { eventsOf, readEvents, runIds, runRecord, type EngineEvent } from '../helpers/record.js';
import type { StepStartedEvent } from '../../src/engine/events.js';

type Result = Awaited<ReturnType<typeof runSafeMerge>>;

const repos = reposForThisFile();

describe('Ctrl-C while CHECK_CMD runs', () => {
  let r: Repos;
  let before: GitState;
  let result: Result;
  let runId: string;
  let verifyStarted: StepStartedEvent;
  let worktree: string;
  let msFromSignalToExit: number;

  beforeAll(async () => {
    r = repos();
    before = gitState(r);
    const proc = runSafeMerge(r, { BRANCH: 'main', CHECK_CMD: 'sleep 30' });
    try {
      runId = await waitFor(() => runIds(r.stateDir)[0], 'the run to start', { timeoutMs: SAFE_MERGE_WAIT_MS });
      verifyStarted = await waitFor(
        () => eventsOf(readEvents(r.stateDir, runId), 'step_started', 'verify')[0],
        'the verify step to start',
        { timeoutMs: SAFE_MERGE_WAIT_MS },
      );
      worktree = join(r.stateDir, 'runs', runId, 'worktree');
    } finally {
      proc.kill('SIGINT');
    }
    const t0 = Date.now();
    result = await proc;
    msFromSignalToExit = Date.now() - t0;
  });

  it('exits 130 soon after the signal and records the run as cancelled', () => {
    expect(result.exitCode, result.all).toBe(130);
    expect(msFromSignalToExit).toBeLessThan(15_000);
    const rec = runRecord(r.stateDir, runId);
    expect(rec).toMatchObject({ status: 'cancelled', exitCode: 130 });
    expect(rec.steps.verify).toMatchObject({ status: 'cancelled', reason: 'run_cancelled' });
  });

  it('publishes nothing: main and the remote are unchanged, push and publish never ran', () => {
    const after = gitState(r);
    expect(after.branch).toBe(before.branch);
    expect(after.remoteBranch).toBe(before.remoteBranch);
    const rec = runRecord(r.stateDir, runId);
    expect(rec.steps.push).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(rec.steps.publish).toMatchObject({ status: 'cancelled', attempts: 0 });
  });

  it("leaves the user's checkout as it was", () => {
    const after = gitState(r);
    expect(after.headRef).toBe(before.headRef);
    expect(after.head).toBe(before.head);
    expect(after.status).toBe('');
  });

  it('still runs the cleanup: the lock is released and the worktree removed', () => {
    const rec = runRecord(r.stateDir, runId);
    expect(rec.steps.remove_worktree?.status).toBe('succeeded');
    expect(rec.steps.release_lock?.status).toBe('succeeded');
    expect(existsSync(lockDir(r))).toBe(false);
    expect(existsSync(worktree)).toBe(false);
    expect(gitState(r).worktrees).toEqual([`worktree ${r.clone}`]);
  });

  it("leaves no process of the check running (the step's pid, and nothing in the worktree)", async () => {
    const pid = verifyStarted.pid as number;
    expect(typeof pid).toBe('number');
    expect(await waitFor(() => isProcessGone(pid), `pid ${pid} to be gone`, { timeoutMs: 5000 })).toBe(true);
    expect(processesIn(worktree)).toEqual([]);
  });
});

describe('Ctrl-C while the temporary worktree is being created', () => {
  let r: Repos;
  let result: Result;
  let runId: string;
  let events: EngineEvent[];

  beforeAll(async () => {
    r = repos();
    // A slow post-checkout hook (as with Git LFS) keeps `git worktree add` busy for a while.
    // Hooks live in the common git dir, so it runs for the temporary worktree too.
    const marker = join(r.root, 'hook-running');
    const hook = join(git(r.clone, 'rev-parse', '--path-format=absolute', '--git-common-dir'), 'hooks', 'post-checkout');
    writeFileSync(hook, `#!/bin/sh\ncase "$PWD" in */worktree) touch '${marker}'; sleep 5;; esac\nexit 0\n`);
    chmodSync(hook, 0o755);
    const proc = runSafeMerge(r, { BRANCH: 'main' });
    try {
      runId = await waitFor(() => runIds(r.stateDir)[0], 'the run to start', { timeoutMs: SAFE_MERGE_WAIT_MS });
      await waitFor(() => existsSync(marker), 'the worktree step to be in its post-checkout hook', { timeoutMs: SAFE_MERGE_WAIT_MS });
    } finally {
      proc.kill('SIGINT');
    }
    result = await proc;
    events = readEvents(r.stateDir, runId);
  });

  it('exits 130, leaves no worktree behind and releases the lock', () => {
    expect(result.exitCode, result.all).toBe(130);
    expect(gitState(r).worktrees).toEqual([`worktree ${r.clone}`]);
    expect(existsSync(join(r.stateDir, 'runs', runId, 'worktree'))).toBe(false);
    expect(existsSync(lockDir(r))).toBe(false);
  });

  it('starts the cleanup steps only after the worktree step has ended', () => {
    const seqOf = (type: EngineEvent['type'], step: string) => eventsOf(events, type, step)[0]?.seq;
    const worktreeEnded = seqOf('step_cancelled', 'worktree') ?? seqOf('step_succeeded', 'worktree');
    expect(worktreeEnded).toBeDefined();
    expect(seqOf('step_started', 'remove_worktree')).toBeGreaterThan(worktreeEnded!);
    expect(seqOf('step_started', 'release_lock')).toBeGreaterThan(worktreeEnded!);
  });
});

describe('a remote that is unreachable for a while', () => {
  let r: Repos;
  let result: Result;
  let runId: string;
  let events: EngineEvent[];

  beforeAll(async () => {
    r = repos();
    const away = `${r.remote}.away`;
    renameSync(r.remote!, away);
    const proc = runSafeMerge(r, { BRANCH: 'main' });
    try {
      runId = await waitFor(() => runIds(r.stateDir)[0], 'the run to start', { timeoutMs: SAFE_MERGE_WAIT_MS });
      // The first fetch has failed and a retry is scheduled 2 s later: bring the remote back.
      await waitFor(
        () => readEvents(r.stateDir, runId).some((e) => e.type === 'step_retrying' && e.step_id === 'fetch'),
        'fetch to be retried',
        { timeoutMs: SAFE_MERGE_WAIT_MS },
      );
    } finally {
      renameSync(away, r.remote!);
    }
    result = await proc;
    events = readEvents(r.stateDir, runId);
  });

  it('retries fetch after 2 s (step_retrying) and the run then succeeds', () => {
    expect(result.exitCode, result.all).toBe(0);
    const retrying = events.filter((e) => e.type === 'step_retrying' && e.step_id === 'fetch');
    expect(retrying[0]).toMatchObject({ attempt: 2, delay_ms: 2000, reason: 'exit_code' });
    const failed = events.filter((e) => e.type === 'step_failed' && e.step_id === 'fetch');
    expect(failed[0]).toMatchObject({ attempt: 1, will_retry: true });
  });

  it('records more than one fetch attempt in runs.db, the last one succeeded', () => {
    const rec = runRecord(r.stateDir, runId);
    expect(rec.status).toBe('succeeded');
    expect(rec.steps.fetch?.status).toBe('succeeded');
    expect(rec.steps.fetch?.attempts).toBeGreaterThan(1);
  });

  it('merges and pushes once the remote is back', () => {
    const after = gitState(r);
    expect(parents(r.clone, after.branch)).toEqual([r.main, r.feature]);
    expect(after.remoteBranch).toBe(after.branch);
    expect(existsSync(lockDir(r))).toBe(false);
  });
});
