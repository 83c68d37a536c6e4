/**
 * The malformed-input corpus through the built CLI: argument vectors for every command and
 * flag, files that never end or never open (/dev/zero, a FIFO without a writer, a terminal),
 * and state directories that cannot be used. Every case must end with exit 2 (3 for the
 * environment), a message naming the flag or the place, no stack trace, and no hang: each
 * engine runs under a timeout, two at a time (the cases are data: add one to CASES).
 * Plan content is covered in-process by test/schema/malformed-plans.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

interface CliCase {
  name: string;
  /** Arguments after `engine`; `$DIR` is replaced by the workspace directory. */
  args: string[];
  /** Bytes on stdin, through a pipe (default: no stdin). */
  input?: Buffer;
  /** Run with a terminal as stdin (through `script`), skipped where there is none. */
  terminal?: boolean;
  exitCode: 2 | 3;
  /** Must match stderr (all output, for a terminal). */
  stderr: RegExp;
  /** Skip the case (the environment cannot produce it). */
  skip?: () => boolean;
  /** Wall time the command may take, in ms (default 10000). */
  maxMs?: number;
}

interface Outcome {
  exitCode: number | undefined;
  stderr: string;
  all: string;
  timedOut: boolean;
  ms: number;
}

const W = mkdtempSync(join(tmpdir(), 'engine-hostile-'));
const STATE = join(W, 'state');
const PLAN = { plan_id: 'p', version: '1', steps: [{ id: 'a', command: 'true' }] };
const mounts: string[] = [];
const CONCURRENCY = 2;
const TIMEOUT_MS = 20_000;

