/**
 * JSON logs with keys a person can filter on (controller, namespace, name, reason), the level as a name
 * plus the `severity` Google Cloud Logging reads, errors with their stack, and the trace and span id of
 * the current OpenTelemetry span so a log line leads to its trace.
 */
import { context, isSpanContextValid, trace, type Context } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';

export type { Logger };

/** pino's levels as Cloud Logging's LogSeverity names. */
const SEVERITY: Record<string, string> = { trace: 'DEBUG', debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR', fatal: 'CRITICAL' };

/** trace_id and span_id of the current span, if a real one is current (none while tracing is off). */
export function traceFields(active: Context = context.active(), project = process.env.GOOGLE_CLOUD_PROJECT): Record<string, string> {
  const span = trace.getSpan(active)?.spanContext();
  if (!span || !isSpanContextValid(span)) return {};
  const fields: Record<string, string> = { trace_id: span.traceId, span_id: span.spanId };
  // Cloud Logging joins a log entry to Cloud Trace by these keys; the trace key needs the project.
  if (project) fields['logging.googleapis.com/trace'] = `projects/${project}/traces/${span.traceId}`;
  if (project) fields['logging.googleapis.com/spanId'] = span.spanId;
  return fields;
}

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'appnetpol' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label, severity: SEVERITY[label] ?? 'DEFAULT' }) },
      // `err` gets type, message and stack (pino's error serializer) whether it is logged alone or with other keys.
      serializers: { err: pino.stdSerializers.err },
      mixin: () => traceFields(),
    },
    destination,
  );
}
