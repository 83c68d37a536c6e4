/** `engine show RUN`: a run and its steps in topological order. */
export interface ShowOptions {
  json?: boolean;
  stateDir?: string;
}

export async function showCommand(_runRef: string, _opts: ShowOptions): Promise<number> {
  process.stderr.write('engine show: not implemented yet\n');
  return 2;
}
