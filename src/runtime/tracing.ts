/**
 * OpenTelemetry tracing, started only when the standard OTEL_* environment asks for it. The SDK reads
 * exporter, endpoint, protocol, sampler and batching settings from the same variables; propagation
 * defaults to W3C trace context (plus baggage). Metrics stay with Prometheus and logs with pino, so
 * only traces are exported.
 */

export const SERVICE_NAME = 'appnetpol';

export interface Tracing {
  /** Exports what is buffered and stops the SDK. */
  shutdown(): Promise<void>;
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

/** Starts the SDK when requested; the import is deferred so a process without tracing never loads it. */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<Tracing | undefined> {
  if (!tracingRequested(env)) return undefined;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || SERVICE_NAME,
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
