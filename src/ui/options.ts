/**
 * `engine ui` options, normalised once: the address to listen on, the token, and the access
 * policy the security checks apply (src/ui/security.ts).
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

/** The options as commander hands them over. */
export interface UiCommandOptions {
  host?: string;
  port?: number;
  stateDir?: string;
  open?: boolean;
  token?: string;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7788;

/** What the server needs to know about who may do what. */
export interface AccessPolicy {
  /** Accepted `Host` header values (lower case, with port). */
  hosts: ReadonlySet<string>;
  /** Accepted `Origin` header values of POSTs (lower case). */
  origins: ReadonlySet<string>;
  /** The token the page gets; POSTs need it, and so does every request when {@link tokenOnEveryRequest}. */
  token: string;
  /** True when listening beyond loopback (like Jupyter's `?token=`). */
  tokenOnEveryRequest: boolean;
  port: number;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** `host` as it appears in a URL or Host header: IPv6 literals in brackets. */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** A random token (32 hex digits) unless one was given. */
export function chooseToken(given: string | undefined): string {
  return given ?? randomBytes(16).toString('hex');
}

/**
 * The access policy for a server listening on `host`:`port`. A wildcard address (0.0.0.0, ::)
 * serves every address of this machine, so each of them is an accepted Host.
 */
export function accessPolicy(host: string, port: number, token: string): AccessPolicy {
  const names = new Set<string>([host.toLowerCase()]);
  if (isLoopback(host)) names.add('localhost');
  if (host === '0.0.0.0' || host === '::') {
    names.add('localhost').add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase());
  }
  const hosts = new Set<string>();
  for (const name of names) {
    hosts.add(`${urlHost(name)}:${port}`);
    if (port === 80) hosts.add(urlHost(name));
  }
  const origins = new Set([...hosts].map((h) => `http://${h}`));
  return { hosts, origins, token, tokenOnEveryRequest: !isLoopback(host), port };
}
