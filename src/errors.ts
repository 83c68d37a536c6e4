import { ExitCode } from './exit-codes.js';

/**
 * A failure the user can act on (bad input, a state directory the engine cannot use),
 * printed as its message alone, with no stack trace, and mapped to `exitCode`.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.usage,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
