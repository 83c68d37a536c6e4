/**
 * Exports a run as OpenTelemetry traces and metrics (README "Watching runs"). Loaded by the
 * run's wiring with `await import()` only when enabled.ts says so: with OpenTelemetry off,
 * nothing under `@opentelemetry/` is ever loaded.
 *
 * Traces: one trace per run. The root span `engine.run` covers the run (`run_started.ts`, or
 * `run_resumed.ts` for the resumed part, to `run_finished.ts`); each attempt of a step is a
 * child span `engine.step` from its `started_at_ms` to its `ended_at_ms` (a cancelled attempt
 * ends at its `step_cancelled.ts`), status ERROR when the attempt failed. Span ids of attempts
 * were handed to their processes beforehand by the trace context (trace-context.ts).
 *
 * Metrics: `engine.runs` and `engine.steps` (counters, attribute `status`: the final status)
 * and `engine.step.duration` (histogram in seconds of every finished attempt, attribute
 * `status`: the attempt's outcome). Every data point also carries `engine.plan.id`.
 *
 * Nothing here may break a run: errors are reported once on stderr and swallowed.
 */
import {
  metrics,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type HrTime,
  type Span,
  type Tracer,
  ValueType,
} from '@opentelemetry/api';
import { unreachable, type EngineEvent } from '../../engine/events.js';
import type { BatchSink, SerializedEvent } from '../sinks/turn-buffer.js';
import { engineVersion, startSdk, WarningOnce, type Telemetry } from './sdk.js';
import { attemptKey, TraceContext } from './trace-context.js';

/** Bucket boundaries of `engine.step.duration`, in seconds (5 ms to 1 h). */
const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** Longest wait at close for telemetry to be exported (a dead collector must not hang the engine). */
export const CLOSE_TIMEOUT_MS = 5000;

export interface OtelOptions {
  /** Receives warnings (export failures, unsupported settings); each text is reported once. */
  warn: (message: string) => void;
  /** Environment to read OTEL_* variables and TRACEPARENT from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

/** OpenTelemetry for one run: the sink, and the trace context the run loop hands to step processes. */
export interface RunTelemetry {
  sink: OtelSink;
  traceContext: TraceContext;
}

/** Starts the SDK and returns the run's sink and trace context. */
export async function startTelemetry(options: OtelOptions): Promise<RunTelemetry> {
  const env = options.env ?? process.env;
  const warnings = new WarningOnce(options.warn);
  const telemetry = await startSdk(env, warnings);
  const traceContext = new TraceContext(env, telemetry.tracing, warnings);
  return { sink: new OtelSink(telemetry, traceContext, warnings), traceContext };
}

/** Unix epoch ms (µs precision kept) as OpenTelemetry HrTime. */
export function epochMsToHrTime(ms: number): HrTime {
  const micros = Math.round(ms * 1000);
  const seconds = Math.floor(micros / 1e6);
  return [seconds, (micros - seconds * 1e6) * 1000];
}

export class OtelSink implements BatchSink {
  private readonly tracer: Tracer;
  private readonly runs: Counter;
  private readonly steps: Counter;
  private readonly duration: Histogram;
  private runSpan: Span | null = null;
  private runEnded = false;
  private readonly open = new Map<string, Span>();
  private planId = '';

  constructor(
    private readonly telemetry: Telemetry,
    private readonly context: TraceContext,
    private readonly warnings: WarningOnce,
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
  }

