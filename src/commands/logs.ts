/** `engine logs RUN [STEP]`: a step's log, or all steps' logs in order. */
export interface LogsOptions {
  attempt?: number;
  follow?: boolean;
  stateDir?: string;
}

export async function logsCommand(_runRef: string, _stepId: string | undefined, _opts: LogsOptions): Promise<number> {
  process.stderr.write('engine logs: not implemented yet\n');
  return 2;
}
