/**
 * What the engine and its workers (issue 16) agree on besides BullMQ's own job states: job
 * ids, the queue a step's `runs_on` labels select, a job's data, the run's stream of worker
 * reports and cancel requests. Pure: no Redis, no BullMQ.
 *
 * What Redis holds, and for how long (README, "Running on several machines"):
 * - a job per queued or running attempt (BullMQ's keys under `bull:<queue>:`), with the
 *   attempt's request: command, environment (secrets included) and the secret values to
 *   redact. Removed when it completes or fails (removeOnComplete/removeOnFail), when the
 *   engine cancels it or records it lost, or by crash recovery;
 * - `engine:run:<run_id>`: a stream of what workers report for the run (picked up, log chunks,
 *   results), read and trimmed by the engine as it goes, deleted at the run's end, and
 *   expiring whatever happens {@link STREAM_TTL_MS} after a worker last renewed its expiry (at
 *   most a minute before its last write, log-stream.ts). Log chunks are the
 *   log file's bytes, already redacted on the worker;
 * - `engine:cancel:<job id>`: a cancel request, expiring after {@link CANCEL_TTL_SEC}.
 */
import type { AttemptRequest, AttemptResult } from '../attempt.js';

/**
 * Version of {@link JobData} and of the run's stream entries: a worker refuses a job of another
 * version. 2: pick-up, log and result may share one stream entry.
 */
export const PROTOCOL_VERSION = 2;

/** Labels of a worker or a step's `runs_on`: names and values of letters, digits, `_`, `.`, `-`. */
export const LABEL_PATTERN = /^[A-Za-z0-9_.-]{1,100}$/;
/** At most this many labels per worker: it serves 2^labels queues. */
export const MAX_LABELS = 4;

/** Channel on which the engine publishes cancel requests (JSON {@link CancelMessage}). */
export const CANCEL_CHANNEL = 'engine:cancel';
/** A cancel request outlives any job it could still meet. */
export const CANCEL_TTL_SEC = 24 * 3600;
/** A run's stream of worker reports expires this long after its expiry was last renewed (log-stream.ts). */
export const STREAM_TTL_MS = 24 * 3600 * 1000;
/** Log chunks are at most this large. */
export const LOG_CHUNK_BYTES = 64 * 1024;
/** A worker stops sending log chunks while the run's stream holds this many unread entries. */
export const STREAM_HIGH_WATER = 64;
/** …and resumes once the engine has read it down to this many. */
export const STREAM_LOW_WATER = 16;

/**
 * The id of the job of one attempt: unique (attempt numbers continue across resumes) and
 * derived from the record alone, so crash recovery finds the jobs of a dead run.
 */
export function jobIdOf(runId: string, stepId: string, attempt: number): string {
  return `${runId}.${attempt}.${stepId}`;
}

export function runStreamKey(runId: string): string {
  return `engine:run:${runId}`;
}

export function cancelKey(jobId: string): string {
  return `engine:cancel:${jobId}`;
}

/** The queue of steps that need `labels`: the base queue for none, else `<base>@k=v,…` (names sorted). */
export function queueFor(base: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? base : `${base}@${keys.map((k) => `${k}=${labels[k]}`).join(',')}`;
}

/**
 * The queues a worker with `labels` takes jobs from: one per subset of its labels, so a step
 * asking for some of them (or none) reaches every worker that has them all. BullMQ workers
 * cannot filter jobs, so routing is by queue.
 */
export function queuesServed(base: string, labels: Readonly<Record<string, string>>): string[] {
  const keys = Object.keys(labels).sort();
  const out: string[] = [];
  for (let mask = 0; mask < 1 << keys.length; mask++) {
    const subset: Record<string, string> = {};
    keys.forEach((k, i) => {
      if (mask & (1 << i)) subset[k] = labels[k]!;
    });
    out.push(queueFor(base, subset));
  }
  return out;
}

/**
 * `k=v,k2=v2` (`engine worker --labels`) → labels.
 * @throws Error naming the bad entry
 */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of text.split(',')) {
    const at = entry.indexOf('=');
    const [k, v] = at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
    if (!LABEL_PATTERN.test(k) || !LABEL_PATTERN.test(v)) throw new Error(`"${entry}" is not NAME=VALUE (letters, digits, _ . -)`);
    if (k in labels) throw new Error(`label "${k}" is given twice`);
    labels[k] = v;
  }
  if (Object.keys(labels).length > MAX_LABELS) throw new Error(`at most ${MAX_LABELS} labels (a worker serves one queue per subset of them)`);
  return labels;
}

/** A job's data: the attempt as the run loop asked for it, but its log file, which the worker keeps locally and streams back. */
export interface JobData {
  v: typeof PROTOCOL_VERSION;
  runId: string;
  request: Omit<AttemptRequest, 'logPath' | 'outputPath'>;
}

/** A cancel request: SIGTERM (the step's kill signal), grace, SIGKILL; or SIGKILL at once when `forced`. */
export interface CancelMessage {
  job: string;
  forced: boolean;
}

/**
 * One entry of a run's stream (fields of a Redis stream entry) about job `j`, carrying any of:
 * the worker took the job and started its process (`up`, in the attempt's first entry); a
 * chunk of its log (`log`); its result (`end`, the attempt's last entry: the whole
 * {@link AttemptResult} as JSON, so fields added to it travel unchanged, with the number of log
 * bytes it could not stream when the engine stopped reading). A worker puts what it has ready
 * into one entry: a short step's pick-up, log and result are one XADD and one read.
 */
export interface StreamEntry {
  j: string;
  up?: { worker: string; pid: number | null; startedAtMs: number };
  log?: Buffer;
  end?: { worker: string; result: AttemptResult; cutBytes: number };
}

/** A stream entry as XADD field/value pairs. */
export function entryFields(e: StreamEntry): (string | Buffer)[] {
  const f: (string | Buffer)[] = ['j', e.j];
  if (e.up) f.push('w', e.up.worker, 'p', e.up.pid === null ? '' : String(e.up.pid), 's', String(e.up.startedAtMs));
  if (e.log) f.push('d', e.log);
  if (e.end) f.push('ew', e.end.worker, 'r', JSON.stringify(e.end.result), 'cut', String(e.end.cutBytes));
  return f;
}

/** An XREAD entry's fields back into a {@link StreamEntry}; null for what this engine does not know. */
export function parseEntry(fields: readonly Buffer[]): StreamEntry | null {
  const f = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!.toString(), fields[i + 1]!);
  const text = (k: string): string => f.get(k)?.toString() ?? '';
  const e: StreamEntry = { j: text('j') };
  if (f.has('s')) e.up = { worker: text('w'), pid: text('p') === '' ? null : Number(text('p')), startedAtMs: Number(text('s')) };
  const data = f.get('d');
  if (data) e.log = data;
  if (f.has('r')) {
    try {
      e.end = { worker: text('ew'), result: JSON.parse(text('r')) as AttemptResult, cutBytes: Number(text('cut')) || 0 };
    } catch {
      return null;
    }
  }
  return e.up || e.log || e.end ? e : null;
}

/** The stream id right after `id` (`ms-seq`): XTRIM MINID with it removes `id` and everything before. */
export function nextStreamId(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${BigInt(seq ?? '0') + 1n}`;
}

/** A Redis URL as it may be shown and recorded: without its password. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(an invalid URL)';
  }
}
