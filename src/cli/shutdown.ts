/** Orderly exit on SIGTERM or SIGINT, shared by the long-running commands. */
import type { Logger } from '../runtime/logger.js';

/** On the first signal: log, run `stop`, then exit 0 (or 1 if stopping failed). Later signals are ignored. */
export function exitOnSignal(log: Logger, message: string, stop: () => Promise<unknown>): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason: signal }, message);
    stop().then(
      () => process.exit(0),
      (error: Error) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
