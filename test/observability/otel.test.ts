/**
 * OpenTelemetry export of real runs of the built CLI to a real OTLP/HTTP receiver: a plain
 * node:http server on 127.0.0.1 (port 0) accepting POST /v1/traces and /v1/metrics with the
 * JSON protocol (OTEL_EXPORTER_OTLP_PROTOCOL=http/json), so bodies parse without protobuf.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { otelRequested } from '../../src/state/otel/enabled.js';
import { CLI, engineResult, plan, workspacesForThisFile } from '../helpers/cli.js';
import { readPidFile, waitFor } from '../helpers/processes.js';
import { eventsOf, onlyRunId, readEvents, type EngineEvent } from '../helpers/record.js';

// ---- a minimal OTLP/HTTP JSON receiver -------------------------------------------------

interface AnyValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: KeyValue[];
  status?: { code?: number; message?: string };
  events?: { name: string; attributes?: KeyValue[] }[];
}
interface DataPoint {
  attributes?: KeyValue[];
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
  sum?: number;
}
interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: DataPoint[]; isMonotonic?: boolean };
  histogram?: { dataPoints: DataPoint[] };
}

class Receiver {
  readonly requests: { path: string; contentType: string | undefined; body: unknown }[] = [];
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Kept as text: the assertion on content-type will say what went wrong.
        }
        this.requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  clear(): void {
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  spans(): OtlpSpan[] {
    return this.requests
      .filter((r) => r.path === '/v1/traces')
      .flatMap((r) => (r.body as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans)
      .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  }

  resourceAttributes(): Record<string, unknown> {
    const first = this.requests.find((r) => r.path === '/v1/traces');
    const rs = (first?.body as { resourceSpans: { resource: { attributes: KeyValue[] } }[] }).resourceSpans[0]!;
    return attrs(rs.resource.attributes);
  }

  metrics(): OtlpMetric[] {
    return this.requests
      .filter((r) => r.path === '/v1/metrics')
      .flatMap((r) => (r.body as { resourceMetrics: { scopeMetrics: { metrics: OtlpMetric[] }[] }[] }).resourceMetrics)
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
  }
}

function value(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return undefined;
}

function attrs(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

/** Sum of a counter's data points whose `status` attribute is `status`. */
function counter(ms: OtlpMetric[], name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of ms.filter((x) => x.name === name)) {
    for (const dp of m.sum!.dataPoints) {
      const status = String(attrs(dp.attributes).status);
      out[status] = (out[status] ?? 0) + Number(dp.asInt ?? dp.asDouble);
    }
  }
  return out;
}

/** Recorded epoch ms (µs precision) as OTLP nanoseconds. */
const nanos = (ms: number) => BigInt(Math.round(ms * 1000)) * 1000n;

// ---- set-up -------------------------------------------------------------------------------

const receiver = new Receiver();
const ws = workspacesForThisFile('engine-otel-');

beforeAll(() => receiver.start());
afterEach(() => receiver.clear());
afterAll(async () => {
  await receiver.stop();
});

const otlpEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  ...extra,
});

const byStepAttempt = (spans: OtlpSpan[], step: string, attempt: number) =>
  spans.find((s) => s.name === 'engine.step' && attrs(s.attributes)['engine.step.id'] === step && attrs(s.attributes)['engine.step.attempt'] === attempt);

// ---- tests --------------------------------------------------------------------------------

