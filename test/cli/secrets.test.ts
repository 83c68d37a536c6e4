/**
 * Secrets never reach a log (issue 11), through the built CLI: a step that received a secret
 * has its output redacted on the way to its log file, the raw value and its encodings, also
 * when a write splits it, while the step itself got the real value; `engine logs`,
 * `engine show --json`, the console and runs.db never show it either.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { plan, workspacesForThisFile, type Workspace } from '../helpers/cli.js';
import { dumpRunsDbText, readLog } from '../helpers/record.js';

const workspace = workspacesForThisFile('engine-secrets-');
const SECRET = 'Tok3n-9f/Q+zZ p@ss';
const MULTILINE = 'line-one-AAAA\nline-two-BBBB';

/** A node script that prints the secret in every way the issue lists, with plain text around. */
const PRINTER = `
const t = process.env.T;
const out = (s) => new Promise((r) => process.stdout.write(s, r));
(async () => {
  await out('raw: ' + t + ' :end\\n');
  const cut = 7;
  await out('split: ' + t.slice(0, cut));
  await new Promise((r) => setTimeout(r, 150));
  await out(t.slice(cut) + ' :end\\n');
  process.stderr.write('stderr: ' + t + '\\n');
  await out('b64: ' + Buffer.from(t).toString('base64') + '\\n');
  await out('basic: ' + Buffer.from('user:' + t).toString('base64') + '\\n');
  await out('url: ?t=' + encodeURIComponent(t) + '&x=1\\n');
  await out('json: ' + JSON.stringify({ t }) + '\\n');
  await out('multi: ' + process.env.M + '\\n');
  require('fs').writeFileSync('got.txt', t);
  await out('plain text stays\\n');
})();
`;

describe('secrets in step output', () => {
  let ws: Workspace;
  let run: Awaited<ReturnType<Workspace['engine']>>;
  beforeAll(async () => {
    ws = workspace();
    const path = ws.writePlan(
      plan(
        [
          { id: 'printer', command: process.execPath, args: ['-e', PRINTER], env: { T: '${TOKEN}', M: '${KEY}' } },
          { id: 'plain', command: 'sh', args: ['-c', 'echo nothing secret here'] },
          { id: 'tail', command: 'sh', args: ['-c', 'echo "$M"; exit 4'], env: { M: '${KEY}' }, depends_on: ['printer'], critical: false },
          { id: 'missing', command: 'no-such-${TOKEN}', critical: false },
          { id: 'nowhere', command: 'true', cwd: '/nonexistent-${TOKEN}', critical: false },
        ],
        { vars: { TOKEN: { secret: true, required: true }, KEY: { secret: true, required: true } } },
      ),
    );
    run = await ws.engine(['run', path, '--var', `TOKEN=${SECRET}`, '--var', `KEY=${MULTILINE}`]);
  });

  const leaks = (text: string): boolean =>
    [SECRET, encodeURIComponent(SECRET), Buffer.from(SECRET).toString('base64'), 'line-one-AAAA', 'line-two-BBBB', JSON.stringify(SECRET).slice(1, -1)].some((v) =>
      text.includes(v),
    );

  it('gives the step the real value', () => {
    expect(run.exitCode, run.all).toBe(0);
    expect(readFileSync(join(ws.dir, 'got.txt'), 'utf8')).toBe(SECRET);
  });

  it('writes the log with every form of the secret redacted and the text around it intact', () => {
    const log = readLog(ws, 'printer', 1);
    expect(leaks(log)).toBe(false);
    expect(log).toContain('raw: *** :end\n');
    expect(log).toContain('split: *** :end\n');
    expect(log).toContain('stderr: ***\n');
    expect(log).toContain('b64: ***\n');
    expect(log).toContain('url: ?t=***&x=1\n');
    expect(log).toContain('json: {"t":"***"}\n');
    expect(log).toContain('multi: ***\n');
    expect(log).toContain('plain text stays\n');
    expect(log).toMatch(/^basic: \S*\*\*\*/m);
    expect(Buffer.from(log.match(/^basic: (.*)$/m)![1]!.replace('***', ''), 'base64').toString('latin1')).not.toContain(SECRET.slice(2, -2));
  });

  it('leaves the output of a step that received no secret as it is', () => {
    expect(readLog(ws, 'plain', 1)).toBe('nothing secret here\n');
  });

  it("masks the engine's own lines in a log (command not found, missing working directory)", () => {
    expect(readLog(ws, 'missing', 1)).toBe('engine: command not found: no-such-***\n');
    expect(readLog(ws, 'nowhere', 1)).toBe('engine: working directory does not exist: /nonexistent-***\n');
  });

  it('shows neither the value nor a line of a multi-line secret on the console, in the log tail included', () => {
    expect(leaks(run.all)).toBe(false);
    expect(run.all).toMatch(/^\s+\| .*\*\*\*/m);
  });

  it('never shows the value in engine logs or engine show --json', async () => {
    const logs = await ws.engine(['logs', 'last', '--state-dir', ws.stateDir]);
    expect(logs.exitCode).toBe(0);
    expect(logs.all).toContain('plain text stays');
    expect(leaks(logs.all)).toBe(false);
    const show = await ws.engine(['show', 'last', '--json', '--state-dir', ws.stateDir]);
    expect(show.exitCode).toBe(0);
    expect(leaks(show.all)).toBe(false);
  });

  it('never writes the value to runs.db', () => {
    expect(dumpRunsDbText(ws).filter(leaks)).toEqual([]);
    for (const f of readdirSync(ws.stateDir).filter((n) => n.startsWith('runs.db'))) {
      expect(leaks(readFileSync(join(ws.stateDir, f), 'latin1')), f).toBe(false);
    }
  });
});
