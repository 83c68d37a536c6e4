/**
 * Helpers for tests of the read-side commands (`runs`, `show`, `logs`, `graph`): real runs of
 * the built CLI in a temp workspace, then the command under test against its state directory.
 */
import { execa, type ResultPromise } from 'execa';
import { CLI, workspace, type Workspace } from '../helpers/cli.js';
import { isProcessGone, removeDir, waitFor, withRunsDb } from '../helpers/state.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type { Workspace };

const dirs: string[] = [];

/** A temp workspace removed by {@link removeWorkspaces}. */
export function newWorkspace(prefix: string): Workspace {
  const w = workspace(prefix);
  dirs.push(w.dir);
  return w;
}

export function removeWorkspaces(): void {
  for (const d of dirs.splice(0)) removeDir(d);
}

/**
 * Runs `engine <args…> --state-dir <ws.stateDir>` in the workspace (without --state-dir for
 * `graph` and `validate`, which have none); never throws on exit codes. stdout and stderr keep
 * their final newline and stay apart (`all` has both).
 */
export function engineQ(
  ws: Workspace,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): ResultPromise<{ reject: false; stripFinalNewline: false; all: true }> {
  const stateless = args[0] === 'graph' || args[0] === 'validate';
  return execa('node', [CLI, ...args, ...(stateless ? [] : ['--state-dir', ws.stateDir])], {
    cwd: ws.dir,
    reject: false,
    stripFinalNewline: false,
    all: true,
    env: { NO_COLOR: '1', ...opts.env },
  });
}

/** Runs a plan file of the workspace to its end; returns the new run's id. */
export async function runPlan(ws: Workspace, planFile: string, expectedExit = 0): Promise<string> {
  const before = new Set(runIdsInDb(ws));
  const r = await ws.engine(['run', planFile]);
  if (r.exitCode !== expectedExit) throw new Error(`engine run ${planFile} exited ${r.exitCode}, expected ${expectedExit}:\n${r.all}`);
  const added = runIdsInDb(ws).filter((id) => !before.has(id));
  if (added.length !== 1) throw new Error(`expected one new run, found ${added.length}`);
  return added[0]!;
}

/** Run ids recorded in runs.db, oldest first. */
export function runIdsInDb(ws: Workspace): string[] {
  if (!existsSync(join(ws.stateDir, 'runs.db'))) return [];
  return withRunsDb(ws.stateDir, (db) =>
    (db.prepare('SELECT run_id FROM runs ORDER BY started_at, run_id').all() as { run_id: string }[]).map((r) => r.run_id),
  );
}

/** `runs.status` of a run, or undefined when runs.db or the row is missing. */
export function runStatus(ws: Workspace, runId: string): string | undefined {
  if (!existsSync(join(ws.stateDir, 'runs.db'))) return undefined;
  return withRunsDb(
    ws.stateDir,
    (db) => (db.prepare('SELECT status FROM runs WHERE run_id = ?').get(runId) as { status: string } | undefined)?.status,
  );
}

/** The longest common prefix of two strings. */
export function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

/** Data lines of a table printed by `runs`/`show` (the lines after the header line). */
export function tableRows(text: string, header: string): string[][] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(header));
  if (at < 0) throw new Error(`no table starting with ${header} in:\n${text}`);
  const rows: string[][] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.trim() === '') break;
    rows.push(l.split(/ {2,}/).map((c) => c.trim()));
  }
  return rows;
}

/**
 * Starts `engine run <planFile>` and waits until runs.db shows the run as `running` and `step`
 * as started; returns the engine process, the run id and the step's pid.
 */
export async function startRun(
  ws: Workspace,
  planFile: string,
  step: string,
): Promise<{ run: ReturnType<Workspace['engine']>; runId: string; stepPid: number }> {
  const run = ws.engine(['run', planFile]);
  const runId = await waitFor(() => runIdsInDb(ws).find((id) => runStatus(ws, id) === 'running'), 'the run to start');
  const stepPid = await waitFor(
    () =>
      withRunsDb(
        ws.stateDir,
        (db) =>
          (db.prepare('SELECT pid FROM attempts WHERE run_id = ? AND step_id = ?').get(runId, step) as { pid: number } | undefined)
            ?.pid,
      ),
    `step ${step} to start`,
  );
  return { run, runId, stepPid };
}

/** Ends a step's process group that a SIGKILLed engine left behind, and waits until it is gone. */
export async function killOrphanedStep(stepPid: number): Promise<void> {
  try {
    process.kill(-stepPid, 'SIGKILL');
  } catch {
    // already gone
  }
  await waitFor(() => isProcessGone(stepPid), 'the orphaned step to end');
}
