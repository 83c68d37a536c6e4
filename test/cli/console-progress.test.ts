/**
 * The console of `engine run` as people and CI see it (issue 15): the live status area on a
 * terminal, cleared at the end; timestamped lines and a periodic progress line through a pipe;
 * the ETA only once the plan has history; --quiet and --verbose; the colour conventions.
 */
import { describe, expect, it } from 'vitest';
import { engineIn, plan, workspacesForThisFile } from '../helpers/cli.js';
import { engineInPty, stripAnsi, visible } from '../helpers/terminal.js';

const ws = workspacesForThisFile('engine-console-');

const SLOW_PLAN = plan([
  { id: 'slow', command: 'sleep', args: ['1.2'] },
  { id: 'quick', command: 'true' },
  { id: 'after', command: 'true', depends_on: ['quick'] },
]);

/** A frame's first line: `[done/total] … running …`. */
const FRAME = /\[\d+\/3\] [^\n]*running/;
/** The erase before a redraw: to the start of the line, N rows up, clear to the end of the screen. */
const ERASE = /\r\x1b\[\d+A\x1b\[J/g;

describe('engine run on a terminal', () => {
  it('shows a status area with the counts and the running steps, and clears it at the end', async () => {
    const w = ws();
    w.writePlan(SLOW_PLAN);
    const r = await engineInPty(w.dir, ['run', 'plan.json', '--state-dir', w.stateDir]);
    expect(r.exitCode).toBe(0);
    const plain = stripAnsi(r.output);
    expect(plain, visible(r.output)).toMatch(FRAME);
    expect(plain).toMatch(/^ {2}▶ slow +\ds$/m);
    expect(plain).toMatch(/elapsed/);
    // Every frame is erased again: after the last erase comes the summary, no frame.
    const erases = [...r.output.matchAll(ERASE)];
    expect(erases.length).toBeGreaterThan(0);
    const afterLastErase = r.output.slice(erases.at(-1)!.index!);
    expect(afterLastErase).not.toMatch(FRAME);
    expect(stripAnsi(afterLastErase)).toContain('Run succeeded');
    // Finished steps scroll above it as one-liners; no "started" lines, no timestamps.
    expect(plain).toMatch(/✓ slow +succeeded in/);
    expect(plain).not.toMatch(/started/);
    expect(plain).not.toMatch(/^\d\d:\d\d:\d\d /m);
  });

  it('shows an ETA only once earlier runs of the plan give every step a duration', async () => {
    const w = ws();
    w.writePlan(SLOW_PLAN);
    const first = await engineInPty(w.dir, ['run', 'plan.json', '--state-dir', w.stateDir]);
    expect(first.exitCode).toBe(0);
    expect(stripAnsi(first.output)).not.toContain('ETA');
    const second = await engineInPty(w.dir, ['run', 'plan.json', '--state-dir', w.stateDir]);
    expect(second.exitCode).toBe(0);
    expect(stripAnsi(second.output), visible(second.output)).toMatch(/\[\d\/3\] [^\n]*· ETA \d+s/);
  });

  it('has no status area with TERM=dumb, and none with --quiet', async () => {
    const w = ws();
    w.writePlan(plan([{ id: 'slow', command: 'sleep', args: ['0.5'] }]));
    for (const [args, env] of [[[], { TERM: 'dumb' }], [['--quiet'], {}]] as const) {
      const r = await engineInPty(w.dir, ['run', 'plan.json', '--state-dir', w.stateDir, ...args], env);
      expect(r.exitCode).toBe(0);
      expect(r.output).not.toMatch(ERASE);
      expect(stripAnsi(r.output)).not.toMatch(/\[\d\/1\]/);
    }
  });
});

describe('engine run through a pipe', () => {
  it('prefixes each line with the local time and prints a progress line at intervals', async () => {
    const w = ws();
    const p = w.writePlan(plan([{ id: 'slow', command: 'sleep', args: ['1'] }, { id: 'next', command: 'true', depends_on: ['slow'] }]));
    const r = await w.engine(['run', p], { env: { ENGINE_PROGRESS_INTERVAL_MS: '200' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d run \S+ +plan test 1: 2 steps/m);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d {3}▶ slow +started$/m);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d {3}✓ slow +succeeded in/m);
    // Generous: a 1 s step under a 200 ms interval shows at least two progress lines.
    const progress = r.stdout.match(/^\d\d:\d\d:\d\d \[0\/2\] 1 running: slow$/gm) ?? [];
    expect(progress.length, r.stdout).toBeGreaterThanOrEqual(2);
    // No redraws: no cursor movement at all.
    expect(r.all).not.toContain('\x1b[');
    // The summary is one block, without timestamps.
    expect(r.stdout).toMatch(/^Run succeeded in/m);
  });

  it('prints one progress line every 10 s by default (none in a short run)', async () => {
    const w = ws();
    const r = await w.engine(['run', w.writePlan(plan([{ id: 'a', command: 'sleep', args: ['0.3'] }]))]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toMatch(/\[\d\/1\] \d running/);
  });
});

describe('--quiet and --verbose', () => {
  const PLAN = plan([
    { id: 'flaky', shell: true, command: 'test -e marker || { touch marker; exit 3; }', retries: 1, retry_delay_sec: 0.1 },
    { id: 'gated', command: 'true', preconditions: [{ value: 'x', equals: 'x' }] },
    { id: 'broken', command: 'false', critical: false },
    { id: 'never', command: 'true', depends_on: ['broken'] },
  ]);

  it('--quiet prints only failures and the summary', async () => {
    const w = ws();
    const r = await w.engine(['run', w.writePlan(PLAN), '--quiet']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/✗ broken +failed after/);
    expect(r.stdout).not.toMatch(/started|✓|skipped:|retrying|will retry/);
    expect(r.stdout).not.toMatch(/^\d\d:\d\d:\d\d run /m);
    expect(r.stdout).toMatch(/^Run succeeded in/m);
    expect(r.stdout).toContain('Not critical: step "broken" failed');
  });

  it('--verbose adds retry delays, precondition results and skip reasons', async () => {
    const w = ws();
    const normal = await w.engine(['run', w.writePlan(PLAN)]);
    expect(normal.exitCode).toBe(0);
    expect(normal.stdout).not.toMatch(/retrying in|preconditions hold|skipped: /);
    expect(normal.stdout).toMatch(/- never +skipped$/m);
    const w2 = ws();
    const verbose = await w2.engine(['run', w2.writePlan(PLAN), '--verbose']);
    expect(verbose.exitCode).toBe(0);
    expect(verbose.stdout).toMatch(/↻ flaky +retrying in \d+ms \(attempt 2\)/);
    expect(verbose.stdout).toMatch(/✓ gated +preconditions hold/);
    expect(verbose.stdout).toMatch(/- never +skipped: .*broken/);
  });

  it('refuses --quiet with --verbose', async () => {
    const w = ws();
    const r = await w.engine(['run', w.writePlan(PLAN), '--quiet', '--verbose']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--quiet.*--verbose|--verbose.*--quiet/);
  });
});

describe('colour', () => {
  /** An environment without any colour variable of the test runner's. */
  const bare = (more: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, ...more });
  const run = async (args: string[], env: NodeJS.ProcessEnv): Promise<string> => {
    const w = ws();
    const p = w.writePlan(plan([{ id: 'a', command: 'true' }]));
    const r = await engineIn(w.dir, ['run', p, '--state-dir', w.stateDir, ...args], { env: bare(env), extendEnv: false });
    expect(r.exitCode).toBe(0);
    return r.stdout;
  };
  const coloured = (text: string): boolean => /\x1b\[\d+m/.test(text);

  it('is off through a pipe, and with NO_COLOR', async () => {
    expect(coloured(await run([], {}))).toBe(false);
    expect(coloured(await run([], { NO_COLOR: '1' }))).toBe(false);
  });

  it('is forced through a pipe by FORCE_COLOR (over NO_COLOR) and by --color always', async () => {
    expect(coloured(await run([], { FORCE_COLOR: '1' }))).toBe(true);
    expect(coloured(await run([], { FORCE_COLOR: '1', NO_COLOR: '1' }))).toBe(true);
    expect(coloured(await run(['--color', 'always'], { NO_COLOR: '1' }))).toBe(true);
  });

  it('--color never and FORCE_COLOR=0 turn it off', async () => {
    expect(coloured(await run(['--color', 'never'], { FORCE_COLOR: '1' }))).toBe(false);
    expect(coloured(await run([], { FORCE_COLOR: '0' }))).toBe(false);
  });

  it('is on at a terminal, off there with TERM=dumb or --color never', async () => {
    const w = ws();
    w.writePlan(plan([{ id: 'a', command: 'true' }]));
    const args = ['run', 'plan.json', '--state-dir', w.stateDir];
    expect(coloured((await engineInPty(w.dir, args)).output)).toBe(true);
    expect(coloured((await engineInPty(w.dir, args, { TERM: 'dumb' })).output)).toBe(false);
    expect(coloured((await engineInPty(w.dir, [...args, '--color', 'never'])).output)).toBe(false);
  });
});
