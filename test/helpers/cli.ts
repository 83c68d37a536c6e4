/**
 * Runs the built CLI (dist/cli.js, built by `npm test` before vitest starts) as a user would,
 * in a temporary working directory with its own state directory: one-shot commands, runs to
 * their end, and runs started in the background for a test to watch or signal.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll } from 'vitest';
import { isProcessGone, waitFor } from './processes.js';
import { runIdsInDb, runStatus, withRunsDb } from './record.js';
import { makeTempDir, removeDir } from './temp-dirs.js';

/** Absolute path of the built CLI, dist/cli.js. */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** A running (or finished) `node dist/cli.js …`: await it for its result; never rejects on exit codes. */
export type EngineProcess = ResultPromise<{ reject: false; all: true }>;

/** What an {@link EngineProcess} resolves to: exitCode, stdout, stderr, all (both interleaved). */
export type EngineResult = Awaited<EngineProcess>;

/**
 * Starts `node dist/cli.js <args…>` in `cwd` with `NO_COLOR=1` and `env` added to the
 * environment (to nothing but them with `extendEnv: false`).
 * @returns the process; its result never rejects on exit codes, and has `all`.
 */
export function engineIn(cwd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; extendEnv?: boolean } = {}): EngineProcess {
  return execa('node', [CLI, ...args], {
    cwd,
    reject: false,
    all: true,
    env: { NO_COLOR: '1', ...opts.env },
    extendEnv: opts.extendEnv ?? true,
  });
}

/** A temporary working directory with its own state directory, and the CLI run in it. */
export interface Workspace {
  /** Temporary directory: the CLI's working directory. */
  dir: string;
  /** `<dir>/state`, passed as --state-dir. */
  stateDir: string;
  /** Writes `plan` (an object, or raw text) as `<dir>/<name>` and returns its path. */
  writePlan(plan: unknown, name?: string): string;
  /**
   * Runs `engine <args...>` in `dir` (adding `--state-dir <stateDir>` for `run`), see
   * {@link engineIn}. Await it to wait for the end; never rejects on exit codes.
   */
  engine(args: string[], opts?: { env?: NodeJS.ProcessEnv }): EngineProcess;
}

/** A fresh workspace in a new temp directory (the caller removes `dir`; see {@link workspacesForThisFile}). */
export function workspace(prefix = 'engine-test-'): Workspace {
  const dir = makeTempDir(prefix);
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
      return engineIn(dir, withState, opts);
    },
  };
}

/**
 * A {@link workspace} factory for one test file: every workspace it makes is removed after the
 * file's tests. Call it at the top level of the file.
 * @returns `(prefix?) => Workspace`; `prefix` defaults to `defaultPrefix`.
 */
export function workspacesForThisFile(defaultPrefix = 'engine-test-'): (prefix?: string) => Workspace {
  const made: Workspace[] = [];
  afterAll(() => {
    for (const ws of made.splice(0)) removeDir(ws.dir);
  });
  return (prefix = defaultPrefix) => {
    const ws = workspace(prefix);
    made.push(ws);
    return ws;
  };
}

/** A minimal valid plan around the given steps, with `extra` top-level fields. */
export function plan(steps: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { plan_id: 'test', version: '1', steps, ...extra };
}

/**
 * Runs `engine <args…> --state-dir <ws.stateDir>` in the workspace (without --state-dir for
 * `graph` and `validate`, which have none), for the read-side commands. stdout and stderr
 * keep their final newline and stay apart (`all` has both).
 * @returns the process; await it for the result, which never rejects on exit codes.
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

/**
 * The data lines of a table that `runs` or `show` printed in `text`: the lines after the one
 * starting with `header`, up to the first blank line; throws when no line starts with it.
 * @returns each line's cells (columns are separated by two or more spaces), trimmed.
 */
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
 * Runs a plan file of the workspace to its end; throws when the engine exits other than
 * `expectedExit` (default 0) or when not exactly one run was added to runs.db.
 * @returns the new run's id.
 */
export async function runPlanFile(ws: Workspace, planFile: string, expectedExit = 0): Promise<string> {
  const before = new Set(runIdsInDb(ws));
  const r = await ws.engine(['run', planFile]);
  if (r.exitCode !== expectedExit) throw new Error(`engine run ${planFile} exited ${r.exitCode}, expected ${expectedExit}:\n${r.all}`);
  const added = runIdsInDb(ws).filter((id) => !before.has(id));
  if (added.length !== 1) throw new Error(`expected one new run, found ${added.length}`);
  return added[0]!;
}

/**
 * Starts `engine run <planFile>` and waits (10 s at most each) until runs.db shows the run as
 * `running` and an attempt of `step` with its pid.
 * @returns the engine process, the run id and the step's pid.
 */
export async function startRun(
  ws: Workspace,
  planFile: string,
  step: string,
): Promise<{ run: EngineProcess; runId: string; stepPid: number }> {
  const run = ws.engine(['run', planFile]);
  const runId = await waitFor(() => runIdsInDb(ws).find((id) => runStatus(ws, id) === 'running'), 'the run to start');
  const stepPid = await waitFor(
    () =>
      withRunsDb(
        ws,
        (db) =>
          (db.prepare('SELECT pid FROM attempts WHERE run_id = ? AND step_id = ?').get(runId, step) as { pid: number } | undefined)
            ?.pid,
      ),
    `step ${step} to start`,
  );
  return { run, runId, stepPid };
}

/**
 * Awaits an engine started in the background; after `deadlineMs` ms (default 30,000) it
 * SIGKILLs it (it is the test's own) and rejects.
 * @returns the engine's result.
 */
export async function engineResult<T extends EngineProcess>(proc: T, deadlineMs = 30_000): Promise<Awaited<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      if (proc.pid !== undefined && !isProcessGone(proc.pid)) process.kill(proc.pid, 'SIGKILL');
      reject(new Error(`engine did not exit within ${deadlineMs} ms`));
    }, deadlineMs);
  });
  try {
    return (await Promise.race([proc, timeout])) as Awaited<T>;
  } finally {
    clearTimeout(timer);
  }
}
