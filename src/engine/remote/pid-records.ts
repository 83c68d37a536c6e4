/**
 * A worker's record of the attempts it started (issue 16), so that no step process outlives
 * its worker's claim on it: `<work dir>/pids/<worker pid>.json` lists each attempt (its run,
 * step and attempt number, and its process group), written right after its process is
 * spawned, in place (a reader that meets a half-written file skips it until its next look). A worker that starts finds the files of workers that are gone (a kill -9, a crash)
 * and kills what they left: each recorded process group, and every process whose environment
 * names one of their attempts (process-scan.ts: children that left their group, a process
 * spawned just before the worker died). The jobs of those attempts were reported lost by
 * BullMQ's stalled check and retried elsewhere, so their processes must not keep running.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { processExists, signalProcess, signalProcessGroup } from '../process/process-group.js';
import { engineEnvOf, processesOfRun } from '../process/process-scan.js';

export interface RecordedAttempt {
  runId: string;
  stepId: string;
  attempt: number;
  /** The process group (= pid of the step's main process); null when it could not start. */
  pgid: number | null;
}

interface RecordFile {
  pid: number;
  /** The worker process's start time (/proc), so a reused pid is not taken for it. */
  startTime: string | null;
  attempts: Record<string, RecordedAttempt>;
}

export class PidRecords {
  private readonly path: string;
  private readonly fd: number;
  private readonly file: RecordFile;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${process.pid}.json`);
    this.fd = openSync(this.path, 'w');
    this.file = { pid: process.pid, startTime: startTimeOf(process.pid), attempts: {} };
    this.save();
  }

  /** The attempt of job `jobId` was spawned: its processes are this worker's until {@link remove}. */
  add(jobId: string, a: RecordedAttempt): void {
    this.file.attempts[jobId] = a;
    this.save();
  }

  /** The attempt's processes are gone. */
  remove(jobId: string): void {
    delete this.file.attempts[jobId];
    this.save();
  }

  /** The worker stops: its record goes. */
  close(): void {
    closeSync(this.fd);
    rmSync(this.path, { force: true });
  }

  /** The file's length: a shorter record is padded with spaces to it (JSON allows them), without an ftruncate per attempt. */
  private length = 0;

  private save(): void {
    const json = JSON.stringify(this.file);
    const text = Buffer.from(json.length < this.length ? json.padEnd(this.length) : json);
    writeSync(this.fd, text, 0, text.length, 0);
    // Shrunk back once the padding outgrows the record (many attempts at once, then few).
    if (text.length > 4 * json.length + 4096) {
      ftruncateSync(this.fd, json.length);
      this.length = json.length;
    } else this.length = text.length;
  }
}

/**
 * Kills what dead workers recorded in `dir` left running, and removes their records.
 * @returns one line per process killed, for the worker's log
 */
export function killLeftovers(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const killed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let file: RecordFile;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as RecordFile;
    } catch {
      continue;
    }
    if (file.pid === process.pid || isAlive(file)) continue;
    for (const [jobId, a] of Object.entries(file.attempts)) {
      for (const pid of processesOfRun(a.runId, { stepId: a.stepId, attempt: a.attempt })) {
        if (signalProcess(pid, 'SIGKILL')) killed.push(`killed process ${pid} of job ${jobId} (left by worker pid ${file.pid})`);
      }
      if (a.pgid !== null && isGroupOf(a) && signalProcessGroup(a.pgid, 'SIGKILL')) {
        killed.push(`killed process group ${a.pgid} of job ${jobId} (left by worker pid ${file.pid})`);
      }
    }
    rmSync(path, { force: true });
  }
  return killed;
}

/** The worker that wrote the record still runs (same pid and, where /proc says, same start). */
function isAlive(file: RecordFile): boolean {
  if (!processExists(file.pid)) return false;
  const now = startTimeOf(file.pid);
  return now === null || file.startTime === null || now === file.startTime;
}

/**
 * The group is still the attempt's: its leader is gone (a group id is not reused while any
 * member lives) or its environment names the attempt.
 */
function isGroupOf(a: RecordedAttempt): boolean {
  if (!processExists(a.pgid!)) return true;
  const env = engineEnvOf(a.pgid!);
  return env !== null && env.runId === a.runId && env.stepId === a.stepId && env.attempt === a.attempt;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null without /proc. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
