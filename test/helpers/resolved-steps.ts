import { topologicalOrder } from '../../src/graph/dag.js';
import type { ResolvedPlan, ResolvedStep } from '../../src/schema/resolved-plan.js';

/** Step definitions for scheduler tests: `deps` name other steps by id. */
export type StepSpec = Partial<Omit<ResolvedStep, 'dependsOn' | 'index' | 'id'>> & {
  id: string;
  deps?: string[];
};

/** Builds resolved steps (defaults as the loader applies them) from compact specs. */
export function resolvedSteps(specs: StepSpec[]): ResolvedStep[] {
  const index = new Map(specs.map((s, i) => [s.id, i]));
  return specs.map((s, i) => {
    const { deps = [], ...rest } = s;
    return {
      name: s.id,
      kind: 'command',
      planIndex: i,
      instanceOf: null,
      fanOut: null,
      matrix: null,
      forEach: null,
      late: null,
      subPlan: null,
      secretOutputs: [],
      command: 'true',
      args: [],
      shell: null,
      timeoutMs: 60_000,
      idleTimeoutMs: null,
      killSignal: 'SIGTERM',
      killGraceMs: 1000,
      retry: { retries: 0, delayMs: 0, backoff: 1, maxDelayMs: Infinity, on: null, jitter: 'none', deadlineMs: null },
      critical: true,
      onFailure: 'abort',
      triggerRule: 'all_success',
      cwd: '/',
      env: {},
      successExitCodes: [0],
      preconditions: [],
      undoes: null,
      mutex: null,
      sources: null,
      generates: [],
      ...rest,
      index: i,
      dependsOn: deps.map((d) => index.get(d)!),
    };
  });
}

/** A resolved plan around compact step specs (see {@link resolvedSteps}), in a topological order. */
export function resolvedPlan(specs: StepSpec[], extra: Partial<Omit<ResolvedPlan, 'steps' | 'order'>> = {}): ResolvedPlan {
  const steps = resolvedSteps(specs);
  const sorted = topologicalOrder(steps.length, steps.map((s) => s.dependsOn));
  if (!('order' in sorted)) throw new Error('resolvedPlan: the steps have a cycle');
  const { order } = sorted;
  return {
    planId: 'test',
    version: '1',
    description: undefined,
    metadata: {},
    path: '/plans/test.json',
    sha256: '0'.repeat(64),
    dir: '/plans',
    maxConcurrency: 4,
    killGraceMs: 1000,
    timeoutMs: null,
    failFast: false,
    mutex: null,
    vars: {},
    secretNames: [],
    scope: { vars: new Map(), baseDir: '/', globalEnv: {}, defaultTimeoutSec: 3600, killGraceSec: 1 },
    ...extra,
    steps,
    order,
  };
}
