/**
 * `engine run --json`: stdout carries the event stream, exactly the run's events.jsonl lines,
 * and nothing else; the human console output goes to stderr.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CLI, plan, workspacesForThisFile } from '../helpers/cli.js';
import { eventValidator } from '../helpers/event-schema.js';
import { onlyRunId, readJsonl } from '../helpers/record.js';

const ws = workspacesForThisFile('engine-json-');

describe('engine run --json', () => {
  it('writes exactly the events.jsonl lines to stdout and the console output to stderr', async () => {
    const w = ws();
    const p = w.writePlan(
      plan([
        { id: 'a', command: 'echo', args: ['to the log, not to stdout'] },
        { id: 'b', shell: true, command: 'exit 3', depends_on: ['a'], critical: false, retries: 1 },
        { id: 'c', command: 'true', depends_on: ['b'], trigger_rule: 'all_done' },
      ]),
    );
    const r = await w.engine(['run', p, '--json']);
    expect(r.exitCode).toBe(0);
    const runId = onlyRunId(w.stateDir);
    const { lines } = readJsonl(w.stateDir, runId);
    expect(lines.length).toBeGreaterThan(8);
    expect(r.stdout).toBe(lines.join('\n'));
    const validate = eventValidator();
    for (const line of r.stdout.split('\n')) expect(validate(JSON.parse(line)), line).toBe(true);
    // The console: progress lines and the summary, on stderr only.
    expect(r.stderr).toContain(`run ${runId}`);
    expect(r.stderr).toMatch(/✗ b\s+failed/);
    expect(r.stderr).toContain('Run succeeded');
    expect(r.stdout).not.toContain('Run succeeded');
  });

  it('keeps stdout to events on a failed run, and prints the problems of an invalid plan there as one JSON object', async () => {
    const w = ws();
    const failing = w.writePlan(plan([{ id: 'x', command: 'false' }]), 'failing.json');
    const r = await w.engine(['run', failing, '--json']);
    expect(r.exitCode).toBe(1);
    const lines = readJsonl(w.stateDir, onlyRunId(w.stateDir)).lines;
    expect(r.stdout.split('\n')).toEqual(lines);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'run_finished', status: 'failed', exit_code: 1 });
    expect(r.stderr).toContain('Root cause: step "x" failed');

    const invalid = w.writePlan({ plan_id: 'bad', version: '1', steps: [{ id: 'x' }] }, 'invalid.json');
    const bad = await w.engine(['run', invalid, '--json']);
    expect(bad.exitCode).toBe(2);
    const report = JSON.parse(bad.stdout) as { valid: boolean; problems: { file: string; pointer: string; message: string }[] };
    expect(report.valid).toBe(false);
    expect(report.problems).toHaveLength(1);
    const problem = report.problems[0]!;
    expect(problem).toMatchObject({ file: invalid, pointer: '/steps/0' });
    expect(bad.stderr).toContain(problem.message);
  });

  it('finishes the run when the reader of stdout goes away (EPIPE)', async () => {
    const w = ws();
    const p = w.writePlan(plan([{ id: 'a', command: 'sleep', args: ['0.3'] }, { id: 'b', command: 'true', depends_on: ['a'] }]));
    const r = await execa('sh', ['-c', `node "$CLI" run "$PLAN" --json --state-dir "$STATE" | head -c 20`], {
      cwd: w.dir,
      reject: false,
      env: { NO_COLOR: '1', CLI, PLAN: p, STATE: w.stateDir },
    });
    expect(r.stdout).toHaveLength(20);
    expect(r.stderr).toContain('Run succeeded');
    const events = readJsonl(w.stateDir, onlyRunId(w.stateDir)).events;
    expect(events.at(-1)).toMatchObject({ type: 'run_finished', status: 'succeeded' });
  });

  it('without --json, stdout is the console and carries no JSON', async () => {
    const w = ws();
    const r = await w.engine(['run', w.writePlan(plan([{ id: 'a', command: 'true' }]))]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Run succeeded');
    expect(r.stdout).not.toContain('"type":"run_started"');
  });
});
