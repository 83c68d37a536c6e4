/**
 * Containment of a run's processes in a cgroup (issue 11): where cgroup v2 is mounted and
 * writable (Linux, as root or with a delegated cgroup), the engine moves itself into a cgroup
 * of its own for the run, `<its cgroup>/engine-run-<run_id>-<pid>`, before it starts any step. Every
 * process the run starts is then in that cgroup from its first instruction, including children
 * that leave their process group with setsid(1) and a step the engine was killed between
 * spawning and recording, and a process cannot leave a cgroup by itself. So:
 * - crash recovery kills the whole cgroup (`cgroup.kill`), wherever the processes went;
 * - when the run ends, what is still in it (daemons a step left behind) is killed: no process
 *   outlives its run;
 * - a step's timeout or cancel also reaches its escaped children (found among the cgroup's
 *   processes by their ENGINE_* environment, process-scan.ts).
 * Elsewhere (no cgroup v2, not writable, macOS, or `ENGINE_CGROUP=off`) the engine falls back
 * to process groups plus the environment scan of process-scan.ts, which finds escaped children
 * that kept their environment (on Linux): the same three rules hold for those.
 *
 * The cgroup's path is recorded in `run_started.cgroup` / `run_resumed.cgroup`, so recovery in
 * another process finds it.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, write, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../errors.js';
import { processGone } from './process-group.js';
import { processesOfRun } from './process-scan.js';

/** How a run's processes are contained, for the run's engine. */
export interface RunContainment {
  /** Absolute path of the run's cgroup directory, or null (process groups and the environment scan). */
  readonly cgroup: string | null;
  /**
   * Every step has ended: kills whatever the run left running (a daemon a step started in a
   * new session) and waits (at most 5 s) until it is gone. Called before `run_finished` is
   * recorded, so that a run recorded as finished has nothing left. Never throws.
   */
  killLeftovers(): Promise<void>;
  /** After the run: (with a cgroup) moves the engine back where it came from (the write runs in
   * libuv's thread pool: the caller may close its sinks meanwhile) and removes the cgroup.
   * Returns null, or why it could not. Never throws. */
  release(): Promise<string | null>;
}

/** What `ENGINE_CGROUP` asks for: `auto` (unset or empty), `on` or `off`. */
type CgroupSetting = 'auto' | 'on' | 'off';

/**
 * Contains run `runId`: starts moving this process into a new cgroup for it when cgroups can
 * be used here (see the module comment), else falls back to process groups and the
 * environment scan. `ENGINE_CGROUP` is checked at once; the cgroup directory is made at once
 * too, but the move itself is only started: await the result before anything of the run is
 * spawned or recorded (`run_started` names the cgroup). Moving a multi-threaded process
 * blocks the writer until an RCU grace period has passed (5-17 ms measured here: Linux 6.18,
 * 2 cores, writeFileSync on the main thread), so the write runs in libuv's thread pool while
 * the caller does its other start-up work (opening runs.db, recovery: 15-20 ms). A rejection
 * is marked handled here, so awaiting the result only later is safe.
 * @throws UserError (synchronously) when `ENGINE_CGROUP` has an unknown value; the result
 *   rejects with a UserError when `ENGINE_CGROUP=on` but no writable cgroup v2 is available
 */
export function containRun(runId: string, env: NodeJS.ProcessEnv = process.env): Promise<RunContainment> {
  const wanted = cgroupSetting(env);
  const contained = enterRunCgroup(runId, wanted).then(
    (cgroup): RunContainment =>
      cgroup ?? {
        cgroup: null,
        killLeftovers: () => killAll(() => processesOfRun(runId)),
        release: async () => null,
      },
  );
  contained.catch(() => {}); // the caller awaits it later, after other start-up work
  return contained;
}

/**
 * `ENGINE_CGROUP`, checked.
 * @throws UserError when it has a value other than auto, on, off or empty
 */
function cgroupSetting(env: NodeJS.ProcessEnv): CgroupSetting {
  const wanted = env.ENGINE_CGROUP ?? 'auto';
  if (wanted !== 'auto' && wanted !== 'on' && wanted !== 'off' && wanted !== '') {
    throw new UserError(`ENGINE_CGROUP=${wanted}: expected auto, on or off`);
  }
  return wanted === '' ? 'auto' : wanted;
}

/** SIGKILLs what `find` lists until it lists nothing (a dying process may have forked), at most 5 s. */
async function killAll(find: () => number[]): Promise<void> {
  for (let waitedMs = 0; waitedMs < 5000; waitedMs += 10) {
    const left = find().filter((pid) => !processGone(pid));
    if (left.length === 0) return;
    for (const pid of left) killQuietly(pid);
    await sleep(10);
  }
}

/**
 * Moves this process into a new cgroup for run `runId`; null where it cannot (the fallback).
 * The directory is made synchronously, the move is awaited.
 * @throws UserError (as a rejection) when `wanted` is `on` and the move is not possible
 */
