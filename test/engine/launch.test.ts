/**
 * Both launchers (src/engine/process/launch.ts) behind the attempt runner, with real processes: they must
 * behave the same, the native one only being cheaper. Every case runs once per launcher.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AttemptRequest } from '../../src/engine/attempt.js';
import { startAttempt } from '../../src/engine/process/attempt-runner.js';
import { launcher, type Launcher } from '../../src/engine/process/launch.js';
import { childProcessLauncher } from '../../src/engine/process/launch-child-process.js';
import { loadPosixSpawnLauncher } from '../../src/engine/process/launch-posix-spawn.js';
import { CLI, plan, workspacesForThisFile } from '../helpers/cli.js';
import { execa } from 'execa';
import { isProcessGone, waitFor } from '../helpers/processes.js';
import { tempDirForFile } from '../helpers/temp-dirs.js';

const dir = tempDirForFile('engine-launch-');
const workspace = workspacesForThisFile();

const native = loadPosixSpawnLauncher();
const launchers: Launcher[] = [childProcessLauncher, ...('launcher' in native ? [native.launcher] : [])];

let n = 0;
function request(over: Partial<AttemptRequest>): AttemptRequest {
  return {
    stepId: 'step',
    attempt: 1,
    command: 'true',
    args: [],
    shell: null,
    cwd: dir,
    env: { PATH: process.env.PATH },
    logPath: join(dir, `attempt-${++n}.log`),
    outputPath: join(dir, `attempt-${n}.out`),
    timeoutMs: 30_000,
    idleTimeoutMs: null,
    deadlineMs: null,
    killSignal: 'SIGTERM',
    killGraceMs: 1_000,
    successExitCodes: [0],
    redact: [],
    ...over,
  };
}

function script(name: string, body: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  chmodSync(path, mode);
  return path;
}

describe('the native launcher', () => {
  it.runIf(process.platform === 'linux')('is built and loads on Linux (npm ci builds it)', () => {
    expect(native).toHaveProperty('launcher');
    expect(launcher().name).toBe(process.env.ENGINE_SPAWN === 'child_process' ? 'child_process' : 'posix_spawn');
  });
});

describe.each(launchers.map((l) => [l.name, l] as const))('%s', (_name, launch) => {
  const run = async (over: Partial<AttemptRequest>) => {
    const req = request(over);
    const attempt = startAttempt(req, launch);
    const result = await attempt.result;
    return { attempt, result, log: readFileSync(req.logPath, 'utf8') };
  };

  it('reports the exit code, and success only for the success codes', async () => {
    expect((await run({ command: 'sh', args: ['-c', 'exit 0'] })).result.outcome).toBe('succeeded');
    const failed = await run({ command: 'sh', args: ['-c', 'exit 3'] });
    expect(failed.result).toMatchObject({ outcome: 'failed', reason: 'exit_code', exitCode: 3, signal: null });
    const allowed = await run({ command: 'sh', args: ['-c', 'exit 3'], successExitCodes: [0, 3] });
    expect(allowed.result.outcome).toBe('succeeded');
  });

  it('reports the signal that killed the process by name', async () => {
    const { result } = await run({ command: 'sh', args: ['-c', 'kill -USR1 $$'] });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'signal', exitCode: null, signal: 'SIGUSR1' });
  });

  it('writes stdout and stderr to the log file, with stdin at end of file', async () => {
    const { result, log } = await run({ command: 'sh', args: ['-c', 'echo out; echo err >&2; cat; echo "stdin done"'] });
    expect(result.outcome).toBe('succeeded');
    expect(log).toBe('out\nerr\nstdin done\n');
  });

  it('runs a shell line with /bin/sh -c when shell is set', async () => {
    const { log } = await run({ command: 'echo "$GREETING" | tr a-z A-Z', shell: ['/bin/sh', '-c'], env: { PATH: process.env.PATH, GREETING: 'hi' } });
    expect(log).toBe('HI\n');
  });

  it('looks the command up on the PATH of the step environment, not the engine', async () => {
    const bin = join(dir, `bin-${launch.name}`);
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'engine-test-tool'), '#!/bin/sh\necho "tool $1"\n', { mode: 0o755 });
    const { result, log } = await run({ command: 'engine-test-tool', args: ['ok'], env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(result.outcome).toBe('succeeded');
    expect(log).toBe('tool ok\n');
    const missing = await run({ command: 'engine-test-tool', env: { PATH: '/usr/bin:/bin' } });
    expect(missing.result).toMatchObject({ outcome: 'failed', reason: 'spawn_error', error: 'command not found: engine-test-tool' });
    expect(missing.log).toContain('engine: command not found: engine-test-tool');
  });

  it('resolves ./relative commands against the working directory', async () => {
    const cwd = join(dir, `cwd-${launch.name}`);
    mkdirSync(cwd, { recursive: true });
    writeFileSync(join(cwd, 'here.sh'), '#!/bin/sh\npwd\n', { mode: 0o755 });
    const { result, log } = await run({ command: './here.sh', cwd });
    expect(result.outcome).toBe('succeeded');
    expect(log).toBe(`${cwd}\n`);
  });

  it('runs a script without a #! line with /bin/sh, as execvp does', async () => {
    const path = script(`no-shebang-${launch.name}`, 'echo "no shebang $1"\n');
    const { result, log } = await run({ command: path, args: ['x'] });
    expect(result.outcome).toBe('succeeded');
    expect(log).toBe('no shebang x\n');
  });

  it('fails with a clear spawn_error for a missing cwd and a file that is not executable', async () => {
    const cwd = join(dir, 'no-such-dir');
    const missingCwd = await run({ command: 'true', cwd });
    expect(missingCwd.result).toMatchObject({ reason: 'spawn_error', error: `working directory does not exist: ${cwd}` });
    const path = script(`not-executable-${launch.name}`, '#!/bin/sh\n', 0o644);
    const notExecutable = await run({ command: path });
    expect(notExecutable.result).toMatchObject({ reason: 'spawn_error', error: `permission denied (not executable?): ${path}` });
    expect(notExecutable.attempt.pid).toBeNull();
  });

  it('starts the process as the leader of a new session, with default signal dispositions and mask', async () => {
    // /proc/<pid>/stat: pid (comm) state ppid pgrp session ...; status: SigIgn, SigBlk bitmasks.
    // The masks are read by the process itself right after an exec (same pid, no fork in
    // between): a shell blocks signals around the forks it makes, so reading the shell's own
    // status while it forks a reader saw that temporary mask.
    const { attempt, log } = await run({
      command: 'sh',
      args: ['-c', 'read pid comm state ppid pgrp sid rest < /proc/$$/stat; echo "$pid $pgrp $sid"; exec grep -E "^Sig(Ign|Blk)" /proc/self/status'],
    });
    const pid = attempt.pid!;
    expect(log.split('\n')[0]).toBe(`${pid} ${pid} ${pid}`);
    expect(log).toMatch(/SigBlk:\s+0+\n/);
    expect(log).toMatch(/SigIgn:\s+0+\n/);
  });

  it('on timeout, SIGTERMs the whole process group, then SIGKILLs what ignores it', async () => {
    const pidFile = join(dir, `grandchild-${launch.name}.pid`);
    const { result, log } = await run({
      command: 'sh',
      args: ['-c', `sh -c 'trap "" TERM; echo $$ > ${pidFile}; exec sleep 30' & wait`],
      timeoutMs: 300,
      killGraceMs: 300,
    });
    expect(result).toMatchObject({ outcome: 'failed', reason: 'timeout' });
    expect(log).toContain('timed out after');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    // The bound is waitFor's default, 10 s: this call used to pass 5_000 as its description.
    await waitFor(() => isProcessGone(grandchild), `grandchild ${grandchild} to be gone`);
  });

  it('cancel stops a running attempt and reports it cancelled', async () => {
    const req = request({ command: 'sleep', args: ['30'] });
    const attempt = startAttempt(req, launch);
    expect(attempt.pid).toBeGreaterThan(0);
    attempt.cancel(false);
    const result = await attempt.result;
    expect(result.outcome).toBe('cancelled');
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it('keeps up with many short processes at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => startAttempt(request({ command: 'sh', args: ['-c', `exit ${i % 3}`], successExitCodes: [0, 1, 2] }), launch).result),
    );
    expect(results.map((r) => r.exitCode)).toEqual(Array.from({ length: 50 }, (_, i) => i % 3));
  });
});

describe('ENGINE_SPAWN', () => {
  it('child_process runs the plan the same way; an unknown value is a usage error before anything is recorded', async () => {
    const ws = workspace();
    const path = ws.writePlan(plan([{ id: 'a', command: 'sh', args: ['-c', 'echo via $0'] }]));
    const ok = await ws.engine(['run', path], { env: { ENGINE_SPAWN: 'child_process' } });
    expect(ok.exitCode).toBe(0);
    const bad = await execa('node', [CLI, 'run', path, '--state-dir', join(ws.dir, 'other-state')], {
      cwd: ws.dir,
      reject: false,
      env: { ENGINE_SPAWN: 'vfork' },
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('ENGINE_SPAWN=vfork: expected posix_spawn, child_process or auto');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(ws.dir, 'other-state', 'runs.db'))).toBe(false);
  });
});
