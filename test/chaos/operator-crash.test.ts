/**
 * The operator dies (SIGKILL) in the middle of a change to every policy and is started again, as the
 * kubelet would start its container: the new process waits out the dead one's lease, then finishes the
 * change. Every invariant must hold afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chaosScale, reportFigures, seconds, startFaultRun, type FaultRun } from '../support/chaos.js';
import { eventually } from '../support/cluster.js';
import { changeEveryPolicy, converged, invariantViolations, programmedWith } from '../support/convergence.js';

const POLICIES = chaosScale(80, 2000);
const CONVERGE_MS = chaosScale(180_000, 600_000);

let run: FaultRun;

beforeAll(async () => {
  run = await startFaultRun('operator-crash', POLICIES);
}, 300_000);

afterAll(async () => {
  await run?.stop();
});

describe('operator crash', () => {
  it('SIGKILL in the middle of a change to every policy, then a restart: the change completes and every invariant holds', async () => {
    const { admin, namespace: NAMESPACE, intended } = run;
    const first = await run.startOperator('first');
    const initialMs = await converged(admin, NAMESPACE, intended, CONVERGE_MS);
    await changeEveryPolicy(admin, NAMESPACE, intended, 5001);
    await eventually(async () => expect(await programmedWith(admin, NAMESPACE, 5001)).toBeGreaterThanOrEqual(POLICIES / 5), CONVERGE_MS, 50);
    const killedAt = Date.now();
    await first.stop('SIGKILL');
    const programmedAtKill = await programmedWith(admin, NAMESPACE, 5001);
    const second = await run.startOperator('second');
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
