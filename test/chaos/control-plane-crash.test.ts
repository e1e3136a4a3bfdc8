/**
 * kube-apiserver and etcd die (SIGKILL) while the operator is converging thousands of policies, and come
 * back on the same data and ports. The operator runs as its own process under a supervisor that restarts
 * it if it exits, as the kubelet would; afterwards every invariant must hold.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { stopControlPlane, type ControlPlane, type ProcessName } from '../../hack/control-plane.js';
import { KubeClient } from '../../src/runtime/kube-client.js';
import { chaosScale, crashAndRestart, reportFigures, seconds, startOwnControlPlane } from '../support/chaos.js';
import { changeEveryPolicy, converged, createPolicies, invariantViolations, programmedWith, type Intended } from '../support/convergence.js';
import { eventually } from '../support/cluster.js';
import { startSupervisedOperator, type SupervisedOperator } from '../support/operator.js';

const POLICIES = chaosScale(80, 2000);
const CONVERGE_MS = chaosScale(180_000, 600_000);
const NAMESPACE = 'crash';

let plane: ControlPlane;
let admin: KubeClient;
let operator: SupervisedOperator;
let intended: Intended;

beforeAll(async () => {
  plane = await startOwnControlPlane();
  admin = KubeClient.fromFile(plane.kubeconfig);
  await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  intended = await createPolicies(admin, NAMESPACE, POLICIES, 5000);
  operator = await startSupervisedOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'crash', leaseName: `appnetpol-${randomBytes(3).toString('hex')}` });
}, 300_000);

afterAll(async () => {
  await operator?.stop();
  if (plane) stopControlPlane(plane, { keepDir: process.env.APPNETPOL_KEEP_LOGS === '1' });
});

/** Kills `name` once a fifth of the policies carry `port`, restarts it, and waits for convergence. */
async function crashMidConvergence(name: ProcessName, port: number): Promise<Record<string, unknown>> {
  const restartsBefore = operator.restarts;
  await eventually(async () => expect(await programmedWith(admin, NAMESPACE, port)).toBeGreaterThanOrEqual(POLICIES / 5), CONVERGE_MS, 100);
  const programmedAtKill = await programmedWith(admin, NAMESPACE, port);
  const awayMs = await crashAndRestart(plane, name);
  const convergedMs = await converged(admin, NAMESPACE, intended, CONVERGE_MS);
  return {
    killed: name,
    policies: POLICIES,
    programmedAtKill,
    awaySeconds: seconds(awayMs),
    convergedAfterRestartSeconds: seconds(convergedMs),
    operatorRestarts: operator.restarts - restartsBefore,
    violations: (await invariantViolations(admin, NAMESPACE, intended)).length,
  };
}

describe('control plane crashes', () => {
  it('SIGKILL of kube-apiserver mid-convergence: every invariant holds once it is back', async () => {
    const figures = await crashMidConvergence('kube-apiserver', 5000);
    reportFigures('kube-apiserver-sigkill', figures);
    expect(figures.violations).toBe(0);
  }, 900_000);

  it('SIGKILL of etcd in the middle of a change to every policy: every invariant holds once it is back', async () => {
    await changeEveryPolicy(admin, NAMESPACE, intended, 5001);
    const figures = await crashMidConvergence('etcd', 5001);
    reportFigures('etcd-sigkill', figures);
    expect(figures.violations).toBe(0);
  }, 900_000);
});
