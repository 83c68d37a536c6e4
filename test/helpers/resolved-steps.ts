import type { ResolvedStep } from '../../src/schema/resolved-plan.js';

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
      command: 'true',
      args: [],
      shell: false,
      timeoutMs: 60_000,
      retry: { retries: 0, delayMs: 0, backoff: 1, maxDelayMs: Infinity },
      critical: true,
      onFailure: 'abort',
      triggerRule: 'all_success',
      cwd: '/',
      env: {},
      successExitCodes: [0],
      preconditions: [],
      ...rest,
      index: i,
      dependsOn: deps.map((d) => index.get(d)!),
    };
  });
}
