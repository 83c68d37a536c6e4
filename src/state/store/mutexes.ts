/**
 * Cross-run mutexes in runs.db (issue 14), behind the run loop's MutexPort (engine/mutex.ts).
 *
 * Tables `mutex_holders` (one row per held name) and `mutex_waiters` (requests in the order
 * they were made: an autoincrement id) are lock state, not the run's record: they are the
 * one thing besides events written to runs.db, by this module, each change in one
 * `BEGIN IMMEDIATE` transaction. What happened is recorded as events (`step_waiting`,
 * `run_waiting`). A holder or waiter whose run is no longer running is dropped. One whose
 * engine is gone (liveness.ts) while its run is still recorded as running is first recovered
 * (crash recovery kills what the dead engine left, so its step cannot still run beside the
 * next holder), then dropped: a kill -9 never leaves a name held.
 *
 * Waiting: a waiter tries again when a holder of this engine releases the name (at once) and
 * every {@link POLL_MS} ms otherwise (another engine's release); only while something waits.
 */
import type Database from 'better-sqlite3';
import type { MutexHolder, MutexPort, MutexRequest } from '../../engine/mutex.js';
import { signalProcess } from '../../engine/process/process-group.js';
import { engineIsAlive } from './liveness.js';
import { closeRunsDb, openRunsDb, retryBusy, type RunsDb } from './runs-db.js';

/** How often a waiting request looks again for a release by another engine, in ms. */
export const POLL_MS = 100;

interface Row {
  run_id: string;
  step_id: string | null;
  pid: number;
  hostname: string;
  heartbeat_at: string | null;
  status: string | null;
}

interface Waiting {
  name: string;
  stepId: string | null;
  waiterId: number;
  resolve: () => void;
}

/** The mutexes of one run, as this engine process sees them. */
export class RunsDbMutexes implements MutexPort {
  private readonly db: RunsDb;
  private readonly waiting = new Set<Waiting>();
  private timer: NodeJS.Timeout | null = null;
  /** Crash recovery of a dead holder's run, while it runs. */
  private recovering: Promise<void> | null = null;
  private deadSeen = false;
  private readonly tryTake: Database.Transaction<(w: Waiting) => Row | null>;
  private readonly s: Record<'holders' | 'waiters' | 'dropHolder' | 'dropWaiter' | 'addWaiter' | 'take' | 'release' | 'runOf', Database.Statement>;

