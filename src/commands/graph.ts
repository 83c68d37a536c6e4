/** `engine graph PLAN`: the plan's DAG as Mermaid, DOT or JSON (src/query/graph-format.ts). */
import { ExitCode } from '../exit-codes.js';
import { createMasker } from '../engine/mask.js';
import { newRunId } from '../engine/run-id.js';
import { planGraph, toDot, toMermaid } from '../query/graph-format.js';
import { loadPlan } from '../schema/load-plan.js';
import { resolveStateDir, type VarOptions } from './common.js';
import { reportError } from './report-error.js';

export interface GraphOptions extends VarOptions {
  format: 'mermaid' | 'dot' | 'json';
}

export async function graphCommand(planPath: string, opts: GraphOptions): Promise<number> {
  try {
    // Loaded exactly as `engine validate` does, so an invalid plan is reported the same way.
    const plan = loadPlan({
      path: planPath,
      varArgs: opts.var,
      varsFile: opts.varsFile,
      runId: newRunId(),
      stateDir: resolveStateDir(undefined),
      cwd: process.cwd(),
    });
    const graph = planGraph(plan, createMasker(plan.secretNames.map((n) => plan.vars[n] ?? '')));
    const text =
      opts.format === 'json' ? `${JSON.stringify(graph, null, 2)}\n` : opts.format === 'dot' ? toDot(graph) : toMermaid(graph);
    process.stdout.write(text);
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
