/**
 * schemas/event.schema.json against reality: varied plans run through the built CLI
 * (success, failure, retry, timeout, signal, spawn error, skips by trigger rule and by
 * precondition, abort, Ctrl-C and a forced second Ctrl-C, crash recovery and resume), and every
 * event they record, from events.jsonl and from runs.db's `events.data`, must validate. The
 * schema must also match the TypeScript declaration of `EngineEvent` (src/engine/events.ts),
 * read with the compiler API, type by type, so a field added to one and not the other fails.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { engineResult, plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { eventSchema, eventValidator, schemaEventTypes, type JsonSchema } from '../helpers/event-schema.js';
import { readPidFile, waitFor } from '../helpers/processes.js';
import { dbEventLines, eventsOf, onlyRunId, readJsonl, type EngineEvent } from '../helpers/record.js';
import { schemaEventShapes, tsEventShapes } from '../helpers/ts-shape.js';

interface Recorded {
  scenario: string;
  runId: string;
  /** events.jsonl lines and runs.db events.data, in seq order. */
  jsonl: string[];
  db: string[];
  exitCode: number | undefined;
}

const ws = workspacesForThisFile('engine-obs-');

function record(scenario: string, w: Workspace, exitCode: number | undefined, runId = onlyRunId(w.stateDir)): Recorded {
  return { scenario, runId, jsonl: readJsonl(w.stateDir, runId).lines, db: dbEventLines(w.stateDir, runId), exitCode };
}

/** Success, retry, timeout, signal, spawn error, skips (trigger rule and precondition), secrets. */
async function mixedRun(): Promise<Recorded> {
  const w = ws();
  const p = w.writePlan(
    plan(
      [
        { id: 'hello', command: 'echo', args: ['hi', '${GREETING}'] },
        { id: 'secret', shell: true, command: 'echo "$T"', env: { T: '${TOKEN}' }, depends_on: ['hello'] },
        { id: 'flaky', shell: true, command: 'test -f flaky.once || { touch flaky.once; exit 2; }', retries: 1, retry_delay_sec: 0.05 },
        { id: 'slow', command: 'sleep', args: ['5'], timeout_sec: 0.3, critical: false, on_failure: 'skip_dependents' },
        { id: 'after_slow', command: 'true', depends_on: ['slow'] },
        { id: 'cleanup', command: 'true', depends_on: ['slow'], trigger_rule: 'all_done' },
        { id: 'on_fail', command: 'true', depends_on: ['slow'], trigger_rule: 'one_failed' },
        { id: 'missing', command: 'engine-test-no-such-command', critical: false, on_failure: 'continue' },
        { id: 'killed', shell: true, command: 'kill -9 $$', critical: false, on_failure: 'continue' },
        { id: 'pre', command: 'true', preconditions: [{ value: '', not_empty: true }] },
      ],
      {
        vars: { GREETING: { default: 'hello' }, TOKEN: { secret: true, default: 's3cr3t' } },
        globals: { kill_grace_sec: 1, max_concurrency: 8 },
      },
    ),
  );
  const r = await engineResult(w.engine(['run', p]));
  return record('mixed', w, r.exitCode);
}

/** A critical failure aborts the run: a pending step is cancelled (reason abort). */
async function abortRun(): Promise<Recorded> {
  const w = ws();
  const p = w.writePlan(
    plan(
      [
        { id: 'bad', shell: true, command: 'sleep 0.1; exit 4' },
        { id: 'long', command: 'sleep', args: ['0.6'] },
        { id: 'later', command: 'true', depends_on: ['long'] },
        { id: 'fin', command: 'true', depends_on: ['later'], trigger_rule: 'all_done' },
      ],
      { globals: { max_concurrency: 4 } },
    ),
  );
  const r = await engineResult(w.engine(['run', p]));
  return record('abort', w, r.exitCode);
}

/** Ctrl-C, then a second Ctrl-C while the all_done cleanup runs (forced). */
async function cancelRun(): Promise<Recorded> {
  const w = ws();
  const p = w.writePlan(
    plan(
      [
        { id: 'work', shell: true, command: 'echo $$ > work.tmp && mv work.tmp work.pid; sleep 30' },
        { id: 'next', command: 'true', depends_on: ['work'] },
        { id: 'cleanup', shell: true, command: 'echo $$ > cleanup.tmp && mv cleanup.tmp cleanup.pid; sleep 30', depends_on: ['work'], trigger_rule: 'all_done' },
      ],
      { globals: { kill_grace_sec: 1 } },
    ),
  );
  const proc = w.engine(['run', p]);
  await waitFor(() => readPidFile(join(w.dir, 'work.pid')), 'the work step to start', { timeoutMs: 20_000 });
  process.kill(proc.pid!, 'SIGINT');
  await waitFor(() => readPidFile(join(w.dir, 'cleanup.pid')), 'the cleanup step to start', { timeoutMs: 20_000 });
  process.kill(proc.pid!, 'SIGINT');
  const r = await engineResult(proc);
  return record('cancel', w, r.exitCode);
}

