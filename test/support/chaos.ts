/**
 * Fault, load and hostile-input runs (test/chaos): a short variant runs in `npm test`, the full one
 * with `npm run chaos` (APPNETPOL_CHAOS=full). Each run reports its figures as one JSON line on stdout.
 */
export const FULL_CHAOS = process.env.APPNETPOL_CHAOS === 'full';

/** The size of a run: `short` in the test suite, `full` under `npm run chaos`. */
export function chaosScale<T>(short: T, full: T): T {
  return FULL_CHAOS ? full : short;
}

/** Prints a run's figures so `npm run chaos` output can be copied into docs/reliability.md. */
export function reportFigures(run: string, figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ chaos: run, variant: FULL_CHAOS ? 'full' : 'short', ...figures })}\n`);
}