describe('OpenTelemetry export', () => {
  it('exports one trace per run: engine.run with a child span per attempt, recorded times, attributes, error status, and metrics', async () => {
    const w = ws();
    const p = w.writePlan(
      plan([
        {
          id: 'a',
          shell: true,
          command: 'printf %s "$TRACEPARENT" > tp-a.txt',
          preconditions: [{ command: 'sh', args: ['-c', 'printf %s "$TRACEPARENT" > tp-pre.txt'] }],
        },
        { id: 'b', shell: true, command: 'exit 3', depends_on: ['a'], retries: 1, on_failure: 'skip_dependents' },
        { id: 'c', command: 'true', depends_on: ['b'] },
      ]),
    );
    const r = await w.engine(['run', p], { env: otlpEnv() });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).not.toContain('warning');
    const runId = onlyRunId(w.stateDir);
    const events = readEvents(w.stateDir, runId);
    const ev = <T extends EngineEvent['type']>(type: T, pred: (e: Extract<EngineEvent, { type: T }>) => boolean = () => true) =>
      eventsOf(events, type).find(pred)!;

    const spans = receiver.spans();
    expect(spans.map((s) => s.name).sort()).toEqual(['engine.run', 'engine.step', 'engine.step', 'engine.step']);
    const root = spans.find((s) => s.name === 'engine.run')!;
    expect(root.parentSpanId ?? '').toBe('');
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([root.traceId]));
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(attrs(root.attributes)).toMatchObject({
      'engine.plan.id': 'test',
      'engine.plan.version': '1',
      'engine.run.id': runId,
      'engine.run.status': 'failed',
    });
    expect(root.status?.code).toBe(2);
    expect(BigInt(root.startTimeUnixNano)).toBe(BigInt(Date.parse(ev('run_started').ts)) * 1_000_000n);
    expect(BigInt(root.endTimeUnixNano)).toBe(BigInt(Date.parse(ev('run_finished').ts)) * 1_000_000n);
    expect(root.events?.map((e) => e.name)).toEqual(['step_retrying', 'step_skipped']);

    const a = byStepAttempt(spans, 'a', 1)!;
    const b1 = byStepAttempt(spans, 'b', 1)!;
    const b2 = byStepAttempt(spans, 'b', 2)!;
    for (const s of [a, b1, b2]) expect(s.parentSpanId).toBe(root.spanId);
    expect(attrs(a.attributes)).toMatchObject({ 'engine.step.id': 'a', 'engine.step.attempt': 1, 'engine.step.status': 'succeeded', 'engine.step.exit_code': 0 });
    expect(a.status?.code ?? 0).toBe(0);
    for (const [span, attempt] of [
      [b1, 1],
      [b2, 2],
    ] as const) {
      expect(attrs(span.attributes)).toMatchObject({
        'engine.step.id': 'b',
        'engine.step.attempt': attempt,
        'engine.step.status': 'failed',
        'engine.step.reason': 'exit_code',
        'engine.step.exit_code': 3,
      });
      expect(span.status).toMatchObject({ code: 2, message: 'exit code 3 (expected 0)' });
    }
    // Span times are the recorded ones (µs precision).
    for (const [span, step, attempt] of [
      [a, 'a', 1],
      [b1, 'b', 1],
      [b2, 'b', 2],
    ] as const) {
      const started = ev('step_started', (e) => e.step_id === step && e.attempt === attempt);
      const ended = ev(step === 'a' ? 'step_succeeded' : 'step_failed', (e) => e.step_id === step && e.attempt === attempt);
      expect(BigInt(span.startTimeUnixNano)).toBe(nanos(started.started_at_ms as number));
      expect(BigInt(span.endTimeUnixNano)).toBe(nanos(ended.ended_at_ms as number));
    }

    // The step process saw TRACEPARENT naming its own attempt's span in the run's trace; the
    // precondition command (before any attempt) saw the run span.
    expect(readFileSync(join(w.dir, 'tp-a.txt'), 'utf8')).toBe(`00-${root.traceId}-${a.spanId}-01`);
    expect(readFileSync(join(w.dir, 'tp-pre.txt'), 'utf8')).toBe(`00-${root.traceId}-${root.spanId}-01`);

    const ms = receiver.metrics();
    expect(counter(ms, 'engine.runs')).toEqual({ failed: 1 });
    expect(counter(ms, 'engine.steps')).toEqual({ succeeded: 1, failed: 1, skipped: 1 });
    const duration = ms.filter((m) => m.name === 'engine.step.duration');
    expect(duration[0]?.unit).toBe('s');
    const points = duration.flatMap((m) => m.histogram!.dataPoints);
    expect(points.reduce((n, dp) => n + Number(dp.count), 0)).toBe(3);
    const recordedSeconds = events
      .filter((e) => e.type === 'step_succeeded' || e.type === 'step_failed')
      .reduce((s, e) => s + (e.duration_ms as number) / 1000, 0);
    expect(points.reduce((s, dp) => s + (dp.sum ?? 0), 0)).toBeCloseTo(recordedSeconds, 6);

    // The command line (which may hold secret --var values) is not exported.
    const resource = receiver.resourceAttributes();
    expect(resource['service.name']).toBe('engine');
    expect(resource).not.toHaveProperty('process.command_args');
  });

  it('flushes spans and metrics when the run is cancelled with Ctrl-C', async () => {
    const w = ws();
    const p = w.writePlan(
      plan(
        [
          { id: 'work', shell: true, command: 'echo $$ > work.tmp && mv work.tmp work.pid; sleep 30' },
          { id: 'cleanup', command: 'true', depends_on: ['work'], trigger_rule: 'all_done' },
        ],
        { globals: { kill_grace_sec: 1 } },
      ),
    );
    const proc = w.engine(['run', p, '--otel'], { env: otlpEnv() });
    await waitFor(() => readPidFile(join(w.dir, 'work.pid')), 'the work step to start', { timeoutMs: 20_000 });
    process.kill(proc.pid!, 'SIGINT');
    const r = await engineResult(proc);
    expect(r.exitCode, r.all).toBe(130);
    const spans = receiver.spans();
    const root = spans.find((s) => s.name === 'engine.run')!;
    expect(attrs(root.attributes)).toMatchObject({ 'engine.run.status': 'cancelled', 'engine.run.id': onlyRunId(w.stateDir) });
    expect(root.events?.map((e) => e.name)).toContain('run_cancel_requested');
    const work = byStepAttempt(spans, 'work', 1)!;
    expect(work.parentSpanId).toBe(root.spanId);
    expect(attrs(work.attributes)).toMatchObject({ 'engine.step.status': 'cancelled', 'engine.step.reason': 'run_cancelled' });
    expect(attrs(byStepAttempt(spans, 'cleanup', 1)!.attributes)).toMatchObject({ 'engine.step.status': 'succeeded' });
    expect(counter(receiver.metrics(), 'engine.runs')).toEqual({ cancelled: 1 });
    expect(counter(receiver.metrics(), 'engine.steps')).toEqual({ cancelled: 1, succeeded: 1 });
  });

  it('makes the run a child of TRACEPARENT in the engine environment (an instrumented caller)', async () => {
    const w = ws();
    const parentTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpan = '00f067aa0ba902b7';
    const r = await w.engine(['run', w.writePlan(plan([{ id: 'a', shell: true, command: 'printf %s "$TRACEPARENT" > tp.txt' }]))], {
      env: otlpEnv({ TRACEPARENT: `00-${parentTrace}-${parentSpan}-01` }),
    });
    expect(r.exitCode, r.all).toBe(0);
    const spans = receiver.spans();
    const root = spans.find((s) => s.name === 'engine.run')!;
    expect(root.traceId).toBe(parentTrace);
    expect(root.parentSpanId).toBe(parentSpan);
    const a = byStepAttempt(spans, 'a', 1)!;
    expect(readFileSync(join(w.dir, 'tp.txt'), 'utf8')).toBe(`00-${parentTrace}-${a.spanId}-01`);
  });

  it('exports the rest of a resumed run (engine resume --otel) as its own engine.run trace', async () => {
    const w = ws();
    const p = w.writePlan(plan([{ id: 'a', command: 'true' }, { id: 'b', shell: true, command: 'test -f fixed', depends_on: ['a'] }]));
    expect((await w.engine(['run', p])).exitCode).toBe(1);
    expect(receiver.requests).toHaveLength(0);
    writeFileSync(join(w.dir, 'fixed'), '');
    const runId = onlyRunId(w.stateDir);
    const r = await w.engine(['resume', runId, '--otel', '--state-dir', w.stateDir], { env: otlpEnv() });
    expect(r.exitCode, r.all).toBe(0);
    const spans = receiver.spans();
    const root = spans.find((s) => s.name === 'engine.run')!;
    expect(attrs(root.attributes)).toMatchObject({
      'engine.run.id': runId,
      'engine.run.resumed': true,
      'engine.run.previous_status': 'failed',
      'engine.plan.id': 'test',
      'engine.run.status': 'succeeded',
    });
    expect(byStepAttempt(spans, 'b', 2)?.parentSpanId).toBe(root.spanId);
    expect(byStepAttempt(spans, 'a', 1)).toBeUndefined();
    expect(counter(receiver.metrics(), 'engine.runs')).toEqual({ succeeded: 1 });
  });

  it('does not hang on a dead collector: the run keeps its exit code and the engine warns and exits within a few seconds', async () => {
    const w = ws();
    const port = await closedPort();
    const started = Date.now();
    const r = await w.engine(['run', w.writePlan(plan([{ id: 'a', command: 'true' }]))], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    });
    const elapsed = Date.now() - started;
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toContain('engine: warning: OpenTelemetry export failed');
    expect(elapsed).toBeLessThan(9000);
  });
});

