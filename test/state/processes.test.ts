/**
 * Several engine processes share one runs.db. These tests spawn real `node` processes that
 * import the compiled modules from dist/ (built here when `npm run build` has not).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureStateModulesBuilt } from '../helpers/event-fixtures.js';
import { openDbFileReadonly } from '../helpers/record.js';
import { tempDirWithCleanup } from '../helpers/temp-dirs.js';

let dist: string;
beforeAll(() => {
  dist = ensureStateModulesBuilt();
});

function distUrl(module: string): string {
  return pathToFileURL(join(dist, module)).href;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runNode(script: string, args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('state shared by several processes', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDirWithCleanup('engine-state-test-')));
  afterEach(() => cleanup());

  it('creates the schema once when several processes open a brand-new runs.db at the same moment', async () => {
    const script = join(dir, 'open.mjs');
    writeFileSync(
      script,
      `import { openRunsDb } from ${JSON.stringify(distUrl('state/store/runs-db.js'))};
const [dbPath, startAt] = process.argv.slice(2);
while (Date.now() < Number(startAt)) {}
const db = openRunsDb(dbPath);
console.log(JSON.stringify({ version: db.pragma('user_version', { simple: true }), mode: db.pragma('journal_mode', { simple: true }) }));
db.close();
`,
    );
    const dbPath = join(dir, 'runs.db');
    const startAt = String(Date.now() + 1500);
    const exits = await Promise.all(Array.from({ length: 8 }, () => runNode(script, [dbPath, startAt])));
    for (const exit of exits) {
      expect(exit.stderr).toBe('');
      expect(exit.code).toBe(0);
      expect(JSON.parse(exit.stdout)).toEqual({ version: 2, mode: 'wal' });
    }
  });

  it('loses no rows when two runs write the same runs.db concurrently from two processes', async () => {
    const script = join(dir, 'writer.mjs');
    writeFileSync(
      script,
      `import { SqliteSink } from ${JSON.stringify(distUrl('state/sinks/sqlite-sink.js'))};
import { TurnBuffer } from ${JSON.stringify(distUrl('state/sinks/turn-buffer.js'))};
const [dbPath, runId, n, startAt] = process.argv.slice(2);
const steps = Array.from({ length: Number(n) }, (_, i) => ({ id: 's' + i, name: 's' + i, depends_on: [] }));
let seq = 0;
const ev = (type, fields) => ({ seq: ++seq, ts: new Date().toISOString(), run_id: runId, type, ...fields });
while (Date.now() < Number(startAt)) {}
const sink = new TurnBuffer({ file: null, sinks: [new SqliteSink(dbPath)], onError: (e) => { throw e; } });
sink.handle(ev('run_started', { plan_id: 'p', plan_version: '1', plan_path: '/p.json', plan_sha256: 'x', cwd: '/',
  vars: {}, max_concurrency: 8, pid: process.pid, hostname: 'h', steps }));
for (const [i, s] of steps.entries()) {
  sink.handle(ev('step_started', { step_id: s.id, attempt: 1, pid: 1, command: 'true', args: [], cwd: '/', log_path: '/l' }));
  sink.handle(ev('step_succeeded', { step_id: s.id, attempt: 1, exit_code: 0, duration_ms: 1 }));
  if (i % 10 === 0) await new Promise((r) => setImmediate(r)); // let the sink flush, as the engine's event loop would
}
sink.handle(ev('run_finished', { status: 'succeeded', exit_code: 0, duration_ms: 1, succeeded: steps.length, failed: 0, skipped: 0, cancelled: 0 }));
await sink.close();
console.log(seq);
`,
    );
    const dbPath = join(dir, 'runs.db');
    const n = 3000;
    const startAt = String(Date.now() + 1500);
    const children = Promise.all(['run-a', 'run-b'].map((runId) => runNode(script, [dbPath, runId, String(n), startAt])));

    // Meanwhile, read as a GUI would: every read succeeds and progress never goes backwards.
    let done = false;
    void children.then(() => (done = true));
    let reads = 0;
    let lastCount = 0;
    let db: Database.Database | undefined;
    while (!done) {
      await new Promise((r) => setTimeout(r, 5));
      try {
        db ??= openDbFileReadonly(dbPath);
      } catch {
        continue; // not created yet
      }
      try {
        const count = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
        expect(count).toBeGreaterThanOrEqual(lastCount);
        lastCount = count;
        reads++;
      } catch (error) {
        if (!String(error).includes('no such table')) throw error; // schema not created yet
      }
    }
    db?.close();

    for (const exit of await children) {
      expect(exit.stderr).toBe('');
      expect(exit.code).toBe(0);
      expect(Number(exit.stdout)).toBe(2 * n + 2);
    }
    expect(reads).toBeGreaterThan(0);

    const check = openDbFileReadonly(dbPath);
    const runs = check.prepare('SELECT run_id, status, steps_succeeded, last_seq FROM runs ORDER BY run_id').all();
    expect(runs).toEqual([
      { run_id: 'run-a', status: 'succeeded', steps_succeeded: n, last_seq: 2 * n + 2 },
      { run_id: 'run-b', status: 'succeeded', steps_succeeded: n, last_seq: 2 * n + 2 },
    ]);
    for (const runId of ['run-a', 'run-b']) {
      const seqs = check.prepare('SELECT seq FROM events WHERE run_id = ? ORDER BY seq').pluck().all(runId) as number[];
      expect(seqs).toEqual(Array.from({ length: 2 * n + 2 }, (_, i) => i + 1));
      expect(check.prepare(`SELECT count(*) FROM steps WHERE run_id = ? AND status = 'succeeded' AND attempts = 1`).pluck().get(runId)).toBe(n);
      expect(check.prepare(`SELECT count(*) FROM attempts WHERE run_id = ? AND status = 'succeeded'`).pluck().get(runId)).toBe(n);
    }
    check.close();
  });

  it('keeps in events.jsonl every event handled before the engine is killed with SIGKILL', async () => {
    const script = join(dir, 'kill.mjs');
    const path = join(dir, 'runs', 'r', 'events.jsonl');
    writeFileSync(
      script,
      `import { EventsFile } from ${JSON.stringify(distUrl('state/sinks/events-file-sink.js'))};
import { TurnBuffer } from ${JSON.stringify(distUrl('state/sinks/turn-buffer.js'))};
const sink = new TurnBuffer({ file: new EventsFile(${JSON.stringify(path)}), sinks: [], onError: (e) => { throw e; } });
for (let seq = 1; seq <= 100; seq++) {
  sink.handle({ seq, ts: new Date().toISOString(), run_id: 'r', type: 'run_cancel_requested', signal: 'SIGINT', source: 'signal', forced: false });
}
process.kill(process.pid, 'SIGKILL');
`,
    );
    const exit = await runNode(script, []);
    expect(exit.signal).toBe('SIGKILL');
    const seqs = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