/** The engine is SIGKILLed mid-run; recovery writes run_interrupted, resume run_resumed. */
async function interruptedAndResumedRun(): Promise<Recorded> {
  const w = ws();
  const p = w.writePlan(
    plan(
      [
        { id: 'quick', command: 'true' },
        { id: 'slow', shell: true, command: 'test -f go && exit 0; echo $$ > slow.tmp && mv slow.tmp slow.pid; sleep 30', depends_on: ['quick'] },
      ],
      { globals: { kill_grace_sec: 1 } },
    ),
  );
  const proc = w.engine(['run', p]);
  await waitFor(() => readPidFile(join(w.dir, 'slow.pid')), 'the slow step to start', { timeoutMs: 20_000 });
  proc.kill('SIGKILL');
  await proc;
  expect((await w.engine(['runs', '--json', '--state-dir', w.stateDir])).exitCode).toBe(0);
  writeFileSync(join(w.dir, 'go'), '');
  const resumed = await w.engine(['resume', onlyRunId(w.stateDir), '--state-dir', w.stateDir]);
  return record('interrupted+resumed', w, resumed.exitCode);
}

/** Mutexes: a run waits for its globals.mutex, held by another run, then one step waits for a sibling's mutex. */
async function mutexRun(): Promise<Recorded> {
  const w = ws();
  const holder = w.writePlan(plan([{ id: 'hold', command: 'sh', args: ['-c', 'touch held; sleep 0.6'] }], { plan_id: 'holder', globals: { mutex: 'g' } }), 'holder.json');
  const waiter = w.writePlan(
    plan(
      [
        { id: 'one', command: 'sleep', args: ['0.3'], mutex: 'm' },
        { id: 'two', command: 'sleep', args: ['0.1'], mutex: 'm' },
      ],
      { plan_id: 'waiter', globals: { mutex: 'g', max_concurrency: 2 } },
    ),
    'waiter.json',
  );
  const first = w.engine(['run', holder]);
  await waitFor(() => existsSync(join(w.dir, 'held')), 'the holder to start', { timeoutMs: 20_000 });
  const before = new Set(readdirSync(join(w.stateDir, 'runs')));
  const r = await engineResult(w.engine(['run', waiter]));
  await engineResult(first);
  const runId = readdirSync(join(w.stateDir, 'runs')).find((id) => !before.has(id))!;
  return record('mutex', w, r.exitCode, runId);
}

/** Data between steps (issue 13): outputs, a for_each expansion, a matrix stopped by fail_fast, and the failures without an attempt. */
async function dataRun(): Promise<Recorded> {
  const w = ws();
  const p = w.writePlan(
    plan(
      [
        { id: 'list', shell: true, command: 'echo \'files=["a","b"]\' >> "$ENGINE_OUTPUT"; echo v=1 >> "$ENGINE_OUTPUT"' },
        { id: 'each', command: 'echo', args: ['${item}'], for_each: '${steps.list.outputs.files}', depends_on: ['list'] },
        { id: 'grid', shell: true, command: 'test ${matrix.n} != 1', matrix: { n: ['1', '2'] }, max_parallel: 1, fail_fast: true, critical: false, on_failure: 'continue' },
        { id: 'missing', command: 'echo', args: ['${steps.list.outputs.nope}'], depends_on: ['list'], critical: false, on_failure: 'continue' },
        { id: 'bad_output', shell: true, command: 'echo "not an output" >> "$ENGINE_OUTPUT"', critical: false, on_failure: 'continue' },
        { id: 'bad_list', command: 'true', for_each: '${steps.list.outputs.v}', depends_on: ['list'], critical: false, on_failure: 'continue' },
      ],
      { globals: { max_concurrency: 2 } },
    ),
  );
  const r = await engineResult(w.engine(['run', p]));
  return record('data', w, r.exitCode);
}

let runs: Recorded[] = [];
let schema: JsonSchema;

beforeAll(async () => {
  schema = eventSchema();
  runs = await Promise.all([mixedRun(), abortRun(), cancelRun(), interruptedAndResumedRun(), mutexRun(), dataRun()]);
}, 120_000);

const parsed = (r: Recorded): EngineEvent[] => r.jsonl.map((l) => JSON.parse(l) as EngineEvent);
const allEvents = (): EngineEvent[] => runs.flatMap(parsed);

describe('the scenarios ran as intended', () => {
  it('exit codes: mixed 0 (only non-critical failures), abort 1, cancel 130, resumed 0, mutex 0', () => {
    expect(Object.fromEntries(runs.map((r) => [r.scenario, r.exitCode]))).toEqual({
      mixed: 0,
      abort: 1,
      cancel: 130,
      'interrupted+resumed': 0,
      mutex: 0,
      data: 0,
    });
  });

  it('runs.db holds byte for byte the events.jsonl lines', () => {
    for (const r of runs) expect(r.db, r.scenario).toEqual(r.jsonl);
  });
});

