/**
 * kube-apiserver and etcd die (SIGKILL) while the operator is converging thousands of policies, and come
 * back on the same data and ports. The operator runs as its own process under a supervisor that restarts
 * it if it exits, as the kubelet would; afterwards every invariant must hold.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ProcessName } from '../../hack/control-plane.js';
import { chaosScale, crashAndRestart, reportFigures, seconds, startFaultRun, type FaultRun } from '../support/chaos.js';
import { eventually } from '../support/cluster.js';
import { changeEveryPolicy, converged, invariantViolations, programmedWith } from '../support/convergence.js';
import { startSupervisedOperator, type SupervisedOperator } from '../support/operator.js';

const POLICIES = chaosScale(80, 2000);
const CONVERGE_MS = chaosScale(180_000, 600_000);

let run: FaultRun;
let operator: SupervisedOperator;

beforeAll(async () => {
  run = await startFaultRun('crash', POLICIES);
  operator = await startSupervisedOperator({ kubeconfig: run.plane.kubeconfig, logDir: `${run.plane.dir}/logs`, name: 'crash', leaseName: run.lease });
}, 300_000);

afterAll(async () => {
  await operator?.stop();
  await run?.stop();
});

/** Kills `name` once a fifth of the policies carry `port`, restarts it, and waits for convergence. */
async function crashMidConvergence(name: ProcessName, port: number): Promise<Record<string, unknown>> {
  const { admin, namespace: NAMESPACE, intended, plane } = run;
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
    await changeEveryPolicy(run.admin, run.namespace, run.intended, 5001);
    const figures = await crashMidConvergence('etcd', 5001);
    reportFigures('etcd-sigkill', figures);
    expect(figures.violations).toBe(0);
  }, 900_000);
});
