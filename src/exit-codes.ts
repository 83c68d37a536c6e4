/**
 * Exit codes of the `engine` CLI (documented in README.md).
 * 0 the run succeeded (or the command did what was asked), 1 the run failed,
 * 2 invalid plan or usage, 3 the engine's environment failed (the state directory cannot be
 * used: it is a file, read-only, on a full disk), 130 the run was cancelled (SIGINT/SIGTERM,
 * as shells report 128+2).
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  environment: 3,
  cancelled: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
