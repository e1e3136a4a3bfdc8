/**
 * OpenTelemetry tracing, started only when the standard OTEL_* environment asks for it. The SDK reads
 * exporter, endpoint, protocol, sampler and batching settings from the same variables; propagation
 * defaults to W3C trace context (plus baggage). Metrics stay with Prometheus and logs with pino, so
 * only traces are exported.
 */
import { context, type Context } from '@opentelemetry/api';

export const SERVICE_NAME = 'appnetpol';

export interface Tracing {
  /** Exports what is buffered and stops the SDK. */
  shutdown(): Promise<void>;
}

/** Without the SDK nothing is traced, so there is nothing to suppress; the SDK's helper is loaded with it. */
let suppressTracing: (active: Context) => Context = (active) => active;

/** Runs `work` without tracing it, for calls too frequent and routine to trace (Lease renewals). */
export function untraced<T>(work: () => T): T {
  return context.with(suppressTracing(context.active()), work);
}

/** Whether the environment asks for trace export: an exporter other than none, or an OTLP endpoint. */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (exporters.includes('none')) return false;
  return exporters.length > 0 || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the SDK when requested. The imports are deferred so a process without tracing never loads them:
 * `@opentelemetry/core` alone is about 100 modules, 12 MiB and 40 ms at start.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<Tracing | undefined> {
  if (!tracingRequested(env)) return undefined;
  const [{ NodeSDK }, core] = await Promise.all([import('@opentelemetry/sdk-node'), import('@opentelemetry/core')]);
  suppressTracing = core.suppressTracing;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || SERVICE_NAME,
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
