/**
 * The run's W3C trace context: the trace id, the run span's id and the span ids of attempts,
 * chosen before their spans exist. A step's process starts before its `step_started` event,
 * so the run loop asks {@link TraceContext.stepEnv} (its `stepEnv` port) for `TRACEPARENT`
 * first; the sink (otel-sink.ts) later creates the span with the id handed out. When the
 * engine itself runs with `TRACEPARENT` set (an instrumented parent), the run is its child.
 */
import { ROOT_CONTEXT, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { randomId, type WarningOnce } from './sdk.js';

const propagator = new W3CTraceContextPropagator();

export class TraceContext {
  readonly traceId: string;
  readonly runSpanId = randomId(8);
  /** The parent of the run span: the engine's own TRACEPARENT, else the root. */
  readonly parent: Context;
  /** The sampler's decision for the run, once its span exists (attempts follow their parent). */
  traceFlags: number = TraceFlags.SAMPLED;
  traceState: SpanContext['traceState'];
  private readonly reserved = new Map<string, string>();

  /** @param tracing false with OTEL_TRACES_EXPORTER=none: metrics only, no TRACEPARENT */
  constructor(
    env: NodeJS.ProcessEnv,
    private readonly tracing: boolean,
    private readonly warnings: WarningOnce,
  ) {
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

  /**
   * Extra environment for a step process: `TRACEPARENT` (and `TRACESTATE`) naming the span of
   * attempt `attempt`, chosen now; attempt 0 (precondition commands) gets the run span. Empty
   * when tracing is off. Never throws.
   */
  readonly stepEnv = (stepId: string, attempt: number): Record<string, string> => {
    try {
      if (!this.tracing) return {};
      let spanId = this.runSpanId;
      if (attempt > 0) {
        spanId = randomId(8);
        this.reserved.set(attemptKey(stepId, attempt), spanId);
      }
      const carrier: Record<string, string> = {};
      const ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: this.traceId, spanId, traceFlags: this.traceFlags, traceState: this.traceState });
      propagator.inject(ctx, carrier, { set: (c: Record<string, string>, k: string, v: string) => (c[k] = v) });
      const out: Record<string, string> = { TRACEPARENT: carrier.traceparent! };
      if (carrier.tracestate) out.TRACESTATE = carrier.tracestate;
      return out;
    } catch (err) {
      this.warnings.report(`OpenTelemetry: ${(err as Error).message}`);
      return {};
    }
  };

  /** The span id handed to attempt `attempt` of `stepId`, once (undefined: let the SDK choose). */
  takeSpanId(stepId: string, attempt: number): string | undefined {
    const k = attemptKey(stepId, attempt);
    const id = this.reserved.get(k);
    this.reserved.delete(k);
    return id;
  }
}

/** Key of one attempt in maps of spans and span ids. */
export function attemptKey(stepId: string, attempt: number): string {
  return `${attempt}\u0000${stepId}`;
}