describe('OpenTelemetry is off by default', () => {
  it('is enabled only by --otel or the standard variables (OTEL_SDK_DISABLED wins)', () => {
    expect(otelRequested(undefined, {})).toBe(false);
    expect(otelRequested(false, { OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe(false);
    expect(otelRequested(true, {})).toBe(true);
    expect(otelRequested(undefined, { OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(otelRequested(undefined, { OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(otelRequested(undefined, { OTEL_TRACES_EXPORTER: '' })).toBe(false);
    expect(otelRequested(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' })).toBe(true);
    expect(otelRequested(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://localhost:4318/v1/traces' })).toBe(true);
    expect(otelRequested(true, { OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(otelRequested(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
  });

  it('loads no @opentelemetry module and sends nothing unless enabled (checked with a module resolve hook)', async () => {
    const w = ws();
    const hooks = join(w.dir, 'otel-hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.includes('/@opentelemetry/')) appendFileSync(process.env.OTEL_LOAD_LOG, r.url + '\\n');
  return r;
}
`,
    );
    const register = join(w.dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    const p = w.writePlan(plan([{ id: 'a', shell: true, command: 'printf %s "$${TRACEPARENT:-none}" > tp.txt' }]));
    const run = (log: string, extra: string[], env: NodeJS.ProcessEnv = {}) =>
      execa('node', ['--import', pathToFileURL(register).href, CLI, 'run', p, '--state-dir', w.stateDir, ...extra], {
        cwd: w.dir,
        reject: false,
        // Only these variables: no OTEL_* from the environment the tests run in.
        env: { PATH: process.env.PATH, NO_COLOR: '1', OTEL_LOAD_LOG: join(w.dir, log), ...env },
        extendEnv: false,
      });
    const off = await run('off.log', []);
    expect(off.exitCode, off.stderr).toBe(0);
    expect(existsSync(join(w.dir, 'off.log'))).toBe(false);
    expect(readFileSync(join(w.dir, 'tp.txt'), 'utf8')).toBe('none');
    expect(receiver.requests).toHaveLength(0);
    // Positive control: the hook does see the SDK when it is on.
    const on = await run('on.log', ['--otel'], otlpEnv());
    expect(on.exitCode, on.stderr).toBe(0);
    expect(readFileSync(join(w.dir, 'on.log'), 'utf8')).toContain('/@opentelemetry/sdk-node/');
    expect(readFileSync(join(w.dir, 'tp.txt'), 'utf8')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('reaches the SDK only through a dynamic import in the built CLI', () => {
    // The CLI is bundled (scripts/bundle.mjs): dist/cli.js plus dist/chunks/. Only the
    // otel-sink chunk may import the SDK, and it is itself only imported dynamically.
    const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
    const chunks = readdirSync(join(dist, 'chunks')).filter((f) => f.endsWith('.js')).map((f) => `chunks/${f}`);
    const sinkChunk = chunks.find((f) => f.startsWith('chunks/otel-sink-'));
    expect(sinkChunk).toBeDefined();
    const sinkFile = sinkChunk!.slice('chunks/'.length);
    const staticImport = /^\s*(?:import|export)\s[^;]*from\s*['"]([^'"]+)['"]/gm;
    let dynamicImports = 0;
    for (const file of ['cli.js', ...chunks]) {
      const text = readFileSync(join(dist, file), 'utf8');
      dynamicImports += text.split(`import("./${sinkFile}")`).length - 1;
      if (file === sinkChunk) continue;
      const statics = [...text.matchAll(staticImport)].map((m) => m[1]!);
      expect(statics.filter((s) => s.includes('@opentelemetry') || s.includes('otel-sink')), file).toEqual([]);
    }
    expect(dynamicImports).toBeGreaterThan(0);
  });
});

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
