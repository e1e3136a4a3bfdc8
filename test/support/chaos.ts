/**
 * Fault, load and hostile-input runs (test/chaos): a short variant runs in `npm test`, the full one
 * with `npm run chaos` (APPNETPOL_CHAOS=full). Each run reports its figures as one JSON line on stdout.
 * Runs that break the control plane start their own.
 */
import { randomBytes } from 'node:crypto';
import { killProcess, restartProcess, startControlPlane, startWatchdog, stopControlPlane, type ControlPlane, type ProcessName } from '../../hack/control-plane.js';
import { KubeClient } from '../../src/runtime/kube-client.js';
import { createPolicies, type Intended } from './convergence.js';
import { startOperator, type OperatorOptions, type OperatorProcess } from './operator.js';

export const FULL_CHAOS = process.env.APPNETPOL_CHAOS === 'full';

/** The size of a run: `short` in the test suite, `full` under `npm run chaos`. */
export function chaosScale<T>(short: T, full: T): T {
  return FULL_CHAOS ? full : short;
}

/**
 * The fuzzers' seed: APPNETPOL_CHAOS_SEED when set (to replay a run); a new one per full run, to explore;
 * a fixed one in the test suite, so `npm test` is the same run every time and a red CI is reproducible.
 */
export function chaosSeed(): number {
  if (process.env.APPNETPOL_CHAOS_SEED) return Number(process.env.APPNETPOL_CHAOS_SEED);
  return FULL_CHAOS ? Date.now() % 2 ** 31 : 20261202;
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

/** What a fault run works on: a control plane of its own, policies in one namespace, operators on one Lease. */
export interface FaultRun {
  plane: ControlPlane;
  admin: KubeClient;
  namespace: string;
  /** Policy name -> the port its spec names now. */
  intended: Intended;
  /** The Lease every operator of the run elects its leader on. */
  lease: string;
  /** Starts an operator process on the run's Lease (by default against the API server directly). */
  startOperator(name: string, options?: Partial<OperatorOptions>): Promise<OperatorProcess>;
  /** Stops every operator started through the run, then the control plane (APPNETPOL_KEEP_LOGS=1 keeps its logs). */
  stop(): Promise<void>;
}

export async function startFaultRun(namespace: string, policies: number): Promise<FaultRun> {
  const plane = await startOwnControlPlane();
  const admin = KubeClient.fromFile(plane.kubeconfig);
  await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const intended = await createPolicies(admin, namespace, policies, 5000);
  const lease = `appnetpol-${randomBytes(3).toString('hex')}`;
  const operators: OperatorProcess[] = [];
  return {
    plane,
    admin,
    namespace,
    intended,
    lease,
    startOperator: async (name, options = {}) => {
      const operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name, leaseName: lease, ...options });
      operators.push(operator);
      return operator;
    },
    stop: async () => {
      await Promise.all(operators.map((operator) => operator.stop()));
      stopControlPlane(plane, { keepDir: process.env.APPNETPOL_KEEP_LOGS === '1' });
    },
  };
}