  /** @param recover crash recovery of the state directory (recovery.ts), run when a holder's engine died */
  constructor(
    dbPath: string,
    private readonly self: { runId: string; pid: number; hostname: string },
    private readonly recover: () => Promise<unknown>,
  ) {
    this.db = openRunsDb(dbPath);
    const db = this.db;
    const withRun = (table: string) =>
      `SELECT t.rowid AS rid, t.run_id, t.step_id, t.pid, t.hostname, r.heartbeat_at, r.status
       FROM ${table} t LEFT JOIN runs r ON r.run_id = t.run_id WHERE t.name = ?`;
    this.s = {
      holders: db.prepare(withRun('mutex_holders')),
      waiters: db.prepare(`${withRun('mutex_waiters')} ORDER BY t.id`),
      dropHolder: db.prepare('DELETE FROM mutex_holders WHERE rowid = ?'),
      dropWaiter: db.prepare('DELETE FROM mutex_waiters WHERE rowid = ?'),
      addWaiter: db.prepare(
        `INSERT INTO mutex_waiters (name, run_id, step_id, pid, hostname, requested_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      take: db.prepare(
        `INSERT INTO mutex_holders (name, run_id, step_id, pid, hostname, acquired_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      release: db.prepare('DELETE FROM mutex_holders WHERE name = ? AND run_id = ? AND step_id IS ?'),
      runOf: db.prepare('SELECT run_id, NULL AS step_id, pid, hostname, heartbeat_at, status FROM runs WHERE run_id = ?'),
    };
    // Returns null when `w` took the name, else who holds it (or, when it is free, who is first in line).
    this.tryTake = db.transaction((w: Waiting): Row | null => {
      const holder = this.live(this.s.holders.all(w.name) as (Row & { rid: number })[], this.s.dropHolder)[0];
      const first = this.live(this.s.waiters.all(w.name) as (Row & { rid: number })[], this.s.dropWaiter)[0];
      if (holder) return holder;
      if (first && first.rid !== w.waiterId) return first;
      this.s.dropWaiter.run(w.waiterId);
      this.s.take.run(w.name, this.self.runId, w.stepId, this.self.pid, this.self.hostname, new Date().toISOString());
      return null;
    });
  }

  acquire(name: string, stepId: string | null, onBusy: (holder: MutexHolder) => void): MutexRequest {
    let resolve!: () => void;
    const held = new Promise<void>((r) => (resolve = r));
    const added = retryBusy(() =>
      this.s.addWaiter.run(name, this.self.runId, stepId, this.self.pid, this.self.hostname, new Date().toISOString()),
    );
    const w: Waiting = { name, stepId, waiterId: Number(added.lastInsertRowid), resolve };
    const blocker = retryBusy(() => this.tryTake.immediate(w));
    if (blocker === null) {
      resolve();
    } else {
      onBusy({ runId: blocker.run_id, stepId: blocker.step_id });
      this.waiting.add(w);
      this.schedulePoll();
    }
    return {
      held,
      cancel: () => {
        if (!this.waiting.delete(w)) return;
        retryBusy(() => this.s.dropWaiter.run(w.waiterId));
      },
    };
  }

  release(name: string, stepId: string | null): void {
    retryBusy(() => this.s.release.run(name, this.self.runId, stepId));
    // A waiter of this engine need not wait for the next poll.
    this.poll();
  }

  holderOf(name: string): MutexHolder | null {
    const h = (this.s.holders.all(name) as Row[]).find((r) => this.isLive(r));
    return h ? { runId: h.run_id, stepId: h.step_id } : null;
  }

  cancelHolder(holder: MutexHolder): void {
    const run = this.s.runOf.get(holder.runId) as Row | undefined;
    // Only an engine of this host can be signalled; another host's holder is waited for.
    if (run && run.hostname === this.self.hostname && this.isLive(run)) signalProcess(run.pid, 'SIGINT');
  }

  /** Withdraws every request and closes the connection (the run is over). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.waiting) retryBusy(() => this.s.dropWaiter.run(w.waiterId));
    this.waiting.clear();
    closeRunsDb(this.db);
  }

  private schedulePoll(): void {
    if (this.timer || this.waiting.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.poll();
      this.schedulePoll();
    }, POLL_MS);
  }

  private poll(): void {
    if (this.recovering) return;
    this.deadSeen = false;
    for (const w of [...this.waiting]) {
      if (retryBusy(() => this.tryTake.immediate(w)) !== null) continue;
      this.waiting.delete(w);
      w.resolve();
    }
    if (this.deadSeen) {
      this.recovering = this.recover()
        .catch(() => {})
        .then(() => {
          this.recovering = null;
          this.poll();
        });
    }
  }

  /** The rows still in force: those of runs no longer running are deleted with `drop`. */
  private live(rows: (Row & { rid: number })[], drop: Database.Statement): (Row & { rid: number })[] {
    return rows.filter((r) => {
      if (r.status !== 'running') {
        drop.run(r.rid);
        return false;
      }
      // A dead engine's row stays until crash recovery has marked its run interrupted.
      if (!this.isLive(r)) this.deadSeen = true;
      return true;
    });
  }

  private isLive(r: Row): boolean {
    if (r.status !== 'running') return false;
    return engineIsAlive({ pid: r.pid, hostname: r.hostname, heartbeat_at: r.heartbeat_at ?? new Date(0).toISOString() });
  }
}
