/**
 * Exports a run as OpenTelemetry traces and metrics (README "Watching runs"). Loaded by
 * src/commands/run.ts with `await import()` only when src/otel/enabled.ts says so: with
 * OpenTelemetry off, nothing under `@opentelemetry/` is ever loaded.
 *
 * Traces: one trace per run. The root span `engine.run` covers the run (`run_started.ts` to
 * `run_finished.ts`); each attempt of a step is a child span `engine.step` from its
 * `started_at_ms` to its `ended_at_ms` (a cancelled attempt ends at its `step_cancelled.ts`),
 * status ERROR when the attempt failed. When the engine itself runs with `TRACEPARENT` in its
 * environment (an instrumented parent), the run span is that parent's child.
 *
 * Each step process gets `TRACEPARENT` (W3C trace context) naming its attempt's span, so an
 * instrumented command joins the run's trace. The process starts before `step_started` is
 * emitted, so the span id is chosen first ({@link OtelSink.stepEnv}, called by PlanRun through
 * `RunOptions.stepEnv`) and handed to the SDK through {@link PresetIdGenerator} when the span
 * is created at `step_started` with the recorded start time.
 *
 * Metrics: `engine.runs` and `engine.steps` (counters, attribute `status`: the final status)
 * and `engine.step.duration` (histogram in seconds of every finished attempt, attribute
 * `status`: the attempt's outcome). Every data point also carries `engine.plan.id`.
 *
 * Exporters follow the standard variables: `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER`
 * (`otlp`, the default; `console`; `none`), `OTEL_EXPORTER_OTLP[_TRACES|_METRICS]_PROTOCOL`
 * (`http/protobuf`, the default; `http/json`; `grpc`), endpoints, headers and timeouts; the
 * SDK (`@opentelemetry/sdk-node`) adds sampling, batching and resource variables. Unless
 * `OTEL_EXPORTER_OTLP[_SIGNAL]_TIMEOUT` says otherwise, an export gives up after
 * {@link DEFAULT_EXPORT_TIMEOUT_MS} (the SDK default of 10 s would keep the engine alive that
 * long after a run when the collector is down).
 *
 * Nothing here may break a run: errors in `handle` are reported once on stderr and swallowed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  diag,
  DiagLogLevel,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Counter,
  type DiagLogger,
  type Histogram,
  type HrTime,
  type Span,
  type SpanContext,
  type Tracer,
  ValueType,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, envDetector, hostDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { ConsoleMetricExporter, PeriodicExportingMetricReader, type IMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ConsoleSpanExporter, type IdGenerator, type SpanExporter } from '@opentelemetry/sdk-trace';
import type { EngineEvent, EventSink } from '../engine/events.js';
import { packagePath } from '../package-root.js';

/** Export timeout (per export, retries included) unless an OTEL_*_TIMEOUT variable sets one. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 3000;

/** Bucket boundaries of `engine.step.duration`, in seconds (5 ms to 1 h). */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export interface OtelSinkOptions {
  /** Receives warnings (export failures, unsupported settings); each text is reported once. */
  warn: (message: string) => void;
  /** Environment to read OTEL_* variables and TRACEPARENT from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** The plan being run: names a resumed run, whose `run_resumed` event does not. */
  plan?: { id: string; version: string };
}

/**
 * Supplies the ids the sink chose ahead of time: the SDK asks for exactly one span id per span
 * (and a trace id per root span) synchronously inside `tracer.startSpan`.
 */
class PresetIdGenerator implements IdGenerator {
  nextTraceId: string | undefined;
  nextSpanId: string | undefined;

  generateTraceId(): string {
    const id = this.nextTraceId ?? randomId(16);
    this.nextTraceId = undefined;
    return id;
  }

  generateSpanId(): string {
    const id = this.nextSpanId ?? randomId(8);
    this.nextSpanId = undefined;
    return id;
  }
}

