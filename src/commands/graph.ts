/** `engine graph PLAN`: the DAG as Mermaid, DOT or JSON. */
import type { VarOptions } from './common.js';

export interface GraphOptions extends VarOptions {
  format: 'mermaid' | 'dot' | 'json';
}

export async function graphCommand(_planPath: string, _opts: GraphOptions): Promise<number> {
  process.stderr.write('engine graph: not implemented yet\n');
  return 2;
}
