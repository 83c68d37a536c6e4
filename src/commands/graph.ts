/** `engine graph PLAN`: the plan's DAG as Mermaid, DOT or JSON (src/query/graph-format.ts). */
import { ExitCode } from '../exit-codes.js';
import { planMasker } from '../engine/mask.js';
import { planGraph, toDot, toMermaid } from '../query/graph-format.js';
import { loadPlanToInspect, unsetVarsNote, type VarOptions } from './common.js';
import { reportError } from './report-error.js';

export interface GraphOptions extends VarOptions {
  format: 'mermaid' | 'dot' | 'json';
}

export async function graphCommand(planPath: string, opts: GraphOptions): Promise<number> {
  try {
    // Loaded exactly as `engine validate` does, so an invalid plan is reported the same way.
    const { plan, unsetVars } = loadPlanToInspect(planPath, opts);
    const graph = planGraph(plan, planMasker(plan));
    const text =
      opts.format === 'json' ? `${JSON.stringify(graph, null, 2)}\n` : opts.format === 'dot' ? toDot(graph) : toMermaid(graph);
    process.stdout.write(text);
    // On stderr: stdout is the graph, for a file or another program.
    process.stderr.write(unsetVarsNote(unsetVars));
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}
