/**
 * `engine run --output`: steps' own output on the console, read back from their log files,
 * checked byte for byte against those files: `prefixed` (each line under `[step] `, lines of
 * parallel steps interleaved but each step's in order), `grouped` (one block per step when it
 * ends), `failed` (only failed steps), `none` (nothing).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import { logPath, onlyRunId } from '../helpers/record.js';

const ws = workspacesForThisFile('engine-output-');

/** A step printing `n` numbered lines to stdout and stderr in turns, with pauses, so parallel steps interleave. */
const chatty = (id: string, n: number, exitCode = 0, extra: Record<string, unknown> = {}) => ({
  id,
  shell: true,
  command: `i=0; while [ $i -lt ${n} ]; do echo "${id} out $i: some text"; echo "${id} err $i" >&2; i=$((i+1)); if [ $((i % 10)) = 0 ]; then sleep 0.05; fi; done; exit ${exitCode}`,
  ...extra,
});

const PLAN = plan(
  [
    chatty('alpha', 60),
    chatty('b', 45),
    // No newline at the end, UTF-8 and a blank line.
    { id: 'gamma_step', shell: true, command: `printf 'first\\n\\nzweite Zeile: äöü ✓\\nno newline at the end'; sleep 0.2` },
    chatty('fails', 25, 4, { critical: false }),
    // Its output goes through the redactor (it receives a secret): still read from its log file.
    { id: 'secret', shell: true, command: 'echo "token is ${TOKEN}"; echo done', env: { T: '${TOKEN}' } },
  ],
  { vars: { TOKEN: { secret: true, default: 's3cr3t-value' } }, globals: { max_concurrency: 5 } },
);
const IDS = ['alpha', 'b', 'gamma_step', 'fails', 'secret'];
const WIDTH = Math.max(...IDS.map((id) => id.length));

async function runWith(mode: string): Promise<{ w: Workspace; stdout: string; logs: Record<string, string> }> {
  const w = ws();
  const r = await w.engine(['run', w.writePlan(PLAN), '--output', mode]);
  expect(r.exitCode, r.all).toBe(0);
  const runId = onlyRunId(w.stateDir);
  const logs = Object.fromEntries(IDS.map((id) => [id, readFileSync(logPath(w.stateDir, runId, id, 1), 'utf8')]));
  return { w, stdout: r.stdout, logs };
}

/** A log as shown: its bytes, with a newline added when the last line has none. */
const shown = (log: string): string => (log === '' || log.endsWith('\n') ? log : `${log}\n`);

describe('--output', () => {
  it('prefixed: every line of every log, in its order, after an aligned [step] prefix', async () => {
    const { stdout, logs } = await runWith('prefixed');
    for (const id of IDS) {
      const prefix = `${`[${id}]`.padEnd(WIDTH + 2)} `;
      const lines = stdout.split('\n').filter((l) => l.startsWith(prefix));
      expect(lines.map((l) => `${l.slice(prefix.length)}\n`).join(''), id).toBe(shown(logs[id]!));
    }
    expect(logs.secret).toBe('token is ***\ndone\n');
    // Parallel steps interleave: alpha's lines are not all in one block.
    const owners = stdout.split('\n').filter((l) => l.startsWith('[')).map((l) => l.slice(1, l.indexOf(']')));
    const switches = owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length;
    expect(switches).toBeGreaterThan(IDS.length);
  });

  it('grouped: each step\'s log in one block under a header, when the step ends', async () => {
    const { stdout, logs } = await runWith('grouped');
    for (const id of IDS) {
      const header = new RegExp(`^==> ${id} \\(attempt 1, (succeeded|failed)\\) <==\\n`, 'm');
      const m = header.exec(stdout);
      expect(m, `${id} in:\n${stdout}`).not.toBeNull();
      const start = m!.index + m![0].length;
      expect(stdout.slice(start, start + shown(logs[id]!).length), id).toBe(shown(logs[id]!));
    }
    expect(stdout).not.toMatch(/^\[alpha\]/m);
  });

  it('failed: only the blocks of failed steps', async () => {
    const { stdout, logs } = await runWith('failed');
    expect(stdout).toContain(`==> fails (attempt 1, failed) <==\n${shown(logs.fails!)}`);
    for (const id of ['alpha', 'b', 'gamma_step', 'secret']) expect(stdout).not.toContain(`==> ${id} `);
    expect(stdout).not.toContain('alpha out 1:');
  });

  it('none (the default): no step output on the console', async () => {
    const { stdout } = await runWith('none');
    expect(stdout).not.toMatch(/alpha out|b err|zweite Zeile|token is/);
    const w = ws();
    const r = await w.engine(['run', w.writePlan(PLAN)]);
    expect(r.stdout).not.toMatch(/alpha out|b err|zweite Zeile/);
  });

  it('shows every attempt of a retried step, each under its own header (grouped)', async () => {
    const w = ws();
    const p = w.writePlan(plan([{ id: 'flaky', shell: true, command: 'echo "try"; test -e m || { touch m; exit 1; }', retries: 1 }]));
    const r = await w.engine(['run', p, '--output', 'grouped']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('==> flaky (attempt 1 of 2, failed) <==\ntry\n');
    expect(r.stdout).toContain('==> flaky (attempt 2 of 2, succeeded) <==\ntry\n');
  });

  it('prefixed: shows a running step\'s lines while it runs, not only when it ends', async () => {
    const w = ws();
    const p = w.writePlan(plan([{ id: 'talker', shell: true, command: 'echo early; sleep 3; echo late' }]));
    const proc = w.engine(['run', p, '--output', 'prefixed']);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('[talker]   early\n'), 'the first line of the step');
    expect(out).not.toContain('late');
    expect(proc.exitCode).toBeNull();
    const r = await proc;
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('[talker]   late\n');
  });

  it('rejects an unknown mode', async () => {
    const w = ws();
    const r = await w.engine(['run', w.writePlan(PLAN), '--output', 'everything']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('none, prefixed, grouped, failed');
  });
});
