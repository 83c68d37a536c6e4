/**
 * Whether `engine run` exports OpenTelemetry traces and metrics. Deliberately free of any
 * `@opentelemetry/*` import: when this says no, the SDK is never loaded (src/commands/run.ts
 * imports src/state/otel-sink.ts with `await import()` only when it says yes).
 *
 * On with `--otel`, or when the standard variables ask for an export:
 * `OTEL_TRACES_EXPORTER` set to anything but `none`, or `OTEL_EXPORTER_OTLP_ENDPOINT` /
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set. `OTEL_SDK_DISABLED=true` turns it off in every case
 * (the SDK would be a no-op then anyway).
 */
export function otelRequested(flag: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (isTrue(env.OTEL_SDK_DISABLED)) return false;
  if (flag === true) return true;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter && exporter !== 'none') return true;
  return nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT) || nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

function nonEmpty(v: string | undefined): boolean {
  return v !== undefined && v.trim() !== '';
}

function isTrue(v: string | undefined): boolean {
  return v?.trim().toLowerCase() === 'true';
}
