/** `engine runs`: recent runs, newest first. */
export interface RunsOptions {
  status?: string;
  plan?: string;
  limit?: number;
  json?: boolean;
  stateDir?: string;
}

export async function runsCommand(_opts: RunsOptions): Promise<number> {
  process.stderr.write('engine runs: not implemented yet\n');
  return 2;
}
