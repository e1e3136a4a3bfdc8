/**
 * The operator dies (SIGKILL) in the middle of a change to every policy and is started again, as the
 * kubelet would start its container: the new process waits out the dead one's lease, then finishes the
 * change. Every invariant must hold afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { stopControlPlane, type ControlPlane } from '../../hack/control-plane.js';
import { KubeClient } from '../../src/runtime/kube-client.js';
import { chaosScale, reportFigures, seconds, startOwnControlPlane } from '../support/chaos.js';
import { eventually } from '../support/cluster.js';
import { changeEveryPolicy, converged, createPolicies, invariantViolations, programmedWith, type Intended } from '../support/convergence.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';

const POLICIES = chaosScale(80, 2000);
const CONVERGE_MS = chaosScale(180_000, 600_000);
const NAMESPACE = 'operator-crash';
const LEASE = `appnetpol-${randomBytes(3).toString('hex')}`;

let plane: ControlPlane;
let admin: KubeClient;
let intended: Intended;
const running: OperatorProcess[] = [];

const start = async (name: string) => {
  const operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name, leaseName: LEASE });
  running.push(operator);
  return operator;
};

beforeAll(async () => {
  plane = await startOwnControlPlane();
  admin = KubeClient.fromFile(plane.kubeconfig);
  await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  intended = await createPolicies(admin, NAMESPACE, POLICIES, 5000);
}, 300_000);

afterAll(async () => {
  await Promise.all(running.map((operator) => operator.stop()));
  if (plane) stopControlPlane(plane, { keepDir: process.env.APPNETPOL_KEEP_LOGS === '1' });
});

describe('operator crash', () => {
  it('SIGKILL in the middle of a change to every policy, then a restart: the change completes and every invariant holds', async () => {
    const first = await start('first');
    const initialMs = await converged(admin, NAMESPACE, intended, CONVERGE_MS);
    await changeEveryPolicy(admin, NAMESPACE, intended, 5001);
    await eventually(async () => expect(await programmedWith(admin, NAMESPACE, 5001)).toBeGreaterThanOrEqual(POLICIES / 5), CONVERGE_MS, 50);
    const killedAt = Date.now();
    await first.stop('SIGKILL');
    const programmedAtKill = await programmedWith(admin, NAMESPACE, 5001);
    const second = await start('second');
    await eventually(async () => expect(await second.isLeader()).toBe(true), 60_000, 100);
    const leadsMs = Date.now() - killedAt;
    const convergedMs = await converged(admin, NAMESPACE, intended, CONVERGE_MS);
    const figures = {
      policies: POLICIES,
      initialConvergenceSeconds: seconds(initialMs),
      programmedAtKill,
      restartedProcessLeadsAfterSeconds: seconds(leadsMs),
      convergedAfterKillSeconds: seconds(Date.now() - killedAt),
      convergedAfterLeadingSeconds: seconds(convergedMs),
      violations: (await invariantViolations(admin, NAMESPACE, intended)).length,
    };
    reportFigures('operator-sigkill', figures);
    expect(programmedAtKill).toBeLessThan(POLICIES);
    expect(figures.violations).toBe(0);
  }, 900_000);
});