/** Random non-zero id of `bytes` bytes as lowercase hex (W3C trace context ids). */
function randomId(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** Unix epoch ms (µs precision kept) as OpenTelemetry HrTime. */
export function epochMsToHrTime(ms: number): HrTime {
  const micros = Math.round(ms * 1000);
  const seconds = Math.floor(micros / 1e6);
  return [seconds, (micros - seconds * 1e6) * 1000];
}

const propagator = new W3CTraceContextPropagator();

/** Creates the sink and starts the SDK (which loads the exporters the environment asks for). */
export async function createOtelSink(options: OtelSinkOptions): Promise<OtelSink> {
  const env = options.env ?? process.env;
  const ids = new PresetIdGenerator();
  const warnings = new WarningOnce(options.warn);
  const traceExporter = await spanExporterFromEnv(env, warnings);
  const metricExporter = await metricExporterFromEnv(env, warnings);
  const metricReaders: IMetricReader[] = [];
  if (metricExporter) {
    const interval = positiveNumber(env.OTEL_METRIC_EXPORT_INTERVAL) ?? 60_000;
    const timeout = positiveNumber(env.OTEL_METRIC_EXPORT_TIMEOUT) ?? DEFAULT_EXPORT_TIMEOUT_MS;
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(timeout, interval),
      }),
    );
  }
  const sdk = new NodeSDK({
    resource: defaultResource().merge(
      resourceFromAttributes({
        'service.name': 'engine',
        'service.version': engineVersion(),
        'process.pid': process.pid,
        'process.runtime.name': 'nodejs',
        'process.runtime.version': process.versions.node,
      }),
    ),
    // Not the SDK's process detector: it exports the command line, which may hold secret
    // `--var` values. OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES (envDetector) still apply.
    resourceDetectors: [envDetector, hostDetector],
    idGenerator: ids,
    instrumentations: [],
    // No logs are exported; without this the SDK would set up an OTLP log exporter from env.
    logRecordProcessors: [],
    metricReaders,
    // `spanProcessors: []` turns tracing off (OTEL_TRACES_EXPORTER=none); with an exporter the
    // SDK builds its batch processor from OTEL_BSP_* variables.
    ...(traceExporter ? { traceExporter } : { spanProcessors: [] }),
  });
  // Export errors go to the SDK's diag logger, silent unless OTEL_LOG_LEVEL set one: report
  // them on stderr (once) so a dead collector does not go unnoticed.
  if (env.OTEL_LOG_LEVEL === undefined) diag.setLogger(warningLogger(warnings), DiagLogLevel.ERROR);
  sdk.start();
  const sink = new OtelSink(sdk, ids, warnings, env, traceExporter !== null);
  if (options.plan) sink.setPlan(options.plan.id, options.plan.version);
  return sink;
}

export class OtelSink implements EventSink {
  private readonly tracer: Tracer;
  private readonly runs: Counter;
  private readonly steps: Counter;
  private readonly duration: Histogram;
  /** The run's span; its ids are chosen at construction so stepEnv works at any time. */
  private runSpan: Span | null = null;
  private runEnded = false;
  private readonly runSpanId = randomId(8);
  private readonly traceId: string;
  private readonly parent: Context;
  private traceState: SpanContext['traceState'];
  /** Span ids handed to step processes, by attempt key, until their span is created. */
  private readonly reserved = new Map<string, string>();
  private readonly open = new Map<string, Span>();
  private planId = '';
  private planVersion = '';
  private shutdownPromise: Promise<void> | null = null;

