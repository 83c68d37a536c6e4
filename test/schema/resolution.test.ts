import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { load, plan } from '../helpers/plan-files.js';
import { tempDir } from '../helpers/temp-dirs.js';

describe('plan resolution', () => {
  it('applies step defaults', () => {
    const dir = tempDir();
    const p = load(dir, plan([{ id: 'a', command: 'true' }]));
    expect(p.steps[0]).toEqual({
      id: 'a',
      index: 0,
      kind: 'command',
      planIndex: 0,
      instanceOf: null,
      fanOut: null,
      matrix: null,
      forEach: null,
      late: null,
      subPlan: null,
      secretOutputs: [],
      name: 'a',
      command: 'true',
      args: [],
      shell: null,
      dependsOn: [],
      timeoutMs: 3_600_000,
      idleTimeoutMs: null,
      killSignal: 'SIGTERM',
      killGraceMs: 10_000,
      retry: { retries: 0, delayMs: 0, backoff: 1, maxDelayMs: 31_536_000_000, on: null, jitter: 'none', deadlineMs: null },
      critical: true,
      onFailure: 'abort',
      triggerRule: 'all_success',
      cwd: dir,
      env: {},
      successExitCodes: [0],
      preconditions: [],
      undoes: null,
      mutex: null,
      sources: null,
      generates: [],
    });
  });

  it('resolves preconditions with variables substituted and a label for messages', () => {
    const dir = tempDir();
    const p = load(
      dir,
      plan(
        [
          {
            id: 'a',
            command: 'true',
            preconditions: [
              { command: 'git', args: ['remote', 'get-url', '${R}'] },
              { value: '${R}', equals: 'origin', description: 'R is origin' },
              { value: '${R}', matches: '^o' },
              { value: '${R}', not_empty: true },
            ],
          },
        ],
        { vars: { R: { default: 'origin' } } },
      ),
    );
    expect(p.steps[0]!.preconditions).toEqual([
      { kind: 'command', label: 'git remote get-url origin', command: 'git', args: ['remote', 'get-url', 'origin'] },
      { kind: 'equals', label: 'R is origin', value: 'origin', expected: 'origin' },
      { kind: 'matches', label: '${R} matches /^o/', value: 'origin', pattern: /^o/ },
      { kind: 'not_empty', label: '${R} is not empty', value: 'origin' },
    ]);
  });

  it('applies plan defaults', () => {
    const dir = tempDir();
    const p = load(dir, plan([{ id: 'a', command: 'true' }]));
    expect(p).toMatchObject({
      planId: 'p',
      version: '1',
      description: undefined,
      metadata: {},
      maxConcurrency: os.availableParallelism(),
      killGraceMs: 10_000,
      secretNames: [],
      order: [0],
    });
  });

  it('converts seconds to milliseconds', () => {
    const dir = tempDir();
    const p = load(
      dir,
      plan(
        [
          { id: 'a', command: 'true', timeout_sec: 1.5, retries: 2, retry_delay_sec: 0.1, retry_backoff: 2, retry_max_delay_sec: 7 },
          { id: 'b', command: 'true' },
        ],
        { globals: { default_timeout_sec: 0.7, kill_grace_sec: 2.5 } },
      ),
    );
    expect(p.steps[0]!.timeoutMs).toBe(1500);
    expect(p.steps[0]!.retry).toEqual({ retries: 2, delayMs: 100, backoff: 2, maxDelayMs: 7000, on: null, jitter: 'none', deadlineMs: null });
    expect(p.steps[1]!.timeoutMs).toBe(700);
    expect(p.killGraceMs).toBe(2500);
  });

  it('keeps the given step options', () => {
    const dir = tempDir();
    const p = load(
      dir,
      plan([
        {
          id: 'a',
          name: 'Step A',
          command: 'ls',
          args: ['-l'],
          critical: false,
          on_failure: 'continue',
          trigger_rule: 'all_done',
          success_exit_codes: [0, 3],
        },
      ]),
    );
    expect(p.steps[0]).toMatchObject({
      name: 'Step A',
      args: ['-l'],
      critical: false,
      onFailure: 'continue',
      triggerRule: 'all_done',
      successExitCodes: [0, 3],
    });
  });

  it('takes max concurrency from the option, then globals, then the CPU count', () => {
    const dir = tempDir();
    const steps = [{ id: 'a', command: 'true' }];
    expect(load(dir, plan(steps, { globals: { max_concurrency: 3 } }), { maxConcurrency: 7 }).maxConcurrency).toBe(7);
    expect(load(dir, plan(steps, { globals: { max_concurrency: 3 } })).maxConcurrency).toBe(3);
    expect(load(dir, plan(steps)).maxConcurrency).toBe(os.availableParallelism());
  });

  it('resolves working_dir against the invocation cwd and step cwd against working_dir', () => {
    const dir = tempDir();
    const p = load(
      dir,
      plan(
        [
          { id: 'a', command: 'true' },
          { id: 'b', command: 'true', cwd: 'sub' },
          { id: 'c', command: 'true', cwd: '/abs/path' },
        ],
        { globals: { working_dir: 'work' } },
      ),
    );
    expect(p.steps.map((s) => s.cwd)).toEqual([path.join(dir, 'work'), path.join(dir, 'work', 'sub'), '/abs/path']);
  });

  it('resolves step cwd against the invocation cwd when there is no working_dir', () => {
    const dir = tempDir();
    const p = load(dir, plan([{ id: 'a', command: 'true', cwd: '../x' }]));
    expect(p.steps[0]!.cwd).toBe(path.resolve(dir, '../x'));
  });

  it('overlays the step env on globals.env', () => {
    const dir = tempDir();
    const p = load(
      dir,
      plan(
        [
          { id: 'a', command: 'true', env: { B: 'step', C: 'c' } },
          { id: 'b', command: 'true' },
        ],
        { globals: { env: { A: 'a', B: 'global' } } },
      ),
    );
    expect(p.steps[0]!.env).toEqual({ A: 'a', B: 'step', C: 'c' });
    expect(p.steps[1]!.env).toEqual({ A: 'a', B: 'global' });
    expect(p.steps[1]!.env).not.toBe(p.steps[0]!.env);
  });

  it('gives dependencies as deduplicated indices', () => {
    const dir = tempDir();
    const p = load(
      dir,
      plan([
        { id: 'a', command: 'true' },
        { id: 'b', command: 'true' },
        { id: 'c', command: 'true', depends_on: ['b', 'a', 'b'] },
      ]),
    );
    expect(p.steps[2]!.dependsOn).toEqual([1, 0]);
  });

  it('orders steps topologically with ties in file order', () => {
    const dir = tempDir();
    const p = load(
      dir,
      plan([
        { id: 'late', command: 'true', depends_on: ['mid'] },
        { id: 'root2', command: 'true' },
        { id: 'mid', command: 'true', depends_on: ['root1'] },
        { id: 'root1', command: 'true' },
        { id: 'leaf', command: 'true', depends_on: ['root2'] },
      ]),
    );
    expect(p.order.map((i) => p.steps[i]!.id)).toEqual(['root2', 'root1', 'mid', 'late', 'leaf']);
  });

  it('records the absolute path, directory and sha256 of the plan file', () => {
    const dir = tempDir();
    const p = load(dir, plan([{ id: 'a', command: 'true' }], { description: 'd', metadata: { owner: 'me' } }));
    const file = path.join(dir, 'plan.json');
    expect(p.path).toBe(file);
    expect(p.dir).toBe(dir);
    expect(p.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(p.description).toBe('d');
    expect(p.metadata).toEqual({ owner: 'me' });
  });
});
