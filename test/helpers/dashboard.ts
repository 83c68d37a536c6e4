/**
 * Helpers for the dashboard's tests: the built CLI's `engine ui` as a child process (its URL
 * read from its first stdout line), plans whose steps wait for a file so a test decides when
 * they move on, raw HTTP requests with any headers, and Chromium driven by playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { RunsPage } from '../../src/ui/api-types.js';
import { CLI, workspace, type EngineProcess, type Workspace } from './cli.js';
import { waitFor } from './processes.js';
import { removeDir } from './temp-dirs.js';

/** Screenshots land here (gitignored; CI keeps them as artefacts). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../ui/artifacts/', import.meta.url));

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface Dashboard {
  /** `http://127.0.0.1:PORT/` as printed. */
  url: string;
  port: number;
  proc: ChildProcess;
  /** Every stdout line so far. */
  stdout: string[];
  stderr: () => string;
  /** Sends `signal` (SIGTERM by default), then waits for the exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `engine ui --port 0 --state-dir stateDir …` and waits for its first line. */
export async function startDashboard(stateDir: string, extraArgs: string[] = []): Promise<Dashboard> {
  const proc = spawn(process.execPath, [CLI, 'ui', '--port', '0', '--state-dir', stateDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const stdout: string[] = [];
  const lines = createInterface({ input: proc.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.on('line', (l) => {
      stdout.push(l);
      if (stdout.length === 1) resolve(l);
    });
    proc.once('exit', (code) => reject(new Error(`engine ui exited with ${code} before printing its address: ${err}`)));
  });
  const m = /^engine ui: (http:\/\/[^/]+:(\d+)\/)$/.exec(first);
  if (m === null) throw new Error(`unexpected first line of engine ui: ${JSON.stringify(first)}`);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    url: m[1]!,
    port: Number(m[2]),
    proc,
    stdout,
    stderr: () => err,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** A gate file: a step waiting on it blocks until {@link open} creates it. */
export function gate(dir: string, name: string): { path: string; open(): void } {
  const path = join(dir, `${name}.gate`);
  return { path, open: () => writeFileSync(path, '') };
}

/** A shell script line that waits (polling every 20 ms) until `path` exists. */
export function waitForFile(path: string): string {
  return `while [ ! -e '${path}' ]; do sleep 0.02; done`;
}

/** A step running `script` with /bin/sh. */
export function shStep(id: string, script: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, command: 'sh', args: ['-c', script], ...extra };
}

/** The answer to a raw HTTP request (any Host, Origin, … headers). */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one request to 127.0.0.1:`port` with exactly these headers. */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: !('host' in headers) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Reads a server-sent-events response until `enough` says so (or `timeoutMs` passes), then
 * aborts it; returns the messages seen. `opened` resolves once the response has started: the
 * server is then following, so what happens after it is in the stream.
 */
export function readSse(
  url: string,
  headers: Record<string, string>,
  enough: (messages: SseMessage[]) => boolean,
  timeoutMs = 10_000,
): { opened: Promise<void>; messages: Promise<SseMessage[]> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const messages = collectSse(url, headers, enough, timeoutMs, () => open());
  // A stream that fails before it opens must not leave `opened` pending forever.
  void messages.finally(() => open());
  return { opened, messages };
}

async function collectSse(
  url: string,
  headers: Record<string, string>,
  enough: (messages: SseMessage[]) => boolean,
  timeoutMs: number,
  onOpen: () => void,
): Promise<SseMessage[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const messages: SseMessage[] = [];
  try {
    const res = await fetch(url, { headers, signal: abort.signal });
    if (!res.ok || res.body === null) throw new Error(`${url}: ${res.status}`);
    onOpen();
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const m = parseSseBlock(block);
        if (m !== null) messages.push(m);
      }
      if (enough(messages)) break;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return messages;
}

export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

function parseSseBlock(block: string): SseMessage | null {
  let id: string | undefined;
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 && event === undefined ? null : { id, event, data: data.join('\n') };
}

/** {@link waitFor} with the description first, as the dashboard tests read: polls `check` (it may be async) for `timeoutMs`. */
export function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  return waitFor(check, what, { timeoutMs });
}

export interface Browser {
  context: BrowserContext;
  /** URLs requested from any other host than the dashboard's, by any page. */
  foreignRequests: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Chromium (Debian's /usr/bin/chromium, or $CHROMIUM_PATH) with a fresh profile, every
 * request recorded. Never downloads a browser.
 * @throws Error saying how to install Chromium when it is missing
 */
export async function launchBrowser(dashboardUrl: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the dashboard's browser tests need Chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" ` +
        `(Debian/Ubuntu; .ci/run does this), or point CHROMIUM_PATH at a Chromium or Chrome binary`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'engine-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 1000 },
  });
  const origin = new URL(dashboardUrl).origin;
  const foreignRequests: string[] = [];
  context.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(`${origin}/`) && !u.startsWith('data:')) foreignRequests.push(u);
  });
  return {
    context,
    foreignRequests,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of `page` as ARTIFACTS_DIR/`name`.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`), fullPage: true });
}

/** One dashboard and one browser page for a test file: see {@link dashboardPageForThisFile}. */
export interface DashboardPage {
  /** The workspace whose state directory the dashboard shows. */
  readonly ws: Workspace;
  readonly ui: Dashboard;
  readonly browser: Browser;
  readonly page: Page;
  /** Runs of plan `planId` as `/api/runs` lists them (with `status`, only those). */
  runsOf(planId: string, status?: string): Promise<RunsPage['runs']>;
  /** Starts `engine run` of `planObject` (written as `name`) in the background; resolves once runs.db shows it running. */
  startRun(planObject: Record<string, unknown>, name: string): Promise<{ engine: EngineProcess; runId: string }>;
  /** Resolves once an element matching `selector` is visible (at most `showMs`). */
  shown(selector: string): Promise<void>;
}

/**
 * For the calling test file: a workspace (prefix `prefix`), `engine ui` on its state directory,
 * Chromium and one page, started before the file's tests and stopped after them. `showMs`
 * bounds every wait for the page or runs.db to show something: generous, never tight.
 * @returns the session; its fields are set once the file's `beforeAll` hooks have run
 */
export function dashboardPageForThisFile(prefix: string, showMs: number): DashboardPage {
  let ws: Workspace | undefined;
  let ui: Dashboard | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const set = <T>(v: T | undefined, name: string): T => {
    if (v === undefined) throw new Error(`the dashboard page's ${name} is not started yet (use it inside a test)`);
    return v;
  };
  beforeAll(async () => {
    ws = workspace(prefix);
    ui = await startDashboard(ws.stateDir);
    browser = await launchBrowser(ui.url);
    page = await browser.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
    if (ws) removeDir(ws.dir);
  });
  const session: DashboardPage = {
    get ws() {
      return set(ws, 'workspace');
    },
    get ui() {
      return set(ui, 'dashboard');
    },
    get browser() {
      return set(browser, 'browser');
    },
    get page() {
      return set(page, 'page');
    },
    async runsOf(planId, status) {
      const res = await fetch(new URL(`/api/runs?plan=${planId}${status ? `&status=${status}` : ''}`, session.ui.url));
      return ((await res.json()) as RunsPage).runs;
    },
    async startRun(planObject, name) {
      const engine = session.ws.engine(['run', session.ws.writePlan(planObject, name)]);
      const runId = await until(`run of ${name} to start`, async () => (await session.runsOf(planObject.plan_id as string, 'running'))[0]?.run_id, showMs);
      return { engine, runId };
    },
    shown: (selector) => session.page.locator(selector).first().waitFor({ state: 'visible', timeout: showMs }),
  };
  return session;
}
