/**
 * A step program that records its own start and end times, for end-to-end tests of order,
 * concurrency and retry delays as the step processes saw them; and interval arithmetic on
 * what it recorded.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { plan, type EngineResult, type Workspace } from './cli.js';

/** Builds a plan step running the recorder: `rec(id, sleepMs, extra)` (see {@link recorderStep}). */
export type RecorderStep = (id: string, sleepMs: number, extra?: Record<string, unknown>) => Record<string, unknown>;

/**
 * Writes `<ws.dir>/rec.mjs`, a step program: `node rec.mjs NAME SLEEP_MS [FAIL_BELOW_ATTEMPT]`.
 * It appends `{"attempt", "start", "end"}` (epoch ms, measured inside the step process) as one
 * JSON line to `<cwd>/times/NAME.jsonl`, sleeping SLEEP_MS in between, prints a line to its
 * log, and exits 1 while `$ENGINE_ATTEMPT` < FAIL_BELOW_ATTEMPT (else 0).
 * @returns a step factory: `rec(id, sleepMs, extra)` builds a plan step running it; `extra`
 * is merged into the step, except `failBelowAttempt`, which becomes the third argument.
 */
export function recorderStep(ws: Workspace): RecorderStep {
  const script = join(ws.dir, 'rec.mjs');
  writeFileSync(
    script,
    `import { appendFileSync, mkdirSync } from 'node:fs';
const [name, sleepMs, failBelow] = process.argv.slice(2);
const attempt = Number(process.env.ENGINE_ATTEMPT ?? 0);
const start = Date.now();
await new Promise((r) => setTimeout(r, Number(sleepMs)));
const code = failBelow !== undefined && attempt < Number(failBelow) ? 1 : 0;
console.log('step ' + name + ' attempt ' + attempt + ' exiting ' + code);
mkdirSync('times', { recursive: true });
appendFileSync('times/' + name + '.jsonl', JSON.stringify({ attempt, start, end: Date.now() }) + '\\n');
process.exit(code);
`,
  );
  return (id, sleepMs, extra = {}) => {
    const { failBelowAttempt, ...rest } = extra as { failBelowAttempt?: number };
    const args = [script, id, String(sleepMs)];
    if (failBelowAttempt !== undefined) args.push(String(failBelowAttempt));
    return { id, command: process.execPath, args, ...rest };
  };
}

/**
 * Runs, in `ws`, the plan whose steps `build` returns (given the {@link recorderStep} factory
 * of `ws`, and `ws`), with `extra` top-level plan fields and `cliArgs` after `engine run PLAN`.
 * @returns the workspace, the engine's result and the wall-clock ms the run took.
 */
export async function runRecorderPlan(
  ws: Workspace,
  build: (rec: RecorderStep, ws: Workspace) => unknown[],
  extra: Record<string, unknown> = {},
  cliArgs: string[] = [],
): Promise<{ ws: Workspace; result: EngineResult; wallMs: number }> {
  const rec = recorderStep(ws);
  const path = ws.writePlan(plan(build(rec, ws), extra));
  const t0 = Date.now();
  const result = await ws.engine(['run', path, ...cliArgs]);
  return { ws, result, wallMs: Date.now() - t0 };
}

/** One attempt of a recorder step: its name, attempt number, and start and end in epoch ms. */
export interface Interval {
  name: string;
  attempt: number;
  start: number;
  end: number;
}

/**
 * Intervals recorded by {@link recorderStep} steps that ran with `cwd` (default the
 * workspace directory) as working directory.
 * @returns step name → its intervals (all attempts, by attempt number); `{}` when none ran.
 */
export function recordedTimes(ws: Workspace, cwd = ws.dir): Record<string, Interval[]> {
  const dir = join(cwd, 'times');
  const out: Record<string, Interval[]> = {};
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir)) {
    const name = f.replace(/\.jsonl$/, '');
    out[name] = readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => ({ name, ...(JSON.parse(l) as { attempt: number; start: number; end: number }) }))
      .sort((a, b) => a.attempt - b.attempt);
  }
  return out;
}

/** The single recorded interval of a step that ran once; throws when it has not exactly one. */
export function onlyInterval(times: Record<string, Interval[]>, name: string): Interval {
  const list = times[name];
  if (!list || list.length !== 1) throw new Error(`expected one recorded interval of ${name}, got ${list?.length ?? 0}`);
  return list[0]!;
}

/** The largest number of half-open intervals [start, end) that overlap at one instant. */
export function maxOverlap(intervals: readonly { start: number; end: number }[]): number {
  // At equal times an end comes before a start: touching intervals do not overlap.
  const points = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let cur = 0;
  let max = 0;
  for (const p of points) {
    cur += p.d;
    max = Math.max(max, cur);
  }
  return max;
}
