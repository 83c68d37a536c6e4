/**
 * Reading a run's events.jsonl (the run's record; runs.db is derived from it). Reading never
 * writes: {@link repairTornLine} is the separate, explicit repair for an engine killed in the
 * middle of a write.
 */
import { readFileSync, truncateSync } from 'node:fs';
import type { EngineEvent } from '../../engine/events.js';

/**
 * The complete events of `path`, in order; [] when the file does not exist. A torn last line
 * (no newline yet) is not an event and is left out.
 * @throws SyntaxError when a complete line is not JSON (the file was damaged by hand)
 */
export function readEvents(path: string): EngineEvent[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  const out: EngineEvent[] = [];
  for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
    if (line !== '') out.push(JSON.parse(line) as EngineEvent);
  }
  return out;
}

/**
 * Cuts a torn last line off `path`, so that what is appended next starts on a line of its
 * own. Returns the number of bytes removed (0 when the file ends with a newline or is missing).
 */
export function repairTornLine(path: string): number {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (end === bytes.length) return 0;
  truncateSync(path, end);
  return bytes.length - end;
}
