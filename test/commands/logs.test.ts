/**
 * `engine logs RUN [STEP]`: one step's log (latest attempt or --attempt N), every step's logs
 * in topological order, and --follow on live runs, through the built CLI.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, engineQ, plan, runPlanFile, startRun, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { killOrphanedStep } from '../helpers/processes.js';
import { runStatus } from '../helpers/record.js';

const newWorkspace = workspacesForThisFile();

describe('engine logs', () => {
  let ws: Workspace;
  let runId: string;

  beforeAll(async () => {
    ws = newWorkspace('engine-logs-');
    // File order differs from topological order (setup, flaky, report).
    ws.writePlan(
      plan([
        { id: 'report', shell: true, command: 'echo report done', depends_on: ['flaky'] },
        {
          id: 'flaky',
          shell: true,
          command: 'echo "flaky attempt $ENGINE_ATTEMPT"; [ "$ENGINE_ATTEMPT" -ge 3 ]',
          retries: 2,
          depends_on: ['setup'],
        },
        { id: 'setup', shell: true, command: 'echo setting up; printf "no newline at the end"' },
        { id: 'never', command: 'true', depends_on: ['setup'], trigger_rule: 'one_failed' },
      ]),
    );
    runId = await runPlanFile(ws, 'plan.json');
  });

  it("prints a step's latest attempt by default", async () => {
    const r = await engineQ(ws, ['logs', runId, 'flaky']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('flaky attempt 3\n');
  });

  it('prints the attempt given with --attempt', async () => {
    const r = await engineQ(ws, ['logs', runId, 'flaky', '--attempt', '1']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('flaky attempt 1\n');
  });

  it('prints a log as it is, without adding a newline', async () => {
    const r = await engineQ(ws, ['logs', runId, 'setup']);
    expect(r.stdout).toBe('setting up\nno newline at the end');
  });

  it('exits 2 for an attempt the step does not have', async () => {
    const r = await engineQ(ws, ['logs', runId, 'flaky', '--attempt', '4']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('step "flaky" has no attempt 4 (it has attempts 1..3)');
  });

  it('prints every attempt of every step in topological order, each under a header', async () => {
    const r = await engineQ(ws, ['logs', runId]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      [
        '==> setup (attempt 1 of 1, succeeded) <==',
        'setting up',
        'no newline at the end',
        '',
        '==> flaky (attempt 1 of 3, failed) <==',
        'flaky attempt 1',
        '',
        '==> flaky (attempt 2 of 3, failed) <==',
        'flaky attempt 2',
        '',
        '==> flaky (attempt 3 of 3, succeeded) <==',
        'flaky attempt 3',
        '',
        '==> report (attempt 1 of 1, succeeded) <==',
        'report done',
        '',
        '==> never (skipped, never started: no log) <==',
        '',
      ].join('\n'),
    );
  });

  it('says on stderr that a step which never started has no log', async () => {
    const r = await engineQ(ws, ['logs', runId, 'never']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('step "never" has no log: it never started (skipped)');
  });

  it('says that a matrix step runs nothing itself and names its instances, whose logs are there', async () => {
    const w = newWorkspace('engine-logs-matrix-');
    const id = await runPlanFile(w, w.writePlan(plan([{ id: 'm', command: 'echo', args: ['on ${matrix.os}'], matrix: { os: ['linux', 'mac'] } }]), 'matrix.json'));
    const group = await engineQ(w, ['logs', id, 'm']);
    expect(group.exitCode).toBe(0);
    expect(group.stderr).toContain('step "m" is a matrix step and runs nothing itself (succeeded); its instances have them: m[os=linux], m[os=mac]');
    const one = await engineQ(w, ['logs', id, 'm[os=mac]']);
    expect(one.stdout).toBe('on mac\n');
  });

  it("exits 2 for an unknown step, listing the run's steps", async () => {
    const r = await engineQ(ws, ['logs', runId, 'nosuchstep']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`run ${runId} has no step "nosuchstep"; its steps: setup, flaky, report, never`);
  });

  it('accepts a unique run id prefix and "last"', async () => {
    const byPrefix = await engineQ(ws, ['logs', runId.slice(0, 12), 'report']);
    const byLast = await engineQ(ws, ['logs', 'last', 'report']);
    expect([byPrefix.exitCode, byPrefix.stdout]).toEqual([0, 'report done\n']);
    expect([byLast.exitCode, byLast.stdout]).toEqual([0, 'report done\n']);
  });

  it('exits 2 for an unknown run', async () => {
    const r = await engineQ(ws, ['logs', 'nosuchrun']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no run matches "nosuchrun"');
  });

  it('exits 2 for --attempt without a step', async () => {
    const r = await engineQ(ws, ['logs', runId, '--attempt', '1']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--attempt needs a STEP');
  });
});

describe('engine logs --follow', () => {
  function follow(ws: Workspace, args: string[]) {
    return execa('node', [CLI, 'logs', ...args, '--follow', '--state-dir', ws.stateDir], {
      cwd: ws.dir,
      reject: false,
      stripFinalNewline: false,
    });
  }

  /** Shell that waits (up to 20 s) until the test creates `go` in the workspace. */
  const WAIT_FOR_GO = 'n=0; while [ ! -f go ] && [ $n -lt 400 ]; do sleep 0.05; n=$((n+1)); done';

  /** Creates `go` once the follower has printed `text`: it is live before the steps go on. */
  function goWhenPrinted(ws: Workspace, follower: ReturnType<typeof follow>, text: string): void {
    let seen = '';
    follower.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) writeFileSync(join(ws.dir, 'go'), '');
    });
  }

  it('streams every step of a live run, prefixed by step, and exits when the run ends', async () => {
    const ws = newWorkspace('engine-logs-follow-');
    ws.writePlan(
      plan([
        {
          id: 'ticker',
          shell: true,
          command: `echo "tick 0"; ${WAIT_FOR_GO}; for i in 1 2 3 4 5 6 7; do echo "tick $i"; sleep 0.2; done; printf "last words"`,
        },
        { id: 'tock', shell: true, command: `${WAIT_FOR_GO}; sleep 0.5; echo tock` },
        { id: 'after', shell: true, command: 'echo after', depends_on: ['ticker'] },
      ]),
    );
    const { run, runId } = await startRun(ws, 'plan.json', 'ticker');
    const follower = follow(ws, [runId]);
    goWhenPrinted(ws, follower, '[ticker] tick 0\n');
    const f = await follower;
    const statusWhenFollowEnded = runStatus(ws, runId);
    const r = await run;
    expect(r.exitCode).toBe(0);
    expect(f.exitCode).toBe(0);
    expect(statusWhenFollowEnded).toBe('succeeded');
    const lines = f.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('[ticker] '))).toEqual([
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `[ticker] tick ${i}`),
      '[ticker] last words',
    ]);
    expect(lines.filter((l) => !l.startsWith('[ticker] ') && l !== '')).toEqual(['[tock] tock', '[after] after']);
    // Lines were printed as they came: tock (0.5 s after go) between the ticks.
    const tockAt = lines.indexOf('[tock] tock');
    expect(tockAt).toBeGreaterThan(0);
    expect(tockAt).toBeLessThan(lines.indexOf('[ticker] tick 7'));
    expect(f.stdout.endsWith('[after] after\n')).toBe(true);
  });

  it("follows one step's log across a retry, into the next attempt's file", async () => {
    const ws = newWorkspace('engine-logs-follow-step-');
    ws.writePlan(
      plan([
        {
          id: 'slow',
          shell: true,
          command: `echo "attempt $ENGINE_ATTEMPT begins"; ${WAIT_FOR_GO}; sleep 0.3; echo "attempt $ENGINE_ATTEMPT ends"; [ "$ENGINE_ATTEMPT" -ge 2 ]`,
          retries: 1,
          retry_delay_sec: 0.2,
        },
        { id: 'other', shell: true, command: 'echo other' },
      ]),
    );
    const { run, runId } = await startRun(ws, 'plan.json', 'slow');
    const follower = follow(ws, [runId, 'slow']);
    goWhenPrinted(ws, follower, 'attempt 1 begins\n');
    const f = await follower;
    const r = await run;
    expect(r.exitCode).toBe(0);
    expect(f.exitCode).toBe(0);
    expect(f.stdout).toBe(
      ['attempt 1 begins', 'attempt 1 ends', '==> slow (attempt 2) <==', 'attempt 2 begins', 'attempt 2 ends', ''].join('\n'),
    );
  });

  it('stops with exit 1 when the engine of a running run is gone', async () => {
    const ws = newWorkspace('engine-logs-follow-dead-');
    ws.writePlan(plan([{ id: 'long', shell: true, command: 'echo started; sleep 30' }]));
    const { run, runId, stepPid } = await startRun(ws, 'plan.json', 'long');
    try {
      const follower = follow(ws, [runId]);
      await new Promise((r) => setTimeout(r, 300));
      run.kill('SIGKILL');
      await run;
      const f = await follower;
      expect(f.exitCode).toBe(1);
      expect(f.stdout).toBe('[long] started\n');
      expect(f.stderr).toContain(`run ${runId} is recorded as running, but its engine`);
      expect(runStatus(ws, runId)).toBe('running');
    } finally {
      // The engine died without stopping its step: end the step's process group here.
      await killOrphanedStep(stepPid);
    }
  });
});
