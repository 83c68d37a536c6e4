/**
 * A for_each run killed with -9 while its instances run (issue 13 with crash recovery):
 * resume keeps the instances that succeeded (with their outputs), reruns the interrupted ones
 * with attempt numbers that continue, and the aggregate output has every instance's value.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { eventsOf, onlyRunId, readEvents, runRow, stepRows } from '../helpers/record.js';

const workspace = workspacesForThisFile('engine-fanout-resume-');

describe('resume of a for_each run killed with -9', () => {
  it('keeps succeeded instances and their outputs, reruns the interrupted ones as attempt 2, and aggregates all', async () => {
    const ws = workspace();
    const p = ws.writePlan(
      plan([
        { id: 'list', command: 'sh', args: ['-c', `echo 'files=["a","b","c"]' >> "$ENGINE_OUTPUT"`] },
        {
          id: 'each',
          depends_on: ['list'],
          for_each: '${steps.list.outputs.files}',
          max_parallel: 2,
          // a and b finish at once; c waits for the file `go` (so it runs when the engine is killed).
          command: 'sh',
          args: ['-c', 'if [ "${item}" = c ]; then while [ ! -f go ]; do sleep 0.05; done; fi; echo "${item}" >> ran.log; echo "n=${item}-$ENGINE_ATTEMPT" >> "$ENGINE_OUTPUT"'],
        },
        { id: 'sum', depends_on: ['each'], command: 'sh', args: ['-c', 'printf "%s\\n" "$1" > sum.txt', 'sh', '${steps.each.outputs.n}'] },
      ]),
    );
    const engine = ws.engine(['run', p]);
    await waitFor(() => existsSync(join(ws.dir, 'ran.log')) && readFileSync(join(ws.dir, 'ran.log'), 'utf8').split('\n').length >= 3, 'a and b to finish');
    await waitFor(() => {
      try {
        return eventsOf(readEvents(ws.stateDir), 'step_succeeded').filter((e) => e.step_id.startsWith('each[')).length === 2;
      } catch {
        return false;
      }
    }, 'both successes recorded');
    engine.kill('SIGKILL');
    await engine;
    const runId = onlyRunId(ws.stateDir);
    // Recovery (here by `engine runs`) kills the orphaned attempt of c before it can go on.
    expect((await ws.engine(['runs', '--state-dir', ws.stateDir])).exitCode).toBe(0);
    expect(runRow(ws.stateDir, runId).status).toBe('interrupted');
    writeFileSync(join(ws.dir, 'go'), '');

    const resumed = await ws.engine(['resume', runId, '--state-dir', ws.stateDir]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect(runRow(ws.stateDir, runId).status).toBe('succeeded');
    const rows = stepRows(ws.stateDir, runId);
    expect(Object.fromEntries(Object.values(rows).map((r) => [r.step_id, `${r.status}/${r.attempts}`]))).toEqual({
      list: 'succeeded/1',
      each: 'succeeded/0',
      'each[a]': 'succeeded/1',
      'each[b]': 'succeeded/1',
      'each[c]': 'succeeded/2',
      sum: 'succeeded/1',
    });
    // a and b ran once; c's interrupted attempt was killed before writing, then ran once more.
    expect(readFileSync(join(ws.dir, 'ran.log'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['a', 'b', 'c']);
    expect(readFileSync(join(ws.dir, 'sum.txt'), 'utf8')).toBe('["a-1","b-1","c-2"]\n');
    const expanded = eventsOf(readEvents(ws.stateDir, runId), 'step_expanded');
    expect(expanded.map((e) => e.kept)).toEqual([[], ['each[a]', 'each[b]']]);
    // The console's summary shows the kept instances as succeeded, under their step.
    expect(resumed.stdout).toMatch(/each\s+succeeded[^\n]*\n\s+each\[a\]\s+succeeded\s+1[^\n]*\n\s+each\[b\]\s+succeeded\s+1[^\n]*\n\s+each\[c\]\s+succeeded\s+2/);
  }, 60_000);
});
