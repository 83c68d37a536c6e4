/**
 * Up-to-date skipping's store (issue 14), behind the run loop's FingerprintPort
 * (engine/fingerprint.ts). A step's fingerprint is the sha256 of its resolved command, args,
 * shell, cwd and env (the plan's, not the engine's environment) and of every source file's
 * path and content, in path order. Globs are expanded with tinyglobby (relative to the step's
 * cwd; dot files included).
 *
 * Hashing is incremental, as ninja and go-task do it: `file_hashes` caches each file's sha256
 * under its size and mtime (ns); a file whose size and mtime are unchanged is not read again.
 * So a 10,000-file source set that did not change costs 10,000 stat calls and one cached
 * lookup each (docs/BENCHMARKS.md). The last successful fingerprint of each (plan, step) is in
 * `fingerprints`. Both tables are caches, written only here; what a run did is in its events.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type * as Tinyglobby from 'tinyglobby';
import type { FingerprintCheck, FingerprintPort } from '../../engine/fingerprint.js';
import type { ResolvedStep } from '../../schema/resolved-plan.js';
import { closeRunsDb, openRunsDb, retryBusy, type RunsDb } from './runs-db.js';

export interface FingerprintOptions {
  planId: string;
  runId: string;
  /** `engine run --force`: true for every step, or the ids of the steps whose fingerprint is ignored. */
  force: boolean | ReadonlySet<string>;
}

export class RunsDbFingerprints implements FingerprintPort {
  private readonly db: RunsDb;
  private readonly s: Record<'cached' | 'cache' | 'last' | 'record' | 'runKept' | 'outputs', Database.Statement>;

  constructor(
    dbPath: string,
    private readonly opts: FingerprintOptions,
  ) {
    this.db = openRunsDb(dbPath);
    this.s = {
      cached: this.db.prepare('SELECT sha256 FROM file_hashes WHERE path = ? AND size = ? AND mtime_ns = ?').pluck(),
      cache: this.db.prepare('INSERT OR REPLACE INTO file_hashes (path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)'),
      last: this.db.prepare('SELECT fingerprint, run_id FROM fingerprints WHERE plan_id = ? AND step_id = ?'),
      runKept: this.db.prepare('SELECT 1 FROM runs WHERE run_id = ?').pluck(),
      outputs: this.db.prepare('SELECT key, value FROM outputs WHERE run_id = ? AND step_id = ?'),
      record: this.db.prepare(
        `INSERT OR REPLACE INTO fingerprints (plan_id, step_id, fingerprint, run_id, attempt, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  async check(step: ResolvedStep): Promise<FingerprintCheck> {
    const files = expand(step.sources ?? [], step.cwd);
    const fingerprint = this.fingerprintOf(step, files);
    const forced = this.opts.force === true || (this.opts.force !== false && this.opts.force.has(step.id));
    const no = (detail: string): FingerprintCheck => ({ fingerprint, upToDate: false, detail, outputs: {} });
    if (forced) return no('forced (--force)');
    const last = this.s.last.get(this.opts.planId, step.id) as { fingerprint: string; run_id: string } | undefined;
    if (!last) return no('no earlier success recorded');
    if (last.fingerprint !== fingerprint) return no('its sources or command changed');
    const missing = step.generates.find((g) => expand([g], step.cwd, false).length === 0);
    if (missing !== undefined) return no(`${missing} does not exist`);
    // Its outputs (issue 13) come from the run that succeeded; secret ones were never recorded.
    if (step.secretOutputs.length > 0) return no('its secret outputs are not recorded, so it runs again');
    if (this.s.runKept.get(last.run_id) === undefined) return no(`run ${last.run_id}, which recorded its outputs, was pruned`);
    const outputs: Record<string, string> = {};
    for (const o of this.s.outputs.all(last.run_id, step.id) as { key: string; value: string }[]) outputs[o.key] = o.value;
    const n = files.length;
    return { fingerprint, upToDate: true, detail: `${n} source file${n === 1 ? '' : 's'} unchanged since run ${last.run_id}`, outputs };
  }

  record(step: ResolvedStep, fingerprint: string, attempt: number): void {
    retryBusy(() => this.s.record.run(this.opts.planId, step.id, fingerprint, this.opts.runId, attempt, new Date().toISOString()));
  }

  close(): void {
    closeRunsDb(this.db);
  }

  private fingerprintOf(step: ResolvedStep, files: readonly string[]): string {
    const h = createHash('sha256');
    const env = Object.keys(step.env)
      .sort()
      .map((k) => [k, step.env[k]]);
    h.update(JSON.stringify({ command: step.command, args: step.args, shell: step.shell, cwd: step.cwd, env }));
    const write = this.db.transaction(() => {
      for (const f of files) h.update(`\0${f}\0${this.fileHash(join(step.cwd, f))}`);
    });
    retryBusy(() => write.immediate());
    return h.digest('hex');
  }

  /** sha256 of a file's content, from the cache when its size and mtime did not change. */
  private fileHash(abs: string): string {
    let st;
    try {
      st = statSync(abs, { bigint: true });
    } catch {
      return 'missing';
    }
    const size = Number(st.size);
    const mtime = String(st.mtimeNs);
    const cached = this.s.cached.get(abs, size, mtime) as string | undefined;
    if (cached !== undefined) return cached;
    const sha = createHash('sha256').update(readFileSync(abs)).digest('hex');
    this.s.cache.run(abs, size, mtime, sha);
    return sha;
  }
}

/** Paths (relative to `cwd`, sorted) the globs match: files only, or directories too. */
function expand(globs: readonly string[], cwd: string, onlyFiles = true): string[] {
  if (globs.length === 0) return [];
  return tinyglobby().globSync([...globs], { cwd, dot: true, onlyFiles, absolute: false, expandDirectories: false }).sort();
}

let loadedTinyglobby: typeof Tinyglobby | null = null;

/**
 * tinyglobby, loaded (from node_modules, its CommonJS build) at the first glob. Imported
 * statically it was evaluated at every `engine run`, `sources` or not, with picomatch twice
 * (bundled, and again from node_modules by fdir's own require): `engine run` of a 1-step plan
 * was 11 ms slower (wall, median of 31 paired runs; perf stat: 7-14 ms).
 */
function tinyglobby(): typeof Tinyglobby {
  return (loadedTinyglobby ??= createRequire(import.meta.url)('tinyglobby') as typeof Tinyglobby);
}
