/**
 * Starts the OpenTelemetry SDK (`@opentelemetry/sdk-node`) for a run, with the exporters the
 * standard variables ask for: `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER` (`otlp`, the
 * default; `console`; `none`), `OTEL_EXPORTER_OTLP[_TRACES|_METRICS]_PROTOCOL` (`http/protobuf`,
 * the default; `http/json`; `grpc`), endpoints, headers and timeouts; the SDK adds sampling,
 * batching and resource variables. Unless `OTEL_EXPORTER_OTLP[_SIGNAL]_TIMEOUT` says
 * otherwise, an export gives up after {@link DEFAULT_EXPORT_TIMEOUT_MS} (the SDK default of
 * 10 s would keep the engine alive that long after a run when the collector is down).
 *
 * Span ids are chosen by the run's trace context (trace-context.ts) before the spans exist, and
 * handed to the SDK through {@link PresetIdGenerator}.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { defaultResource, envDetector, hostDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { ConsoleMetricExporter, PeriodicExportingMetricReader, type IMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ConsoleSpanExporter, type IdGenerator, type SpanExporter } from '@opentelemetry/sdk-trace';
import { packagePath } from '../../package-root.js';

/** Export timeout (per export, retries included) unless an OTEL_*_TIMEOUT variable sets one. */
export const DEFAULT_EXPORT_TIMEOUT_MS = 3000;

/**
 * Supplies ids chosen ahead of time: the SDK asks for exactly one span id per span (and a
 * trace id per root span) synchronously inside `tracer.startSpan`.
 */
export class PresetIdGenerator implements IdGenerator {
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
export function randomId(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** Reports each distinct warning text once. */
export class WarningOnce {
  private readonly seen = new Set<string>();
  constructor(private readonly sink: (message: string) => void) {}
  report(message: string): void {
    const text = message.split('\n')[0]!.slice(0, 500);
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.sink(text);
  }
}

/** A started SDK, and whether it exports traces (false with OTEL_TRACES_EXPORTER=none). */
export interface Telemetry {
  sdk: NodeSDK;
  ids: PresetIdGenerator;
  tracing: boolean;
}

/** Creates and starts the SDK (loading the exporters the environment asks for). */
export async function startSdk(env: NodeJS.ProcessEnv, warnings: WarningOnce): Promise<Telemetry> {
  const ids = new PresetIdGenerator();
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
  return { sdk, ids, tracing: traceExporter !== null };
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
/** The engine's package version (service.version, the tracer and meter versions). */
export function engineVersion(): string {
  version ??= (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
