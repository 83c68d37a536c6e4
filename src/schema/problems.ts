/**
 * Problems found in a plan or in the command line, each naming its place. A {@link PlanError}
 * carries all problems found at once; the CLI prints them (no stack trace) and exits 2.
 */

export interface Problem {
  /** The plan file as the user named it, or `<command line>` / a vars file path. */
  file: string;
  /** JSON pointer (RFC 6901) into the file, '' for the whole document. */
  pointer: string;
  /** 1-based line and column of the value the pointer names, when known. */
  line?: number;
  column?: number;
  message: string;
}

/** Thrown by plan loading when the plan, its variables or the command line are invalid. */
export class PlanError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'PlanError';
  }
}

/** `file:line:column: pointer: message`, leaving out what is unknown. */
export function formatProblem(p: Problem): string {
  let where = p.file;
  if (p.line !== undefined) where += `:${p.line}:${p.column ?? 1}`;
  const pointer = p.pointer === '' ? '' : ` ${p.pointer}:`;
  return `${where}:${pointer} ${p.message}`;
}