  constructor(
    private readonly sdk: NodeSDK,
    private readonly ids: PresetIdGenerator,
    private readonly warnings: WarningOnce,
    env: NodeJS.ProcessEnv,
    /** False with OTEL_TRACES_EXPORTER=none: metrics only, no TRACEPARENT. */
    private readonly tracing: boolean,
  ) {
    this.tracer = trace.getTracer('engine', engineVersion());
    const meter = metrics.getMeter('engine', engineVersion());
    this.runs = meter.createCounter('engine.runs', { description: 'Finished runs, by final status.', unit: '{run}', valueType: ValueType.INT });
    this.steps = meter.createCounter('engine.steps', {
      description: 'Steps that reached a final status, by status.',
      unit: '{step}',
      valueType: ValueType.INT,
    });
    this.duration = meter.createHistogram('engine.step.duration', {
      description: 'Duration of step attempts, by outcome.',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    // An instrumented parent (TRACEPARENT in the engine's environment) makes the run its child.
    const carrier: Record<string, string> = {};
    if (env.TRACEPARENT) carrier.traceparent = env.TRACEPARENT;
    if (env.TRACESTATE) carrier.tracestate = env.TRACESTATE;
    const extracted = propagator.extract(ROOT_CONTEXT, carrier, {
      get: (c: Record<string, string>, key: string) => c[key],
      keys: (c: Record<string, string>) => Object.keys(c),
    });
    const parentSpan = trace.getSpanContext(extracted);
    if (parentSpan && trace.isSpanContextValid(parentSpan)) {
      this.parent = extracted;
      this.traceId = parentSpan.traceId;
      this.traceState = parentSpan.traceState;
    } else {
      this.parent = ROOT_CONTEXT;
      this.traceId = randomId(16);
    }
  }

  /** Plan id and version for a resumed run (a new run takes them from `run_started`). */
  setPlan(id: string, version: string): void {
    this.planId = id;
    this.planVersion = version;
  }

  /**
   * Extra environment for a step process: `TRACEPARENT` naming the span of attempt `attempt`
   * (chosen now, created at its `step_started`); attempt 0 (precondition commands) gets the
   * run span. Empty when tracing is off.
   */
  readonly stepEnv = (stepId: string, attempt: number): Record<string, string> => {
    try {
      if (!this.tracing) return {};
      let spanId = this.runSpanId;
      if (attempt > 0) {
        spanId = randomId(8);
        this.reserved.set(key(stepId, attempt), spanId);
      }
      // The sampler's decision for the run (attempts follow their parent); before the run span
      // exists (never, in practice) assume sampled, like the default sampler.
      const flags = this.runSpan?.spanContext().traceFlags ?? TraceFlags.SAMPLED;
      const carrier: Record<string, string> = {};
      const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: this.traceId, spanId, traceFlags: flags, traceState: this.traceState });
      propagator.inject(ctx, carrier, { set: (c: Record<string, string>, k: string, v: string) => (c[k] = v) });
      const out: Record<string, string> = { TRACEPARENT: carrier.traceparent! };
      if (carrier.tracestate) out.TRACESTATE = carrier.tracestate;
      return out;
    } catch (err) {
      this.warnings.report(`OpenTelemetry: ${(err as Error).message}`);
      return {};
    }
  };

  handle(e: EngineEvent): void {
    try {
      this.record(e);
    } catch (err) {
      this.warnings.report(`OpenTelemetry: ${(err as Error).message}`);
    }
  }

