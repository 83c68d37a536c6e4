/**
 * The console's pure parts: which failures are root causes and what each caused
 * (root-causes.ts), and the status area's ETA from earlier durations (progress-eta.ts).
 */
import { describe, expect, it } from 'vitest';
import type { StepStatus } from '../../src/engine/status.js';
import { estimateRemainingMs, type EtaState } from '../../src/state/sinks/progress-eta.js';
import { analyseFailures, type StepOutcome } from '../../src/state/sinks/root-causes.js';

const step = (id: string, status: StepStatus, dependsOn: string[] = [], more: Partial<StepOutcome> = {}): StepOutcome => ({
  id,
  status,
  dependsOn,
  critical: true,
  upstream: null,
  ...more,
});

describe('root causes', () => {
  it('are the failed steps none of whose upstream steps failed, each with what it caused', () => {
    const a = analyseFailures([
      step('a', 'failed'),
      step('b', 'failed'),
      step('c', 'skipped', ['a'], { upstream: 'a' }),
      step('d', 'skipped', ['c'], { upstream: 'c' }),
      step('cleanup', 'failed', ['a']),
      step('e', 'cancelled', [], { upstream: 'b' }),
      step('ok', 'succeeded'),
    ]);
    expect(a.rootCauses).toEqual(['a', 'b']);
    expect(a.caused.get('a')).toEqual({ skipped: ['c', 'd'], cancelled: [], failed: ['cleanup'] });
    expect(a.caused.get('b')).toEqual({ skipped: [], cancelled: ['e'], failed: [] });
    expect(a.notCritical).toEqual([]);
  });

  it('list non-critical failures apart, unless a critical failure comes after one', () => {
    const alone = analyseFailures([step('lint', 'failed', [], { critical: false }), step('x', 'failed')]);
    expect(alone).toMatchObject({ rootCauses: ['x'], notCritical: ['lint'] });
    const before = analyseFailures([step('gen', 'failed', [], { critical: false }), step('use', 'failed', ['gen'])]);
    expect(before).toMatchObject({ rootCauses: ['gen'], notCritical: [] });
  });
});

describe('ETA', () => {
  const chain = [
    { id: 'a', deps: [] },
    { id: 'b', deps: [0] },
    { id: 'c', deps: [] },
  ];
  const waiting: EtaState = { kind: 'waiting' };

  it('is the longer of the remaining critical path and the remaining work over the concurrency limit', () => {
    expect(estimateRemainingMs(chain, [waiting, waiting, waiting], [1000, 2000, 500], 4)).toBe(3000);
    expect(estimateRemainingMs(chain, [waiting, waiting, waiting], [1000, 2000, 5000], 1)).toBe(8000);
  });

  it('counts what running steps have left and nothing for ended ones', () => {
    const states: EtaState[] = [{ kind: 'ended' }, { kind: 'running', elapsedMs: 1500 }, { kind: 'ended' }];
    expect(estimateRemainingMs(chain, states, [1000, 2000, 500], 2)).toBe(500);
  });

  it('is null when a step still to run has no history', () => {
    expect(estimateRemainingMs(chain, [waiting, waiting, waiting], [1000, undefined, 500], 2)).toBeNull();
    expect(estimateRemainingMs(chain, [waiting, { kind: 'ended' }, waiting], [1000, undefined, 500], 2)).toBe(1000);
  });
});