  write(batch: readonly SerializedEvent[]): void {
    for (const { event } of batch) {
      try {
        this.record(event);
      } catch (err) {
        this.warnings.report(`OpenTelemetry: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Ends spans left open (the engine stopped before `run_finished`), then exports what is
   * buffered and stops the SDK, waiting at most {@link CLOSE_TIMEOUT_MS}.
   */
  async close(): Promise<void> {
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
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS)));
    const shutdown = this.telemetry.sdk.shutdown().catch((err: unknown) => {
      this.warnings.report(`OpenTelemetry export failed: ${(err as Error).message ?? String(err)}`);
    });
    const outcome = await Promise.race([shutdown, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.warnings.report(`telemetry export did not finish within ${CLOSE_TIMEOUT_MS / 1000}s; some spans or metrics may be lost`);
    }
  }

  /** Starts the run span at `run_started` (or at `run_resumed`, for the resumed part of a run). */
  private startRun(e: { ts: string; run_id: string; plan_id: string; plan_version: string }, more: Attributes): void {
    this.planId = e.plan_id;
    const attributes = { 'engine.plan.id': e.plan_id, 'engine.plan.version': e.plan_version, 'engine.run.id': e.run_id, ...more };
    const startMs = Date.parse(e.ts);
    const { ids } = this.telemetry;
    ids.nextTraceId = this.context.traceId;
    ids.nextSpanId = this.context.runSpanId;
    this.runSpan = this.tracer.startSpan('engine.run', { kind: SpanKind.INTERNAL, startTime: startMs, attributes }, this.context.parent);
    ids.nextTraceId = undefined;
    ids.nextSpanId = undefined;
    const ctx = this.runSpan.spanContext();
    this.context.traceFlags = ctx.traceFlags;
    this.context.traceState = ctx.traceState ?? this.context.traceState;
  }

  private record(e: EngineEvent): void {
    switch (e.type) {
      case 'run_started':
        this.startRun(e, { 'engine.run.steps': e.steps.length });
        break;
      case 'run_resumed':
        this.startRun(e, { 'engine.run.resumed': true, 'engine.run.previous_status': e.previous_status });
        break;
      case 'step_started': {
        const parent = this.runSpan ? trace.setSpan(ROOT_CONTEXT, this.runSpan) : this.context.parent;
        this.telemetry.ids.nextSpanId = this.context.takeSpanId(e.step_id, e.attempt);
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
        this.telemetry.ids.nextSpanId = undefined;
        this.open.set(attemptKey(e.step_id, e.attempt), span);
        break;
      }
      case 'step_succeeded':
        this.endAttempt(e.step_id, e.attempt, epochMsToHrTime(e.ended_at_ms), {
          'engine.step.status': 'succeeded',
          ...(e.exit_code === null ? {} : { 'engine.step.exit_code': e.exit_code }),
        });
        this.duration.record(e.duration_ms / 1000, this.attrs('succeeded'));
        this.steps.add(1, this.attrs('succeeded'));
        break;
      case 'step_failed':
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
          this.stepNotRun('step_cancelled', e);
        }
        this.steps.add(1, this.attrs('cancelled'));
        break;
      case 'step_skipped':
        this.stepNotRun('step_skipped', e);
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
        this.runSpan?.addEvent('run_cancel_requested', { 'engine.signal': e.signal, 'engine.forced': e.forced, 'engine.cancel.source': e.source }, Date.parse(e.ts));
        break;
      case 'step_expanded':
        this.runSpan?.addEvent('step_expanded', { 'engine.step.id': e.step_id, 'engine.step.instances': e.instances.length }, Date.parse(e.ts));
        break;
      case 'step_waiting':
      case 'run_waiting':
        this.runSpan?.addEvent(e.type, {
          ...(e.type === 'step_waiting' ? { 'engine.step.id': e.step_id } : {}),
          'engine.mutex': e.mutex,
          'engine.mutex.holder_run_id': e.holder_run_id,
        }, Date.parse(e.ts));
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
      case 'run_interrupted':
      case 'step_orphan_killed':
        // Written by crash recovery in another process; a live engine never sees them.
        break;
      default:
        unreachable(e);
    }
  }

  /** A span event on the run span for a step that ended without running. */
  private stepNotRun(name: string, e: { step_id: string; reason: string; upstream: string | null; ts: string }): void {
    this.runSpan?.addEvent(
      name,
      { 'engine.step.id': e.step_id, 'engine.step.reason': e.reason, ...(e.upstream ? { 'engine.step.upstream': e.upstream } : {}) },
      Date.parse(e.ts),
    );
  }

  private endAttempt(stepId: string, attempt: number, end: HrTime | number, attributes: Attributes, error?: string): void {
    const k = attemptKey(stepId, attempt);
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