  /** Ends spans left open (the engine stopped before `run_finished`); exporting is shutdown's. */
  close(): void {
    const now = Date.now();
    for (const [k, span] of this.open) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the engine stopped before the attempt ended' });
      span.end(now);
      this.open.delete(k);
    }
    if (this.runSpan && !this.runEnded) {
      this.runEnded = true;
      this.runSpan.setStatus({ code: SpanStatusCode.ERROR, message: 'the engine stopped before the run finished' });
      this.runSpan.end(now);
    }
  }

  /** Exports what is buffered (spans and a final metrics collection) and stops the SDK. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.sdk.shutdown().catch((err: unknown) => {
      this.warnings.report(`OpenTelemetry export failed: ${(err as Error).message ?? String(err)}`);
    });
    return this.shutdownPromise;
  }

  private startRun(startMs: number, attributes: Attributes): void {
    this.ids.nextTraceId = this.traceId;
    this.ids.nextSpanId = this.runSpanId;
    this.runSpan = this.tracer.startSpan('engine.run', { kind: SpanKind.INTERNAL, startTime: startMs, attributes }, this.parent);
    this.ids.nextTraceId = undefined;
    this.ids.nextSpanId = undefined;
    this.traceState = this.runSpan.spanContext().traceState ?? this.traceState;
  }

  private record(e: EngineEvent): void {
    switch (e.type) {
      case 'run_started':
        this.planId = e.plan_id;
        this.startRun(Date.parse(e.ts), {
          'engine.plan.id': e.plan_id,
          'engine.plan.version': e.plan_version,
          'engine.run.id': e.run_id,
          'engine.run.steps': e.steps.length,
        });
        break;
      case 'step_started': {
        const k = key(e.step_id, e.attempt);
        const parent = this.runSpan ? trace.setSpan(ROOT_CONTEXT, this.runSpan) : this.parent;
        this.ids.nextSpanId = this.reserved.get(k);
        this.reserved.delete(k);
        const span = this.tracer.startSpan(
          'engine.step',
          {
            kind: SpanKind.INTERNAL,
            startTime: epochMsToHrTime(e.started_at_ms),
            attributes: {
              'engine.step.id': e.step_id,
              'engine.step.attempt': e.attempt,
              'engine.step.wait_ms': Math.max(0, Math.round((e.started_at_ms - e.ready_at_ms) * 1000) / 1000),
              ...(e.pid === null ? {} : { 'engine.step.pid': e.pid }),
            },
          },
          parent,
        );
        this.ids.nextSpanId = undefined;
        this.open.set(k, span);
        break;
      }
      case 'step_succeeded': {
        this.endAttempt(e.step_id, e.attempt, epochMsToHrTime(e.ended_at_ms), {
          'engine.step.status': 'succeeded',
          'engine.step.exit_code': e.exit_code,
        });
        this.duration.record(e.duration_ms / 1000, this.attrs('succeeded'));
        this.steps.add(1, this.attrs('succeeded'));
        break;
      }
      case 'step_failed': {
        this.endAttempt(
          e.step_id,
          e.attempt,
          epochMsToHrTime(e.ended_at_ms),
          {
            'engine.step.status': 'failed',
            'engine.step.reason': e.reason,
            'engine.step.will_retry': e.will_retry,
            ...(e.exit_code === null ? {} : { 'engine.step.exit_code': e.exit_code }),
            ...(e.signal === null ? {} : { 'engine.step.signal': e.signal }),
          },
          e.error,
        );
        this.duration.record(e.duration_ms / 1000, this.attrs('failed'));
        if (!e.will_retry) this.steps.add(1, this.attrs('failed'));
        break;
      }
      case 'step_cancelled':
        if (e.attempt !== null) {
          this.endAttempt(e.step_id, e.attempt, Date.parse(e.ts), {
            'engine.step.status': 'cancelled',
            'engine.step.reason': e.reason,
            ...(e.exit_code === null ? {} : { 'engine.step.exit_code': e.exit_code }),
            ...(e.signal === null ? {} : { 'engine.step.signal': e.signal }),
          });
          if (e.duration_ms !== null) this.duration.record(e.duration_ms / 1000, this.attrs('cancelled'));
        } else {
          this.runSpan?.addEvent(
            'step_cancelled',
            { 'engine.step.id': e.step_id, 'engine.step.reason': e.reason, ...(e.upstream ? { 'engine.step.upstream': e.upstream } : {}) },
            Date.parse(e.ts),
          );
        }
        this.steps.add(1, this.attrs('cancelled'));
        break;
      case 'step_skipped':
        this.runSpan?.addEvent(
          'step_skipped',
          { 'engine.step.id': e.step_id, 'engine.step.reason': e.reason, ...(e.upstream ? { 'engine.step.upstream': e.upstream } : {}) },
          Date.parse(e.ts),
        );
        this.steps.add(1, this.attrs('skipped'));
        break;
      case 'step_retrying':
        this.runSpan?.addEvent(
          'step_retrying',
          { 'engine.step.id': e.step_id, 'engine.step.attempt': e.attempt, 'engine.step.reason': e.reason, 'engine.step.delay_ms': e.delay_ms },
          Date.parse(e.ts),
        );
        break;
      case 'run_cancel_requested':
        this.runSpan?.addEvent('run_cancel_requested', { 'engine.signal': e.signal, 'engine.forced': e.forced }, Date.parse(e.ts));
        break;
      case 'run_finished': {
        const span = this.runSpan;
        if (span && !this.runEnded) {
          span.setAttributes({
            'engine.run.status': e.status,
            'engine.run.exit_code': e.exit_code,
            'engine.run.steps.succeeded': e.succeeded,
            'engine.run.steps.failed': e.failed,
            'engine.run.steps.skipped': e.skipped,
            'engine.run.steps.cancelled': e.cancelled,
          });
          if (e.status === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: `run failed (${e.failed} step(s) failed)` });
          this.runEnded = true;
          span.end(Date.parse(e.ts));
        }
        this.runs.add(1, this.attrs(e.status));
        break;
      }
      default:
        // Events written by other processes (crash recovery) or added later: nothing to export.
        this.recordOther(e);
    }
  }

  /** Events outside the core lifecycle, matched by type name so new union members compile. */
  private recordOther(e: EngineEvent): void {
    const ev = e as unknown as { type: string; ts: string; run_id: string; previous_status?: string };
    if (ev.type === 'run_resumed' && !this.runSpan) {
      this.startRun(Date.parse(ev.ts), {
        ...(this.planId ? { 'engine.plan.id': this.planId, 'engine.plan.version': this.planVersion } : {}),
        'engine.run.id': ev.run_id,
        'engine.run.resumed': true,
        ...(ev.previous_status ? { 'engine.run.previous_status': ev.previous_status } : {}),
      });
    }
  }

  private endAttempt(stepId: string, attempt: number, end: HrTime | number, attributes: Attributes, error?: string): void {
    const k = key(stepId, attempt);
    const span = this.open.get(k);
    if (!span) return;
    this.open.delete(k);
    span.setAttributes(attributes);
    if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.end(end);
  }

  private attrs(status: string): Attributes {
    return this.planId ? { status, 'engine.plan.id': this.planId } : { status };
  }
}

