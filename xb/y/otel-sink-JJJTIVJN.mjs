import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);
import "./chunk-R5JLVHAA.mjs";

// ../../work/main/src/state/otel-sink.ts
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  diag,
  DiagLogLevel,
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  ValueType
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { defaultResource, envDetector, hostDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { ConsoleMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { ConsoleSpanExporter } from "@opentelemetry/sdk-trace";
var DEFAULT_EXPORT_TIMEOUT_MS = 3e3;
var DURATION_BUCKETS_S = [5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
var PresetIdGenerator = class {
  nextTraceId;
  nextSpanId;
  generateTraceId() {
    const id = this.nextTraceId ?? randomId(16);
    this.nextTraceId = void 0;
    return id;
  }
  generateSpanId() {
    const id = this.nextSpanId ?? randomId(8);
    this.nextSpanId = void 0;
    return id;
  }
};
function randomId(bytes) {
  for (; ; ) {
    const hex = randomBytes(bytes).toString("hex");
    if (!/^0+$/.test(hex)) return hex;
  }
}
function epochMsToHrTime(ms) {
  const micros = Math.round(ms * 1e3);
  const seconds = Math.floor(micros / 1e6);
  return [seconds, (micros - seconds * 1e6) * 1e3];
}
var propagator = new W3CTraceContextPropagator();
async function createOtelSink(options) {
  const env = options.env ?? process.env;
  const ids = new PresetIdGenerator();
  const warnings = new WarningOnce(options.warn);
  const traceExporter = await spanExporterFromEnv(env, warnings);
  const metricExporter = await metricExporterFromEnv(env, warnings);
  const metricReaders = [];
  if (metricExporter) {
    const interval = positiveNumber(env.OTEL_METRIC_EXPORT_INTERVAL) ?? 6e4;
    const timeout = positiveNumber(env.OTEL_METRIC_EXPORT_TIMEOUT) ?? DEFAULT_EXPORT_TIMEOUT_MS;
    metricReaders.push(
      new PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: interval,
        exportTimeoutMillis: Math.min(timeout, interval)
      })
    );
  }
  const sdk = new NodeSDK({
    resource: defaultResource().merge(
      resourceFromAttributes({
        "service.name": "engine",
        "service.version": engineVersion(),
        "process.pid": process.pid,
        "process.runtime.name": "nodejs",
        "process.runtime.version": process.versions.node
      })
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
    ...traceExporter ? { traceExporter } : { spanProcessors: [] }
  });
  if (env.OTEL_LOG_LEVEL === void 0) diag.setLogger(warningLogger(warnings), DiagLogLevel.ERROR);
  sdk.start();
  const sink = new OtelSink(sdk, ids, warnings, env, traceExporter !== null);
  if (options.plan) sink.setPlan(options.plan.id, options.plan.version);
  return sink;
}
var OtelSink = class {
  constructor(sdk, ids, warnings, env, tracing) {
    this.sdk = sdk;
    this.ids = ids;
    this.warnings = warnings;
    this.tracing = tracing;
    this.tracer = trace.getTracer("engine", engineVersion());
    const meter = metrics.getMeter("engine", engineVersion());
    this.runs = meter.createCounter("engine.runs", { description: "Finished runs, by final status.", unit: "{run}", valueType: ValueType.INT });
    this.steps = meter.createCounter("engine.steps", {
      description: "Steps that reached a final status, by status.",
      unit: "{step}",
      valueType: ValueType.INT
    });
    this.duration = meter.createHistogram("engine.step.duration", {
      description: "Duration of step attempts, by outcome.",
      unit: "s",
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S }
    });
    const carrier = {};
    if (env.TRACEPARENT) carrier.traceparent = env.TRACEPARENT;
    if (env.TRACESTATE) carrier.tracestate = env.TRACESTATE;
    const extracted = propagator.extract(ROOT_CONTEXT, carrier, {
      get: (c, key2) => c[key2],
      keys: (c) => Object.keys(c)
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
  tracer;
  runs;
  steps;
  duration;
  /** The run's span; its ids are chosen at construction so stepEnv works at any time. */
  runSpan = null;
  runEnded = false;
  runSpanId = randomId(8);
  traceId;
  parent;
  traceState;
  /** Span ids handed to step processes, by attempt key, until their span is created. */
  reserved = /* @__PURE__ */ new Map();
  open = /* @__PURE__ */ new Map();
  planId = "";
  planVersion = "";
  shutdownPromise = null;
  /** Plan id and version for a resumed run (a new run takes them from `run_started`). */
  setPlan(id, version2) {
    this.planId = id;
    this.planVersion = version2;
  }
  /**
   * Extra environment for a step process: `TRACEPARENT` naming the span of attempt `attempt`
   * (chosen now, created at its `step_started`); attempt 0 (precondition commands) gets the
   * run span. Empty when tracing is off.
   */
  stepEnv = (stepId, attempt) => {
    try {
      if (!this.tracing) return {};
      let spanId = this.runSpanId;
      if (attempt > 0) {
        spanId = randomId(8);
        this.reserved.set(key(stepId, attempt), spanId);
      }
      const flags = this.runSpan?.spanContext().traceFlags ?? TraceFlags.SAMPLED;
      const carrier = {};
      const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: this.traceId, spanId, traceFlags: flags, traceState: this.traceState });
      propagator.inject(ctx, carrier, { set: (c, k, v) => c[k] = v });
      const out = { TRACEPARENT: carrier.traceparent };
      if (carrier.tracestate) out.TRACESTATE = carrier.tracestate;
      return out;
    } catch (err) {
      this.warnings.report(`OpenTelemetry: ${err.message}`);
      return {};
    }
  };
  handle(e) {
    try {
      this.record(e);
    } catch (err) {
      this.warnings.report(`OpenTelemetry: ${err.message}`);
    }
  }
  /** Ends spans left open (the engine stopped before `run_finished`); exporting is shutdown's. */
  close() {
    const now = Date.now();
    for (const [k, span] of this.open) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: "the engine stopped before the attempt ended" });
      span.end(now);
      this.open.delete(k);
    }
    if (this.runSpan && !this.runEnded) {
      this.runEnded = true;
      this.runSpan.setStatus({ code: SpanStatusCode.ERROR, message: "the engine stopped before the run finished" });
      this.runSpan.end(now);
    }
  }
  /** Exports what is buffered (spans and a final metrics collection) and stops the SDK. */
  shutdown() {
    this.shutdownPromise ??= this.sdk.shutdown().catch((err) => {
      this.warnings.report(`OpenTelemetry export failed: ${err.message ?? String(err)}`);
    });
    return this.shutdownPromise;
  }
  startRun(startMs, attributes) {
    this.ids.nextTraceId = this.traceId;
    this.ids.nextSpanId = this.runSpanId;
    this.runSpan = this.tracer.startSpan("engine.run", { kind: SpanKind.INTERNAL, startTime: startMs, attributes }, this.parent);
    this.ids.nextTraceId = void 0;
    this.ids.nextSpanId = void 0;
    this.traceState = this.runSpan.spanContext().traceState ?? this.traceState;
  }
  record(e) {
    switch (e.type) {
      case "run_started":
        this.planId = e.plan_id;
        this.startRun(Date.parse(e.ts), {
          "engine.plan.id": e.plan_id,
          "engine.plan.version": e.plan_version,
          "engine.run.id": e.run_id,
          "engine.run.steps": e.steps.length
        });
        break;
      case "step_started": {
        const k = key(e.step_id, e.attempt);
        const parent = this.runSpan ? trace.setSpan(ROOT_CONTEXT, this.runSpan) : this.parent;
        this.ids.nextSpanId = this.reserved.get(k);
        this.reserved.delete(k);
        const span = this.tracer.startSpan(
          "engine.step",
          {
            kind: SpanKind.INTERNAL,
            startTime: epochMsToHrTime(e.started_at_ms),
            attributes: {
              "engine.step.id": e.step_id,
              "engine.step.attempt": e.attempt,
              "engine.step.wait_ms": Math.max(0, Math.round((e.started_at_ms - e.ready_at_ms) * 1e3) / 1e3),
              ...e.pid === null ? {} : { "engine.step.pid": e.pid }
            }
          },
          parent
        );
        this.ids.nextSpanId = void 0;
        this.open.set(k, span);
        break;
      }
      case "step_succeeded": {
        this.endAttempt(e.step_id, e.attempt, epochMsToHrTime(e.ended_at_ms), {
          "engine.step.status": "succeeded",
          "engine.step.exit_code": e.exit_code
        });
        this.duration.record(e.duration_ms / 1e3, this.attrs("succeeded"));
        this.steps.add(1, this.attrs("succeeded"));
        break;
      }
      case "step_failed": {
        this.endAttempt(
          e.step_id,
          e.attempt,
          epochMsToHrTime(e.ended_at_ms),
          {
            "engine.step.status": "failed",
            "engine.step.reason": e.reason,
            "engine.step.will_retry": e.will_retry,
            ...e.exit_code === null ? {} : { "engine.step.exit_code": e.exit_code },
            ...e.signal === null ? {} : { "engine.step.signal": e.signal }
          },
          e.error
        );
        this.duration.record(e.duration_ms / 1e3, this.attrs("failed"));
        if (!e.will_retry) this.steps.add(1, this.attrs("failed"));
        break;
      }
      case "step_cancelled":
        if (e.attempt !== null) {
          this.endAttempt(e.step_id, e.attempt, Date.parse(e.ts), {
            "engine.step.status": "cancelled",
            "engine.step.reason": e.reason,
            ...e.exit_code === null ? {} : { "engine.step.exit_code": e.exit_code },
            ...e.signal === null ? {} : { "engine.step.signal": e.signal }
          });
          if (e.duration_ms !== null) this.duration.record(e.duration_ms / 1e3, this.attrs("cancelled"));
        } else {
          this.runSpan?.addEvent(
            "step_cancelled",
            { "engine.step.id": e.step_id, "engine.step.reason": e.reason, ...e.upstream ? { "engine.step.upstream": e.upstream } : {} },
            Date.parse(e.ts)
          );
        }
        this.steps.add(1, this.attrs("cancelled"));
        break;
      case "step_skipped":
        this.runSpan?.addEvent(
          "step_skipped",
          { "engine.step.id": e.step_id, "engine.step.reason": e.reason, ...e.upstream ? { "engine.step.upstream": e.upstream } : {} },
          Date.parse(e.ts)
        );
        this.steps.add(1, this.attrs("skipped"));
        break;
      case "step_retrying":
        this.runSpan?.addEvent(
          "step_retrying",
          { "engine.step.id": e.step_id, "engine.step.attempt": e.attempt, "engine.step.reason": e.reason, "engine.step.delay_ms": e.delay_ms },
          Date.parse(e.ts)
        );
        break;
      case "run_cancel_requested":
        this.runSpan?.addEvent("run_cancel_requested", { "engine.signal": e.signal, "engine.forced": e.forced }, Date.parse(e.ts));
        break;
      case "run_finished": {
        const span = this.runSpan;
        if (span && !this.runEnded) {
          span.setAttributes({
            "engine.run.status": e.status,
            "engine.run.exit_code": e.exit_code,
            "engine.run.steps.succeeded": e.succeeded,
            "engine.run.steps.failed": e.failed,
            "engine.run.steps.skipped": e.skipped,
            "engine.run.steps.cancelled": e.cancelled
          });
          if (e.status === "failed") span.setStatus({ code: SpanStatusCode.ERROR, message: `run failed (${e.failed} step(s) failed)` });
          this.runEnded = true;
          span.end(Date.parse(e.ts));
        }
        this.runs.add(1, this.attrs(e.status));
        break;
      }
      default:
        this.recordOther(e);
    }
  }
  /** Events outside the core lifecycle, matched by type name so new union members compile. */
  recordOther(e) {
    const ev = e;
    if (ev.type === "run_resumed" && !this.runSpan) {
      this.startRun(Date.parse(ev.ts), {
        ...this.planId ? { "engine.plan.id": this.planId, "engine.plan.version": this.planVersion } : {},
        "engine.run.id": ev.run_id,
        "engine.run.resumed": true,
        ...ev.previous_status ? { "engine.run.previous_status": ev.previous_status } : {}
      });
    }
  }
  endAttempt(stepId, attempt, end, attributes, error) {
    const k = key(stepId, attempt);
    const span = this.open.get(k);
    if (!span) return;
    this.open.delete(k);
    span.setAttributes(attributes);
    if (error !== void 0) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    span.end(end);
  }
  attrs(status) {
    return this.planId ? { status, "engine.plan.id": this.planId } : { status };
  }
};
function key(stepId, attempt) {
  return `${attempt}\0${stepId}`;
}
var WarningOnce = class {
  constructor(sink) {
    this.sink = sink;
  }
  seen = /* @__PURE__ */ new Set();
  report(message) {
    const text = message.split("\n")[0].slice(0, 500);
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.sink(text);
  }
};
function warningLogger(warnings) {
  let reported = false;
  const error = (message, ...args) => {
    if (reported) return;
    reported = true;
    const detail = args.map((a) => a instanceof Error ? a.message : typeof a === "string" ? a : "").filter(Boolean).join(" ");
    warnings.report(`OpenTelemetry export failed: ${message}${detail ? ` ${detail}` : ""}`);
  };
  const ignore = () => {
  };
  return { error, warn: ignore, info: ignore, debug: ignore, verbose: ignore };
}
function protocolFor(signal, env, warnings) {
  const raw = (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim() || "http/protobuf";
  if (raw === "http/protobuf" || raw === "http/json" || raw === "grpc") return raw;
  warnings.report(`OpenTelemetry: unsupported OTLP protocol "${raw}", using http/protobuf`);
  return "http/protobuf";
}
function exportTimeout(signal, env) {
  const set = env[`OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`] ?? env.OTEL_EXPORTER_OTLP_TIMEOUT;
  return set !== void 0 && set.trim() !== "" ? {} : { timeoutMillis: DEFAULT_EXPORT_TIMEOUT_MS };
}
function exporterName(variable, env, warnings) {
  const names = (env[variable] ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.includes("none")) return null;
  const name = names[0] ?? "otlp";
  if (name === "otlp" || name === "console") return name;
  warnings.report(`OpenTelemetry: unsupported ${variable} "${name}", using otlp`);
  return "otlp";
}
async function spanExporterFromEnv(env, warnings) {
  const name = exporterName("OTEL_TRACES_EXPORTER", env, warnings);
  if (name === null) return null;
  if (name === "console") return new ConsoleSpanExporter();
  const config = exportTimeout("TRACES", env);
  switch (protocolFor("TRACES", env, warnings)) {
    case "http/json":
      return new (await import("@opentelemetry/exporter-trace-otlp-http")).OTLPTraceExporter(config);
    case "grpc":
      return new (await import("@opentelemetry/exporter-trace-otlp-grpc")).OTLPTraceExporter(config);
    case "http/protobuf":
      return new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter(config);
  }
}
async function metricExporterFromEnv(env, warnings) {
  const name = exporterName("OTEL_METRICS_EXPORTER", env, warnings);
  if (name === null) return null;
  if (name === "console") return new ConsoleMetricExporter();
  const config = exportTimeout("METRICS", env);
  switch (protocolFor("METRICS", env, warnings)) {
    case "http/json":
      return new (await import("@opentelemetry/exporter-metrics-otlp-http")).OTLPMetricExporter(config);
    case "grpc":
      return new (await import("@opentelemetry/exporter-metrics-otlp-grpc")).OTLPMetricExporter(config);
    case "http/protobuf":
      return new (await import("@opentelemetry/exporter-metrics-otlp-proto")).OTLPMetricExporter(config);
  }
}
function positiveNumber(v) {
  const n = v === void 0 || v.trim() === "" ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : void 0;
}
var version;
function engineVersion() {
  version ??= JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version;
  return version;
}
export {
  DEFAULT_EXPORT_TIMEOUT_MS,
  OtelSink,
  createOtelSink,
  epochMsToHrTime
};
