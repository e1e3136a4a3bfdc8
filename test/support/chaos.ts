/**
 * Fault, load and hostile-input runs (test/chaos): a short variant runs in `npm test`, the full one
 * with `npm run chaos` (APPNETPOL_CHAOS=full). Each run reports its figures as one JSON line on stdout.
 * Runs that break the control plane start their own.
 */
import { killProcess, restartProcess, startControlPlane, startWatchdog, type ControlPlane, type ProcessName } from '../../hack/control-plane.js';

export const FULL_CHAOS = process.env.APPNETPOL_CHAOS === 'full';

/** The size of a run: `short` in the test suite, `full` under `npm run chaos`. */
export function chaosScale<T>(short: T, full: T): T {
  return FULL_CHAOS ? full : short;
}

/** Prints a run's figures so `npm run chaos` output can be copied into docs/reliability.md. */
export function reportFigures(run: string, figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ chaos: run, variant: FULL_CHAOS ? 'full' : 'short', ...figures })}\n`);
}

/** A control plane for one fault run alone, with the project's CRDs, torn down even if the run is killed. */
export async function startOwnControlPlane(): Promise<ControlPlane> {
  const plane = await startControlPlane({ crds: ['crds', 'crds/kf'] });
  startWatchdog(process.pid, plane);
  return plane;
}

/** SIGKILLs one control-plane process, waits `downMs`, starts it again and returns how long it was away. */
export async function crashAndRestart(plane: ControlPlane, name: ProcessName, downMs = 0): Promise<number> {
  const killedAt = Date.now();
  await killProcess(plane, name);
  await new Promise((r) => setTimeout(r, downMs));
  await restartProcess(plane, name);
  startWatchdog(process.pid, { ...plane, pids: [plane.processes[name].pid] });
  return Date.now() - killedAt;
}

/** Milliseconds as seconds with one decimal, for figures. */
export function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
