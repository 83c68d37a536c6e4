/**
 * `engine ui`: serves the dashboard until Ctrl-C or SIGTERM. The first stdout line is exactly
 * `engine ui: http://HOST:PORT/`, so scripts and tests can read the address (with `--port 0`,
 * the port the system chose). Beyond loopback it warns on stderr and prints the token.
 */
import { resolveStateDir } from '../commands/common.js';
import { startDetached } from '../engine/process/detached.js';
import { reportError } from '../commands/report-error.js';
import { UserError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { chooseToken, DEFAULT_HOST, DEFAULT_PORT, type UiCommandOptions } from './options.js';
import { startUiServer, type UiServer } from './server.js';

/**
 * Serves the dashboard of the state directory until SIGINT or SIGTERM; returns the exit code:
 * 0 after a clean stop, 1 when the port is in use, 2 when the host is not an address of this
 * machine.
 */
export async function uiCommand(opts: UiCommandOptions): Promise<number> {
  const stateDir = resolveStateDir(opts.stateDir);
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;
  let server: UiServer;
  try {
    server = await startUiServer({ stateDir, host, port, token: chooseToken(opts.token) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') return reportError(new UserError(`${host}:${port} is in use; choose another --port (0 picks a free one)`, ExitCode.failed));
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return reportError(new UserError(`cannot listen on ${host}: not an address of this machine`));
    return reportError(error);
  }
  process.stdout.write(`engine ui: ${server.url}\n`);
  process.stdout.write(`engine ui: state directory ${stateDir}; Ctrl-C stops\n`);
  if (server.tokenOnEveryRequest) {
    process.stderr.write(
      `engine ui: warning: listening on ${host}, which other machines can reach: anyone who can connect and has the token sees every run and its logs\n`,
    );
    process.stdout.write(`engine ui: every request needs the token; open ${server.url}?token=${server.token}\n`);
  }
  if (opts.open) openBrowser(server.tokenOnEveryRequest ? `${server.url}?token=${server.token}` : server.url);
  await stopSignal();
  await server.close();
  return ExitCode.ok;
}

/** Resolves on the first SIGINT or SIGTERM. */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Opens `url` in the desktop's browser, if there is one; failing to is not an error. */
function openBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  const child = startDetached(opener, [url], { stdio: 'ignore' });
  child.on('error', () => process.stderr.write(`engine ui: could not start ${opener}; open ${url} yourself\n`));
  child.unref();
}
