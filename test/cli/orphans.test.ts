/**
 * No process outlives its run, even after kill -9 of the engine (issue 11): the engine is
 * killed at many moments of runs whose steps leave children behind in new sessions (setsid),
 * then crash recovery runs; afterwards no process of those runs is left, whether the run was
 * contained in a cgroup (where the machine allows it) or not (ENGINE_CGROUP=off: process
 * groups and the environment scan), and what recovery killed is recorded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { isProcessGone, waitFor } from '../helpers/processes.js';
import { readJsonl, runIds } from '../helpers/record.js';

const workspace = workspacesForThisFile('engine-orphans-');

/** Live (non-zombie) pids whose environment names `runId`. */
function processesOf(runId: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${name}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (env.split('\0').includes(`ENGINE_RUN_ID=${runId}`) && !isProcessGone(Number(name))) out.push(Number(name));
  }
  return out;
}

function readFileOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** 30 steps, 3 at a time; each leaves a `sleep` behind in a new session and keeps running a while. */
function escapingPlan(ws: Workspace): string {
  const steps = Array.from({ length: 30 }, (_, i) => ({
    id: `s${i}`,
    command: 'sh',
    args: ['-c', 'setsid sleep 120 & sleep 0.0$((RANDOM % 9 + 1))'],
    depends_on: i >= 3 ? [`s${i - 3}`] : [],
  }));
  return ws.writePlan(plan(steps, { globals: { max_concurrency: 3 } }));
}

async function killAtRandomMoments(ws: Workspace, path: string, times: number, env: NodeJS.ProcessEnv): Promise<string[]> {
  const killed: string[] = [];
  for (let i = 0; i < times; i++) {
    const before = new Set(runIds(ws.stateDir));
    const engine = ws.engine(['run', path], { env });
    // Random moments counted from the first step's start (so that, however loaded the
    // machine, most kills find steps and their escaped children alive).
    const runId = await waitFor(
      () => {
        if (engine.exitCode !== null) return 'exited';
        const id = runIds(ws.stateDir).find((r) => !before.has(r));
        const events = id === undefined ? '' : readFileOr(join(ws.stateDir, 'runs', id, 'events.jsonl'));
        return events.includes('"step_started"') ? id : undefined;
      },
      'the first step to start',
      { timeoutMs: 20_000, intervalMs: 2 },
    );
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
    engine.kill('SIGKILL');
    await engine;
    // A run killed before its first event recorded nothing and started nothing.
    if (runId !== 'exited' && existsSync(join(ws.stateDir, 'runs', runId, 'events.jsonl'))) killed.push(runId);
  }
  return killed;
}

describe('kill -9 of the engine at random moments', () => {
  for (const mode of ['contained (cgroup where available)', 'ENGINE_CGROUP=off'] as const) {
    it(`leaves no process of the run behind once recovered: ${mode}`, async () => {
      const ws = workspace();
      const env = mode === 'ENGINE_CGROUP=off' ? { ENGINE_CGROUP: 'off' } : {};
      const runs = await killAtRandomMoments(ws, escapingPlan(ws), mode === 'ENGINE_CGROUP=off' ? 10 : 30, env);
      expect(runs.length).toBeGreaterThan(0);
      const listed = await ws.engine(['runs', '--limit', '100', '--state-dir', ws.stateDir]);
      expect(listed.exitCode, listed.all).toBe(0);
      for (const runId of runs) {
        expect(processesOf(runId), `processes of ${runId}`).toEqual([]);
        const { events } = readJsonl(ws.stateDir, runId);
        if (events.length === 0) continue;
        expect(['run_interrupted', 'run_finished']).toContain(events.at(-1)!.type);
      }
      // Recovery recorded what it killed.
      const orphans = runs.flatMap((id) => readJsonl(ws.stateDir, id).events.filter((e) => e.type === 'step_orphan_killed'));
      expect(orphans.length).toBeGreaterThan(0);
    }, 120_000);
  }
});

describe('engine resume after kill -9', () => {
  it('never starts a step again while its first attempt may still run', async () => {
    const ws = workspace();
    // Attempt 1 blocks; attempt 2 (after `go` exists) notes whether attempt 1 still runs.
    const script = [
      'echo $$ >> work.pids',
      'if [ -f go ]; then first=$(head -1 work.pids);',
      '  if [ -e /proc/$first ] && ! grep -q "^State:[[:space:]]*Z" /proc/$first/status; then echo overlap > overlap.txt; fi; exit 0; fi',
      'exec sleep 60',
    ].join('\n');
    const path = ws.writePlan(plan([{ id: 'work', command: 'sh', args: ['-c', script] }]));
    const engine = ws.engine(['run', path]);
    const first = await waitFor(() => {
      try {
        return Number(readFileSync(join(ws.dir, 'work.pids'), 'utf8').trim().split('\n')[0]) || undefined;
      } catch {
        return undefined;
      }
    }, 'the step to start');
    engine.kill('SIGKILL');
    await engine;
    expect(isProcessGone(first)).toBe(false); // the step outlived its engine, for now
    writeFileSync(join(ws.dir, 'go'), '');
    const resumed = await ws.engine(['resume', 'last', '--state-dir', ws.stateDir]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect(existsSync(join(ws.dir, 'overlap.txt'))).toBe(false);
    expect(isProcessGone(first)).toBe(true);
    const { events } = readJsonl(ws.stateDir, runIds(ws.stateDir)[0]!);
    const killed = events.find((e) => e.type === 'step_orphan_killed' && e.pid === first);
    expect(killed).toMatchObject({ step_id: 'work', attempt: 1 });
    expect(events.findIndex((e) => e === killed)).toBeLessThan(events.findIndex((e) => e.type === 'run_resumed'));
  }, 60_000);
});

/** The cgroup v2 directory this test process (and so an engine it starts) is in, when it is writable; else null. */
function writableOwnCgroup(): string | null {
  try {
    const mount = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .find((f) => f[f.indexOf('-') + 1] === 'cgroup2' && f[3] === '/');
    const own = readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('0::'));
    if (!mount || own === undefined) return null;
    const dir = join(mount[4]!, own.slice(3));
    const probe = join(dir, `engine-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return dir;
  } catch {
    return null;
  }
}

describe('run cgroups nobody recorded', () => {
  const dir = writableOwnCgroup();
  it.skipIf(dir === null)("are removed by the next run when empty and their engine is gone, never a live engine's", async () => {
    const ws = workspace();
    const gone = spawnSync('true').pid!;
    // An engine killed between making its cgroup and recording run_started leaves this behind.
    const abandoned = join(dir!, `engine-run-20260101T000000000Z-abcdef-${gone}`);
    const live = join(dir!, `engine-run-20260101T000000000Z-fedcba-${process.pid}`);
    mkdirSync(abandoned);
    mkdirSync(live);
    try {
      const r = await ws.engine(['run', ws.writePlan(plan([{ id: 'one', command: 'true' }]))]);
      expect(r.exitCode, r.all).toBe(0);
      expect(existsSync(abandoned)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      for (const d of [abandoned, live]) if (existsSync(d)) rmdirSync(d);
    }
  });
});