const isRoot = process.getuid?.() === 0;
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Mounts a tmpfs at `dir` (root only); false when the machine does not allow it. */
function mountTmpfs(dir: string, options: string): boolean {
  if (!isRoot) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    mounts.push(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * A read-only directory holding a state directory with one run (`<dir>/state`): a tmpfs
 * remounted read-only as root (chmod does not stop root), else chmod 555. False when neither
 * works.
 */
async function readOnlyStateDir(dir: string): Promise<boolean> {
  mkdirSync(dir);
  const mounted = mountTmpfs(dir, 'size=8m');
  if (isRoot && !mounted) return false;
  await engine(['run', join(W, 'plan.json'), '--state-dir', join(dir, 'state')]);
  if (mounted) {
    execFileSync('mount', ['-o', 'remount,ro', dir]);
  } else {
    execFileSync('chmod', ['555', dir, join(dir, 'state')]);
  }
  return true;
}

/** Writes into `dir` until its file system is full. */
function fillDisk(dir: string): void {
  try {
    writeFileSync(join(dir, 'filler'), Buffer.alloc(1024 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}

let readOnly = false;
let fullDisk = false;

function engine(args: string[], opts: { input?: Buffer; terminal?: boolean } = {}) {
  const env = { NO_COLOR: '1', ENGINE_STATE_DIR: STATE };
  if (opts.terminal) {
    const quoted = ['node', CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    return execa('script', ['-qec', quoted, '/dev/null'], { cwd: W, env, reject: false, all: true, timeout: TIMEOUT_MS, stdin: 'ignore' });
  }
  return execa('node', [CLI, ...args], {
    cwd: W,
    env,
    reject: false,
    all: true,
    timeout: TIMEOUT_MS,
    ...(opts.input ? { input: opts.input } : { stdin: 'ignore' as const }),
  });
}

const STACK = /\n\s+at .*:\d+:\d+|internal error|Maximum call stack/;

const CASES: CliCase[] = [
  // run
  { name: 'run without a plan', args: ['run'], exitCode: 2, stderr: /missing required argument 'plan'/ },
  { name: 'run with an unknown flag', args: ['run', 'plan.json', '--bogus'], exitCode: 2, stderr: /unknown option '--bogus'/ },
  { name: 'run with --max-concurrency missing its value', args: ['run', 'plan.json', '--max-concurrency'], exitCode: 2, stderr: /option '--max-concurrency <N>' argument missing/ },
  { name: 'run --max-concurrency 0', args: ['run', 'plan.json', '--max-concurrency', '0'], exitCode: 2, stderr: /^engine: --max-concurrency 0: expected an integer from 1 to 10000$/m },
  { name: 'run --state-dir ""', args: ['run', 'plan.json', '--state-dir', ''], exitCode: 2, stderr: /^engine: --state-dir "": must not be empty$/m },
  { name: 'run --target ""', args: ['run', 'plan.json', '--target', ''], exitCode: 2, stderr: /^engine: --target "": empty step id/m },
  { name: 'run --target ","', args: ['run', 'plan.json', '--target', ','], exitCode: 2, stderr: /--target ,: empty step id/ },
  { name: 'run --target of an unknown step', args: ['run', 'plan.json', '--target', 'nope'], exitCode: 2, stderr: /<command line>: --target: no step "nope" in plan p/ },
  { name: 'run --vars-file ""', args: ['run', 'plan.json', '--vars-file', ''], exitCode: 2, stderr: /--vars-file "": must not be empty/ },
  { name: 'run --var of an undeclared variable', args: ['run', 'plan.json', '--var', 'NOPE=1'], exitCode: 2, stderr: /<command line>: --var NOPE: variable "NOPE" is not declared/ },
  { name: 'run with an empty plan path', args: ['run', ''], exitCode: 2, stderr: /^engine: PLAN "": must not be empty$/m },
  { name: 'run a plan that does not exist', args: ['run', 'missing.json'], exitCode: 2, stderr: /missing\.json: plan file not found: .*missing\.json/ },
  { name: 'run /dev/zero (never ends)', args: ['run', '/dev/zero'], exitCode: 2, stderr: /\/dev\/zero: plan file is a character device/ },
  { name: 'run a FIFO nobody writes to (never opens)', args: ['run', 'fifo'], exitCode: 2, stderr: /fifo: plan file is a pipe, not a regular file: .*fifo/, maxMs: 5000 },
  { name: 'run a directory', args: ['run', '.'], exitCode: 2, stderr: /\.: plan file is a directory: / },
  { name: 'run a 65 MiB plan', args: ['run', 'big.json'], exitCode: 2, stderr: /big\.json: plan file is 68157440 bytes; the limit is 64 MiB/ },
  { name: 'run with a vars file FIFO nobody writes to', args: ['run', 'plan.json', '--vars-file', 'fifo'], exitCode: 2, stderr: /fifo: vars file is a named pipe that nothing wrote to within 2 s/, maxMs: 8000 },
  { name: 'run with /dev/zero as vars file', args: ['run', 'plan.json', '--vars-file', '/dev/zero'], exitCode: 2, stderr: /\/dev\/zero: vars file is a character device/ },
  { name: 'validate with a terminal as vars file', args: ['validate', 'plan.json', '--vars-file', '/dev/stdin'], terminal: true, skip: () => !hasScript, exitCode: 2, stderr: /\/dev\/stdin: vars file is a terminal: \/dev\/stdin/ },
  { name: 'validate with 65 MiB piped in as vars file', args: ['validate', 'plan.json', '--vars-file', '/dev/stdin'], input: Buffer.alloc(65 * 1024 * 1024, 0x20), exitCode: 2, stderr: /\/dev\/stdin: vars file is larger than the limit of 64 MiB/ },
  { name: 'validate 10,000 unclosed brackets', args: ['validate', 'deep.json'], exitCode: 2, stderr: /deep\.json:1:10001: invalid JSON: unexpected end of the file: expected '\]'/ },
  { name: 'validate a plan with plan_id twice', args: ['validate', 'dup.json'], exitCode: 2, stderr: /dup\.json:3:3: \/plan_id: duplicate key "plan_id" \(first at line 2\)/ },
  { name: 'validate retry_delay_sec beyond 365 days', args: ['validate', 'delay.json'], exitCode: 2, stderr: /delay\.json:1:\d+: \/steps\/0\/retry_delay_sec: must be <= 31536000, got 40000000/ },
  // runs
  { name: 'runs --limit 1e99', args: ['runs', '--limit', '1e99'], exitCode: 2, stderr: /^engine: --limit 1e99: expected an integer from 1 to 10000$/m },
  { name: 'runs --limit -5', args: ['runs', '--limit', '-5'], exitCode: 2, stderr: /--limit -5: expected an integer from 1 to 10000/ },
  { name: 'runs --limit 0x10', args: ['runs', '--limit', '0x10'], exitCode: 2, stderr: /--limit 0x10: expected an integer/ },
  { name: 'runs --limit " 5"', args: ['runs', '--limit', ' 5'], exitCode: 2, stderr: /--limit " 5": expected an integer/ },
  { name: 'runs --status bogus', args: ['runs', '--status', 'bogus'], exitCode: 2, stderr: /unknown status "bogus"; expected one of: running, / },
  { name: 'runs --plan ""', args: ['runs', '--plan', ''], exitCode: 2, stderr: /--plan "": must not be empty/ },
  // show, logs, resume, cancel
  { name: 'show ""', args: ['show', ''], exitCode: 2, stderr: /^engine: RUN "": must not be empty$/m },
  { name: 'show of an unknown run id', args: ['show', 'nope'], exitCode: 2, stderr: /no run matches "nope" in / },
  { name: 'show of a path as run id', args: ['show', '../../etc/passwd'], exitCode: 2, stderr: /no run matches "\.\.\/\.\.\/etc\/passwd"/ },
  { name: 'logs --attempt 0', args: ['logs', 'last', 'a', '--attempt', '0'], exitCode: 2, stderr: /--attempt 0: expected an integer from 1 to 1000000/ },
  { name: 'logs --attempt without a step', args: ['logs', 'last', '--attempt', '2'], exitCode: 2, stderr: /--attempt needs a STEP/ },
  { name: 'logs of an empty step id', args: ['logs', 'last', ''], exitCode: 2, stderr: /STEP "": must not be empty/ },
  { name: 'resume without a run', args: ['resume'], exitCode: 2, stderr: /missing required argument 'run'/ },
  { name: 'resume of an unknown run', args: ['resume', 'nope'], exitCode: 2, stderr: /no run matches "nope"/ },
  // graph, validate, the program
  { name: 'graph --format svg', args: ['graph', 'plan.json', '--format', 'svg'], exitCode: 2, stderr: /argument 'svg' is invalid\. Allowed choices are mermaid, dot, json/ },
  { name: 'an unknown command', args: ['frobnicate'], exitCode: 2, stderr: /unknown command 'frobnicate'/ },
  { name: 'a flag without a command', args: ['--limit', '5'], exitCode: 2, stderr: /unknown option '--limit'/ },
  // The environment: exit 3
  { name: 'run with a file as state directory', args: ['run', 'plan.json', '--state-dir', 'afile'], exitCode: 3, stderr: /^engine: cannot use state directory .*afile: it is a file, not a directory/m },
  { name: 'run with a state directory under a file', args: ['run', 'plan.json', '--state-dir', 'afile/state'], exitCode: 3, stderr: /cannot use state directory .*afile\/state: .*afile is a file, not a directory/ },
  { name: 'runs with a runs.db that is not a database', args: ['runs', '--state-dir', 'garbage'], exitCode: 3, stderr: /cannot use state directory .*garbage: runs\.db is not an SQLite database/ },
  { name: 'show with a runs.db that is a directory', args: ['show', 'last', '--state-dir', 'dbdir'], exitCode: 3, stderr: /cannot use state directory .*dbdir: cannot open runs\.db/ },
  { name: 'run in a read-only state directory', args: ['run', 'plan.json', '--state-dir', 'ro/state'], skip: () => !readOnly, exitCode: 3, stderr: /cannot use state directory .*ro\/state: (read-only file system|permission denied)/ },
  { name: 'runs in a read-only state directory', args: ['runs', '--state-dir', 'ro/state'], skip: () => !readOnly, exitCode: 3, stderr: /cannot use state directory .*ro\/state: (read-only file system|permission denied)/ },
  { name: 'run with a new state directory on a read-only file system', args: ['run', 'plan.json', '--state-dir', 'ro/new'], skip: () => !readOnly, exitCode: 3, stderr: /cannot use state directory .*ro\/new: (read-only file system|permission denied)/ },
  { name: 'run on a full disk', args: ['run', 'plan.json', '--state-dir', 'full/state'], skip: () => !fullDisk, exitCode: 3, stderr: /cannot use state directory .*full\/state: no space left on device/ },
];

const outcomes = new Map<string, Outcome>();

beforeAll(async () => {
  writeFileSync(join(W, 'plan.json'), JSON.stringify(PLAN));
  writeFileSync(join(W, 'deep.json'), '['.repeat(10_000));
  writeFileSync(join(W, 'dup.json'), '{\n  "plan_id": "p",\n  "plan_id": "q",\n  "version": "1",\n  "steps": [{"id": "a", "command": "true"}]\n}\n');
  writeFileSync(join(W, 'delay.json'), JSON.stringify({ ...PLAN, steps: [{ id: 'a', command: 'true', retries: 1, retry_delay_sec: 4e7 }] }));
  writeFileSync(join(W, 'afile'), '');
  mkdirSync(join(W, 'garbage'));
  writeFileSync(join(W, 'garbage', 'runs.db'), 'this is not a database, it is a note\n'.repeat(200));
  mkdirSync(join(W, 'dbdir', 'runs.db'), { recursive: true });
  execFileSync('mkfifo', [join(W, 'fifo')]);
  const fd = openSync(join(W, 'big.json'), 'w');
  ftruncateSync(fd, 65 * 1024 * 1024);
  closeSync(fd);
  // One finished run in the default state directory, for show/logs/resume/cancel.
  const first = await engine(['run', 'plan.json']);
  if (first.exitCode !== 0) throw new Error(`setup run failed: ${first.all}`);
  readOnly = await readOnlyStateDir(join(W, 'ro'));
  mkdirSync(join(W, 'full'));
  fullDisk = mountTmpfs(join(W, 'full'), 'size=64k');
  if (fullDisk) fillDisk(join(W, 'full'));

  const queue = CASES.filter((c) => !c.skip?.());
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const t0 = performance.now();
      const r = await engine(c.args, c);
      outcomes.set(c.name, { exitCode: r.exitCode, stderr: r.stderr as string, all: r.all as string, timedOut: r.timedOut, ms: performance.now() - t0 });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}, 180_000);

afterAll(() => {
  for (const dir of mounts) execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
  execFileSync('chmod', ['-R', 'u+w', W], { stdio: 'ignore' });
  rmSync(W, { recursive: true, force: true });
});

describe('what must keep working next to the refusals', () => {
  const varsPlan = { ...PLAN, vars: { TOKEN: { secret: true } }, steps: [{ id: 'a', command: 'sh', args: ['-c', 'test "$0" = s3cret', '${TOKEN}'] }] };

  it('runs with secret values piped in by a Node parent (stdin is a socket) as --vars-file /dev/stdin', async () => {
    writeFileSync(join(W, 'secret.json'), JSON.stringify(varsPlan));
    const r = await engine(['run', 'secret.json', '--vars-file', '/dev/stdin'], { input: Buffer.from('{"TOKEN": "s3cret"}') });
    expect(r.exitCode, r.all).toBe(0);
  });

  it('runs with secret values piped in by a shell (stdin is a pipe) as --vars-file /dev/stdin', async () => {
    writeFileSync(join(W, 'secret.json'), JSON.stringify(varsPlan));
    const r = await execa('sh', ['-c', `printf '{"TOKEN": "s3cret"}' | node '${CLI}' run secret.json --vars-file /dev/stdin`], {
      cwd: W,
      env: { NO_COLOR: '1', ENGINE_STATE_DIR: STATE },
      reject: false,
      all: true,
      timeout: TIMEOUT_MS,
    });
    expect(r.exitCode, r.all).toBe(0);
  });

  it('reads a vars file from a named pipe that a writer fills', async () => {
    const f = join(W, 'fifo-with-writer');
    execFileSync('mkfifo', [f]);
    writeFileSync(join(W, 'secret.json'), JSON.stringify(varsPlan));
    const writer = execa('sh', ['-c', `printf '{"TOKEN": "s3cret"}' > '${f}'`], { timeout: TIMEOUT_MS });
    const r = await engine(['run', 'secret.json', '--vars-file', f]);
    await writer;
    expect(r.exitCode, r.all).toBe(0);
  });

  it('accepts the largest --limit, --max-concurrency and --attempt', async () => {
    expect((await engine(['runs', '--limit', '10000'])).exitCode).toBe(0);
    expect((await engine(['run', 'plan.json', '--max-concurrency', '10000'])).exitCode).toBe(0);
    const logs = await engine(['logs', 'last', 'a', '--attempt', '1000000']);
    expect(logs.stderr).toMatch(/step "a" has no attempt 1000000/);
  });
});

describe('hostile argument vectors, files and state directories through the CLI', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('$name: exit $exitCode, a message naming the place, no stack, no hang', (c) => {
    if (c.skip?.()) return;
    const r = outcomes.get(c.name)!;
    expect(r.timedOut, r.all).toBe(false);
    expect(r.ms).toBeLessThan(c.maxMs ?? 10_000);
    expect(r.exitCode, r.all).toBe(c.exitCode);
    // Through a terminal, stdout and stderr both reach the terminal.
    expect(c.terminal ? r.all : r.stderr).toMatch(c.stderr);
    expect(r.all).not.toMatch(STACK);
  });
});
