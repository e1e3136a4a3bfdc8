/**
 * Two replicas on one Lease; the leader is SIGKILLed in the middle of a change to every policy, again and
 * again, and a new replica takes the dead one's place each time, as a Deployment would. Measures the
 * failover time (kill to the follower leading) and how often each replica writes the Lease; afterwards
 * every invariant must hold, so nothing a dead leader was writing survives.
 *
 * The lease timings are the operator's defaults unless APPNETPOL_LEASE_DURATION_SECONDS,
 * APPNETPOL_RENEW_DEADLINE_SECONDS and APPNETPOL_RETRY_PERIOD_SECONDS are set, which the operator
 * processes inherit: that is how the defaults were chosen.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Lease } from '../../src/runtime/leader-election.js';
import { chaosScale, reportFigures, seconds, startFaultRun, type FaultRun } from '../support/chaos.js';
import { eventually } from '../support/cluster.js';
import { changeEveryPolicy, converged, invariantViolations } from '../support/convergence.js';
import { LEASE_NAMESPACE } from '../support/operator.js';
import { percentile } from '../bench/harness.js';

const POLICIES = chaosScale(40, 1000);
const KILLS = chaosScale(2, 6);
const CONVERGE_MS = chaosScale(120_000, 600_000);

let run: FaultRun;

/** Every distinct Lease record seen, by polling it: who wrote it, and when by the writer's own clock. */
function watchLease(): { writes: { holder: string; at: number }[]; stop(): void } {
  const writes: { holder: string; at: number }[] = [];
  let last = '';
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    run.admin
      .get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases/${run.lease}`)
      .then((lease) => {
        if (lease.metadata!.resourceVersion === last) return;
        last = lease.metadata!.resourceVersion!;
        writes.push({ holder: lease.spec?.holderIdentity ?? '', at: Date.parse(lease.spec?.renewTime ?? '') || Date.now() });
      })
      .catch(() => undefined)
      .finally(() => (polling = false));
  }, 200);
  return { writes, stop: () => clearInterval(timer) };
}

beforeAll(async () => {
  run = await startFaultRun('failover', POLICIES);
}, 300_000);

afterAll(async () => {
  await run?.stop();
});

describe('leader failover', () => {
  it(`SIGKILL of the leader ${KILLS} times, each in the middle of a change to every policy`, async () => {
    const { admin, namespace: NAMESPACE, intended } = run;
    let leader = await run.startOperator('r0');
    await eventually(async () => expect(await leader.isLeader()).toBe(true), 60_000, 100);
    let follower = await run.startOperator('r1');
    await converged(admin, NAMESPACE, intended, CONVERGE_MS);
    const lease = watchLease();
    const failovers: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      // Wait for a renewal to be seen, so each kill falls at a random point of the renewal cycle.
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 2000));
      const change = changeEveryPolicy(admin, NAMESPACE, intended, 5000 + kill);
      await new Promise((r) => setTimeout(r, 200));
      const killedAt = Date.now();
      await leader.stop('SIGKILL');
      await eventually(async () => expect(await follower.isLeader()).toBe(true), 60_000, 100);
      failovers.push(Date.now() - killedAt);
      await change;
      leader = follower;
      follower = await run.startOperator(`r${kill + 1}`);
      await converged(admin, NAMESPACE, intended, CONVERGE_MS);
    }
    lease.stop();
    // Renewals of one holder follow each other no faster than the retry period allows.
    const gaps = lease.writes.slice(1).flatMap((w, i) => (w.holder === lease.writes[i].holder ? [w.at - lease.writes[i].at] : []));
    const spanMs = lease.writes.at(-1)!.at - lease.writes[0].at;
    const holders = new Set(lease.writes.map((w) => w.holder)).size;
    const figures = {
      policies: POLICIES,
      kills: KILLS,
      timings: {
        leaseDurationSeconds: process.env.APPNETPOL_LEASE_DURATION_SECONDS ?? 'default',
        renewDeadlineSeconds: process.env.APPNETPOL_RENEW_DEADLINE_SECONDS ?? 'default',
        retryPeriodSeconds: process.env.APPNETPOL_RETRY_PERIOD_SECONDS ?? 'default',
      },
      failoverSeconds: failovers.map(seconds),
      failoverP50Seconds: seconds(percentile(failovers, 50)),
      failoverMaxSeconds: seconds(Math.max(...failovers)),
      leaseWrites: lease.writes.length,
      leaseWritesPerSecond: Math.round((lease.writes.length / (spanMs / 1000)) * 100) / 100,
      shortestGapBetweenWritesOfOneReplicaSeconds: seconds(Math.min(...gaps)),
      leaders: holders,
      violations: (await invariantViolations(admin, NAMESPACE, intended)).length,
    };
    reportFigures('leader-failover', figures);
    expect(figures.violations).toBe(0);
    expect(Math.min(...gaps)).toBeGreaterThan(1500);
  }, 1_800_000);
});
