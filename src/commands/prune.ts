/**
 * `engine prune [--keep N] [--older-than AGE] [--status S] [--dry-run]`: deletes finished runs
 * (their runs.db rows and directories; src/state/store/prune.ts) and says what it freed. The
 * flags narrow what goes; without any, every finished run does (asked first when standard
 * input is a terminal, as `docker system prune` does). Live runs are never touched; dead ones
 * are recovered (`interrupted`) first.
 */
import { createInterface } from 'node:readline/promises';
import { isRunStatus, RUN_STATUSES } from '../engine/status.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { formatLocalTime } from '../query/format.js';
import { parseOlderThan } from '../query/time-args.js';
import { pruneRuns, type PruneCriteria, type PrunedRun } from '../state/store/prune.js';
import { recoverInterruptedRuns } from '../state/store/recovery.js';
import { resolveStateDir } from './common.js';
import { reportError } from './report-error.js';

export interface PruneOptions {
  keep?: number;
  olderThan?: string;
  status?: string;
  dryRun?: boolean;
  json?: boolean;
  stateDir?: string;
}

/** Runs listed by name; more are counted. */
const LISTED = 20;

export async function pruneCommand(opts: PruneOptions): Promise<number> {
  try {
    const stateDir = resolveStateDir(opts.stateDir);
    const criteria = pruneCriteria(opts);
    await recoverInterruptedRuns(stateDir);
    const everything = Object.keys(criteria).length === 0;
    if (everything && !opts.dryRun && process.stdin.isTTY && !(await confirmAll(stateDir))) {
      process.stdout.write('nothing deleted\n');
      return ExitCode.ok;
    }
    const pruned = pruneRuns(stateDir, criteria, opts.dryRun === true);
    const bytes = pruned.reduce((sum, r) => sum + r.bytes, 0);
    const events = pruned.reduce((sum, r) => sum + r.events, 0);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ dry_run: opts.dryRun === true, runs: pruned, bytes, events }, null, 2)}\n`);
      return ExitCode.ok;
    }
    process.stdout.write(pruneText(pruned, bytes, events, opts.dryRun === true, stateDir));
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}

/** @throws UserError (exit 2) for a bad --status or --older-than */
function pruneCriteria(opts: PruneOptions): PruneCriteria {
  if (opts.status !== undefined && !isRunStatus(opts.status)) {
    throw new UserError(`unknown status "${opts.status}"; expected one of: ${RUN_STATUSES.join(', ')}`, ExitCode.usage);
  }
  if (opts.status === 'running') throw new UserError('--status running: live runs are never pruned', ExitCode.usage);
  return {
    ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
    ...(opts.olderThan !== undefined ? { startedBefore: parseOlderThan('--older-than', opts.olderThan) } : {}),
    ...(opts.status !== undefined && isRunStatus(opts.status) ? { status: opts.status } : {}),
  };
}

/** Asks at the terminal before every finished run goes. */
async function confirmAll(stateDir: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`delete every finished run in ${stateDir}? (--keep N, --older-than AGE or --status S choose fewer) [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

function pruneText(pruned: readonly PrunedRun[], bytes: number, events: number, dryRun: boolean, stateDir: string): string {
  if (pruned.length === 0) return `nothing to prune in ${stateDir}\n`;
  const lines = pruned.slice(0, LISTED).map((r) => `  ${r.run_id}  ${r.plan_id}  ${r.status}  ${formatLocalTime(r.started_at)}  ${formatBytes(r.bytes)}`);
  if (pruned.length > LISTED) lines.push(`  … and ${pruned.length - LISTED} more`);
  const runs = `${pruned.length} run${pruned.length === 1 ? '' : 's'}`;
  const what = `${runs} (${events} event${events === 1 ? '' : 's'} in runs.db, ${formatBytes(bytes)} of files)`;
  return `${lines.join('\n')}\n${dryRun ? `would prune ${what}; nothing deleted (--dry-run)` : `pruned ${what}`}\n`;
}

/** `512 B`, `1.5 KiB`, `12.3 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}
