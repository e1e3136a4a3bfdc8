/** JSON logs with keys a person can filter on: controller, namespace, name, reason. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'appnetpol' }, timestamp: pino.stdTimeFunctions.isoTime });
}
