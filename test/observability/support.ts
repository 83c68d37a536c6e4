/**
 * Shared pieces of the observability tests: the event schema compiled with Ajv, running the
 * built CLI in the background, and reading a run's events from events.jsonl and runs.db.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { execa, type ResultPromise } from 'execa';
import { CLI, type Workspace } from '../helpers/cli.js';
import { isProcessGone, readJsonl, withRunsDb, type Event } from '../helpers/state.js';

export const EVENT_SCHEMA_PATH = fileURLToPath(new URL('../../schemas/event.schema.json', import.meta.url));

export interface JsonSchema {
  [key: string]: unknown;
  $defs: Record<string, JsonSchema>;
}

export function eventSchema(): JsonSchema {
  return JSON.parse(readFileSync(EVENT_SCHEMA_PATH, 'utf8')) as JsonSchema;
}

/** The event validator: Ajv 2020-12, strict, with the `discriminator` keyword on. */
export function eventValidator(): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true, discriminator: true });
  return ajv.compile(eventSchema());
}

/** Event types listed by the schema's oneOf (as `#/$defs/<type>` references). */
export function schemaEventTypes(schema: JsonSchema = eventSchema()): string[] {
  return (schema.oneOf as { $ref: string }[]).map((r) => r.$ref.replace('#/$defs/', ''));
}

/** The lines of a run's `events.data` column in runs.db, in seq order. */
export function dbEventLines(stateDir: string, runId: string): string[] {
  return withRunsDb(stateDir, (db) =>
    (db.prepare('SELECT data FROM events WHERE run_id = ? ORDER BY seq').all(runId) as { data: string }[]).map((r) => r.data),
  );
}

/** events.jsonl of a run, parsed. */
export function runEvents(stateDir: string, runId: string): Event[] {
  return readJsonl(stateDir, runId).events;
}

/** `engine run PLAN --state-dir … [extra]` in the background (the caller may signal it). */
export function startEngine(ws: Workspace, planPath: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): ResultPromise<{ reject: false; all: true }> {
  return execa('node', [CLI, 'run', planPath, '--state-dir', ws.stateDir, ...extra], {
    cwd: ws.dir,
    reject: false,
    all: true,
    env: { NO_COLOR: '1', ...env },
  });
}

/** Awaits an engine started in the background; kills it (ours) and fails after `deadlineMs`. */
export async function engineResult<T extends ResultPromise<{ reject: false; all: true }>>(proc: T, deadlineMs = 30_000): Promise<Awaited<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      if (proc.pid !== undefined && !isProcessGone(proc.pid)) process.kill(proc.pid, 'SIGKILL');
      reject(new Error(`engine did not exit within ${deadlineMs} ms`));
    }, deadlineMs);
  });
  try {
    return (await Promise.race([proc, timeout])) as Awaited<T>;
  } finally {
    clearTimeout(timer);
  }
}

/** Path inside a workspace. */
export const at = (ws: Workspace, name: string) => join(ws.dir, name);
