/**
 * Appends every event as one JSON line to `runs/<run_id>/events.jsonl`. Each line is written
 * with a synchronous write(2) on a file opened for appending, so an event is in the file (the
 * OS page cache) as soon as it has been handed over: killing the engine with SIGKILL right
 * after loses nothing. This is the run's record: runs.db is derived from the same lines.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EngineEvent } from '../../engine/events.js';

/** The JSON text of an event: one line of events.jsonl and `events.data` in runs.db. */
export function serializeEvent(event: EngineEvent): string {
  return JSON.stringify(event);
}

export class EventsFile {
  private fd: number | null;

  /** Opens (creating it and its parent directories when missing) `path` for appending. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  /** Appends `json` (one serialized event) and a newline, synchronously. */
  append(json: string): void {
    if (this.fd === null) throw new Error(`events file ${this.path} is closed`);
    const bytes = Buffer.from(json + '\n', 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}