async function enterRunCgroup(runId: string, wanted: CgroupSetting): Promise<RunContainment | null> {
  if (wanted === 'off') return null;
  const own = ownCgroup();
  let path: string | null = null;
  let why = own === null ? 'no cgroup v2 hierarchy is mounted' : '';
  if (own !== null) {
    // One cgroup per engine process of the run: a resumed run gets a new one, so recovery of
    // the dead engine's cgroup never touches the processes of the engine that resumed it.
    path = join(own.dir, `engine-run-${runId}-${process.pid}`);
    try {
      mkdirSync(path, { recursive: true });
      const moving = writeInThreadPool(join(path, 'cgroup.procs'), `${process.pid}\n`);
      removeAbandoned(own.dir);
      await moving;
    } catch (err) {
      why = `${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      tryRemove(path);
      path = null;
    }
  }
  if (path === null || own === null) {
    if (wanted === 'on') throw new UserError(`ENGINE_CGROUP=on, but the run cannot have a cgroup: ${why}`);
    return null;
  }
  const runPath = path;
  return {
    cgroup: runPath,
    killLeftovers: () => killAll(() => cgroupPids(runPath).filter((pid) => pid !== process.pid)),
    release: async () => {
      try {
        // In the thread pool too: leaving waits for a grace period as well, 12-20 ms here,
        // which the caller spends closing the run's sinks meanwhile.
        await writeInThreadPool(join(own.dir, 'cgroup.procs'), `${process.pid}\n`);
      } catch (err) {
        return `cannot leave ${runPath}: ${(err as Error).message}`;
      }
      return killCgroup(runPath);
    },
  };
}

/**
 * Writes `text` to the (cgroup interface) file at `path` with one write(2) in libuv's thread
 * pool; the file is opened and closed synchronously (microseconds). Unlike node:fs/promises
 * writeFile, whose write is queued only once the main thread has seen its open complete (so
 * nothing overlaps while the main thread runs synchronous start-up work: measured, after 20 ms
 * of it the move still took 8-17 ms more; with this 0.2 ms), the write starts before this
 * returns. Resolves once the write is done.
 * @throws (as a rejection) the open's or the write's error, e.g. EACCES, EBUSY, ENOENT
 */
function writeInThreadPool(path: string, text: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return new Promise((resolve, reject) => {
    write(fd, text, (err) => {
      try {
        closeSync(fd);
      } catch {
        // the write's outcome is what counts
      }
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * Removes the empty run cgroups (`engine-run-<run_id>-<pid>`) in `dir` whose engine is gone:
 * an engine killed between making its cgroup and recording `run_started` leaves one that no
 * recovery knows of (recovery kills and removes the cgroups that runs.db names). Populated
 * cgroups cannot be removed (EBUSY) and are left to recovery; a live engine's are skipped.
 * Runs while this engine's own move is under way in the thread pool. Never throws.
 */
function removeAbandoned(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith('engine-run-'));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(name.lastIndexOf('-') + 1));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !processGone(pid)) continue;
    const path = join(dir, name);
    if (cgroupPids(path).length === 0) tryRemove(path);
  }
}

/** Pids in the cgroup at `path` ([] when it does not exist). */
export function cgroupPids(path: string): number[] {
  try {
    return readFileSync(join(path, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Kills every process in the cgroup at `path` (`cgroup.kill`, or SIGKILL to each where the
 * kernel lacks it), waits until it is empty (at most 5 s) and removes it. Returns null, or why
 * it could not finish. Never throws.
 */
export async function killCgroup(path: string): Promise<string | null> {
  if (!existsSync(path)) return null;
  try {
    if (existsSync(join(path, 'cgroup.kill'))) writeFileSync(join(path, 'cgroup.kill'), '1\n');
    else for (const pid of cgroupPids(path)) killQuietly(pid);
  } catch (err) {
    return `cannot kill the processes of ${path}: ${(err as Error).message}`;
  }
  for (let waitedMs = 0; cgroupPids(path).length > 0; waitedMs += 10) {
    if (waitedMs >= 5000) return `${path} still holds processes ${cgroupPids(path).join(', ')} after SIGKILL`;
    await sleep(10);
  }
  return tryRemove(path) ? null : `cannot remove ${path}`;
}

/** The cgroup v2 directory this process is in, or null without a cgroup v2 mount. */
function ownCgroup(): { dir: string } | null {
  let mountinfo: string;
  let cgroup: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    cgroup = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return null;
  }
  // mountinfo: "id parent major:minor root mountpoint options ... - fstype source superoptions"
  const mount = mountinfo
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[f.indexOf('-') + 1] === 'cgroup2' && f[3] === '/');
  const own = cgroup.split('\n').find((l) => l.startsWith('0::'));
  if (!mount || own === undefined) return null;
  return { dir: join(mount[4]!, own.slice(3)) };
}

/** Removes the cgroup at `path` and, first, its child cgroups (a nested engine's). */
function tryRemove(path: string): boolean {
  try {
    for (const entry of readdirSync(path, { withFileTypes: true })) if (entry.isDirectory()) tryRemove(join(path, entry.name));
    rmdirSync(path);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