describe('schemas/event.schema.json', () => {
  it('validates every recorded event, from events.jsonl and from runs.db', () => {
    const validate = eventValidator();
    let checked = 0;
    for (const r of runs) {
      for (const [source, lines] of [
        ['events.jsonl', r.jsonl],
        ['runs.db', r.db],
      ] as const) {
        for (const line of lines) {
          const ok = validate(JSON.parse(line));
          expect(ok, `${r.scenario} ${source}: ${line}\n${JSON.stringify(validate.errors, null, 2)}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it('was exercised by every event type, every reason and every final run status', () => {
    const events = allEvents();
    const types = new Set(events.map((e) => e.type));
    expect([...types].sort()).toEqual(schemaEventTypes(schema).sort());
    const values = <T extends EngineEvent['type']>(type: T, field: keyof Extract<EngineEvent, { type: T }>) =>
      new Set(eventsOf(events, type).map((e) => e[field]));
    expect(values('step_failed', 'reason')).toEqual(new Set(['exit_code', 'timeout', 'signal', 'spawn_error', 'output_error', 'missing_output', 'for_each_error', 'instances_failed']));
    expect(values('step_skipped', 'reason')).toEqual(new Set(['trigger_rule', 'precondition']));
    expect(values('step_cancelled', 'reason')).toEqual(new Set(['abort', 'run_cancelled', 'fail_fast']));
    expect(values('run_finished', 'status')).toEqual(new Set(['succeeded', 'failed', 'cancelled']));
    expect(values('run_cancel_requested', 'forced')).toEqual(new Set([false, true]));
    expect(values('step_failed', 'will_retry')).toEqual(new Set([false, true]));
    expect(values('step_started', 'pid').has(null)).toBe(true);
    expect(values('step_cancelled', 'attempt').has(null)).toBe(true);
    expect([...values('step_cancelled', 'attempt')].some((a) => typeof a === 'number')).toBe(true);
  });

  it('lists, for each type, exactly the keys the recorded events have', () => {
    for (const e of allEvents()) {
      const props = Object.keys((schema.$defs[e.type]!.properties ?? {}) as object);
      expect(Object.keys(e).sort(), `${e.type} keys`).toEqual(props.sort());
      expect((schema.$defs[e.type]!.required as string[]).sort(), `${e.type} required`).toEqual(props.sort());
    }
  });

  it('matches the TypeScript declaration of EngineEvent, type by type (names, required, value types, literals)', () => {
    const fromTs = tsEventShapes();
    const fromSchema = schemaEventShapes(schema);
    expect([...fromSchema.keys()].sort()).toEqual([...fromTs.keys()].sort());
    for (const [type, shape] of fromTs) expect(fromSchema.get(type), `schema shape of ${type}`).toBe(shape);
    // The comparison itself notices drift: a dropped field, a new enum value, a loosened object.
    const drifted = (mutate: (s: JsonSchema) => void) => {
      const copy = structuredClone(schema);
      mutate(copy);
      return schemaEventShapes(copy);
    };
    const props = (s: JsonSchema, type: string) => s.$defs[type]!.properties as Record<string, unknown>;
    expect(drifted((s) => delete props(s, 'run_finished').skipped).get('run_finished')).not.toBe(fromTs.get('run_finished'));
    expect(drifted((s) => (s.$defs.skip_reason!.enum as string[]).push('manual')).get('step_skipped')).not.toBe(fromTs.get('step_skipped'));
    expect(drifted((s) => delete s.$defs.planned_step!.additionalProperties).get('run_started')).not.toBe(fromTs.get('run_started'));
  });

  it('rejects drift: an unknown field, a missing field, an unknown reason, an unknown type', () => {
    const validate = eventValidator();
    const failed = parsed(runs[0]!).find((e) => e.type === 'step_failed')!;
    expect(validate(failed)).toBe(true);
    expect(validate({ ...failed, extra: 1 })).toBe(false);
    const { error: _error, ...missing } = failed;
    expect(validate(missing)).toBe(false);
    expect(validate({ ...failed, reason: 'oom' })).toBe(false);
    expect(validate({ ...failed, type: 'step_exploded' })).toBe(false);
    expect(validate({ ...failed, ts: '2025-01-02 03:04:05' })).toBe(false);
    const finished = parsed(runs[0]!).find((e) => e.type === 'run_finished')!;
    expect(validate({ ...finished, exit_code: 1 })).toBe(false);
  });

  it('is valid JSON Schema 2020-12 that Ajv compiles in strict mode', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(() => eventValidator()).not.toThrow();
  });
});
