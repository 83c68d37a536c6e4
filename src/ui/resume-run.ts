/**
 * Resuming a run from the page: a detached `engine resume RUN --state-dir D` process, which
 * outlives the dashboard. The run's recorded variables are reused by `engine resume` itself;
 * the values of its secret variables (masked as `***` in runs.db) come from the page and are
 * piped to the child's stdin as a JSON object read with `--vars-file /dev/stdin`: never on a
 * command line (`ps` shows those) nor in a file.
 *
 * The engine's console output goes to `<state>/ui/resume-<run_id>.log`, so a resume that fails
 * to start can be explained to the page, and one that runs can be looked at later.
 */
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDetached } from '../engine/process/detached.js';
import { packagePath } from '../package-root.js';
import { canResume, secretVariables } from './action-rules.js';
import type { ApiRun } from './api-types.js';
import { HttpError } from './http-util.js';
import type { LiveFeed } from './live-feed.js';
import type { Queries } from './queries.js';

/** How long to wait for the resumed run to show up as running before answering anyway, in ms. */
const CONFIRM_TIMEOUT_MS = 10_000;
/** The tail of the console log quoted when the resume fails to start, in bytes. */
const ERROR_TAIL_BYTES = 2000;

export interface ResumeInput {
  stateDir: string;
  run: ApiRun;
  /** Values of the run's secret variables (every one of them). */
  secrets: Record<string, string>;
  feed: LiveFeed;
  queries: () => Queries | null;
}

/**
 * Starts `engine resume` for the run and resolves with a message once the run is running
 * again (or the engine finished at once, or 10 s passed).
 * @throws HttpError 409 when the run cannot be resumed or `engine resume` refused it (the
 *   message is its own), 400 when secret values are missing or unknown names are given
 */
export async function resumeRun(input: ResumeInput): Promise<string> {
  const { run, stateDir } = input;
  if (!canResume(run)) {
    throw new HttpError(409, `run ${run.run_id} is ${run.status}; only failed, cancelled or interrupted runs can be resumed`);
  }
  const secretNames = secretVariables(run.vars_json);
  const missing = secretNames.filter((n) => typeof input.secrets[n] !== 'string');
  if (missing.length > 0) throw new HttpError(400, `give the values of the secret variables: ${missing.join(', ')}`);
  const unknown = Object.keys(input.secrets).filter((n) => !secretNames.includes(n));
  if (unknown.length > 0) throw new HttpError(400, `not secret variables of run ${run.run_id}: ${unknown.join(', ')}`);

  const logDir = join(stateDir, 'ui');
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `resume-${run.run_id}.log`);
  const logFd = openSync(logPath, 'w');
  const args = [packagePath('dist', 'cli.js'), 'resume', run.run_id, '--state-dir', stateDir];
  if (secretNames.length > 0) args.push('--vars-file', '/dev/stdin');
  const child = startDetached(process.execPath, args, { cwd: stateDir, stdio: [secretNames.length > 0 ? 'pipe' : 'ignore', logFd, logFd] });
  closeSync(logFd);
  child.stdin?.end(JSON.stringify(input.secrets));

  const outcome = await new Promise<'running' | 'timeout' | { exitCode: number | null; error?: Error }>((resolve) => {
    const done = (value: 'running' | 'timeout' | { exitCode: number | null; error?: Error }): void => {
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    };
    const timer = setTimeout(() => done('timeout'), CONFIRM_TIMEOUT_MS);
    const unsubscribe = input.feed.subscribe({
      onRuns: (ids) => {
        if (ids.has(run.run_id) && input.queries()?.run(run.run_id)?.pid === child.pid) done('running');
      },
    });
    child.once('exit', (exitCode) => done({ exitCode }));
    child.once('error', (error) => done({ exitCode: null, error }));
  });
  child.unref();
  if (outcome === 'running') return `resumed: run ${run.run_id} (engine pid ${child.pid})`;
  if (outcome === 'timeout') return `resume started: engine pid ${child.pid} (see ${logPath})`;
  if (outcome.exitCode === 0) return `resumed: run ${run.run_id} has finished`;
  const why = outcome.error?.message ?? consoleTail(logPath);
  throw new HttpError(409, `engine resume exited with code ${outcome.exitCode}: ${why}`);
}

function consoleTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-ERROR_TAIL_BYTES).trim();
  } catch {
    return '(no output)';
  }
}
