/**
 * The engine in a pseudo-terminal, as a person at a terminal runs it: `script` (util-linux)
 * gives it a pty as stdin, stdout and stderr, and what it wrote there (ANSI sequences and all)
 * comes back as `script`'s own stdout.
 */
import { execa } from 'execa';
import { CLI } from './cli.js';

/** `text` with every character outside printable ASCII and newline shown as `\xNN`/`\uNNNN`, for messages. */
export function visible(text: string): string {
  return JSON.stringify(text).slice(1, -1).replace(/\\n/g, '\n');
}

/** The same text without ANSI escape sequences and carriage returns. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/**
 * Runs `node dist/cli.js <args…>` in `cwd` inside a pseudo-terminal (`script -q -c … /dev/null`),
 * with `env` added to the environment (NO_COLOR is not set: a terminal gets colours).
 * @returns the exit code of the engine and everything it wrote to the terminal.
 */
export async function engineInPty(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ exitCode: number; output: string }> {
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = ['node', CLI, ...args].map(quote).join(' ');
  const r = await execa('script', ['-q', '-e', '-c', command, '/dev/null'], {
    cwd,
    reject: false,
    env: { TERM: 'xterm-256color', COLUMNS: '120', ...env, NO_COLOR: '' },
    stdin: 'ignore',
  });
  return { exitCode: r.exitCode ?? -1, output: r.stdout };
}