function key(stepId: string, attempt: number): string {
  return `${attempt}\u0000${stepId}`;
}

/** Reports each distinct warning text once. */
class WarningOnce {
  private readonly seen = new Set<string>();
  constructor(private readonly sink: (message: string) => void) {}
  report(message: string): void {
    const text = message.split('\n')[0]!.slice(0, 500);
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.sink(text);
  }
}

/** A diag logger that turns the SDK's errors into (one) warning. */
function warningLogger(warnings: WarningOnce): DiagLogger {
  let reported = false;
  const error = (message: string, ...args: unknown[]): void => {
    if (reported) return;
    reported = true;
    const detail = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : '')).filter(Boolean).join(' ');
    warnings.report(`OpenTelemetry export failed: ${message}${detail ? ` ${detail}` : ''}`);
  };
  const ignore = (): void => {};
  return { error, warn: ignore, info: ignore, debug: ignore, verbose: ignore };
}

type Protocol = 'http/protobuf' | 'http/json' | 'grpc';

function protocolFor(signal: 'TRACES' | 'METRICS', env: NodeJS.ProcessEnv, warnings: WarningOnce): Protocol {
  const raw = (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim() || 'http/protobuf';
  if (raw === 'http/protobuf' || raw === 'http/json' || raw === 'grpc') return raw;
  warnings.report(`OpenTelemetry: unsupported OTLP protocol "${raw}", using http/protobuf`);
  return 'http/protobuf';
}

/** `timeoutMillis` to pass to an OTLP exporter: ours unless a variable sets one (it then wins). */
function exportTimeout(signal: 'TRACES' | 'METRICS', env: NodeJS.ProcessEnv): { timeoutMillis?: number } {
  const set = env[`OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`] ?? env.OTEL_EXPORTER_OTLP_TIMEOUT;
  return set !== undefined && set.trim() !== '' ? {} : { timeoutMillis: DEFAULT_EXPORT_TIMEOUT_MS };
}

/** The one exporter named by `OTEL_<SIGNAL>_EXPORTER` (first of a list), or null for `none`. */
function exporterName(variable: string, env: NodeJS.ProcessEnv, warnings: WarningOnce): 'otlp' | 'console' | null {
  const names = (env[variable] ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.includes('none')) return null;
  const name = names[0] ?? 'otlp';
  if (name === 'otlp' || name === 'console') return name;
  warnings.report(`OpenTelemetry: unsupported ${variable} "${name}", using otlp`);
  return 'otlp';
}

async function spanExporterFromEnv(env: NodeJS.ProcessEnv, warnings: WarningOnce): Promise<SpanExporter | null> {
  const name = exporterName('OTEL_TRACES_EXPORTER', env, warnings);
  if (name === null) return null;
  if (name === 'console') return new ConsoleSpanExporter();
  const config = exportTimeout('TRACES', env);
  switch (protocolFor('TRACES', env, warnings)) {
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(config);
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter(config);
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(config);
  }
}

async function metricExporterFromEnv(env: NodeJS.ProcessEnv, warnings: WarningOnce): Promise<PushMetricExporter | null> {
  const name = exporterName('OTEL_METRICS_EXPORTER', env, warnings);
  if (name === null) return null;
  if (name === 'console') return new ConsoleMetricExporter();
  const config = exportTimeout('METRICS', env);
  switch (protocolFor('METRICS', env, warnings)) {
    case 'http/json':
      return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter(config);
    case 'grpc':
      return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter(config);
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter(config);
  }
}

function positiveNumber(v: string | undefined): number | undefined {
  const n = v === undefined || v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

let version: string | undefined;
function engineVersion(): string {
  version ??= (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
