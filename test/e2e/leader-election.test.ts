/**
 * Leader election end to end: several operator processes share one Lease on the real control plane;
 * only the leader reconciles, and the failover times after SIGKILL and SIGTERM are measured. A leader
 * whose connections hang keeps its lease.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { Lease } from '../../src/runtime/leader-election.js';
import { createNamespace, eventually, testCluster } from '../support/cluster.js';
import { kubeconfigThrough, startFaultProxy } from '../support/fault-proxy.js';
import { LEASE_NAMESPACE, startOperator, type OperatorProcess } from '../support/operator.js';
import { createPolicy, waitReady } from '../support/policies.js';

const { admin, plane } = testCluster();
const LEASE = `appnetpol-le-${randomBytes(3).toString('hex')}`;
/** The defaults: 8 s lease, 5 s renew deadline, 2 s retry period. */
const LEASE_DURATION_MS = 8_000;
const RETRY_PERIOD_MS = 2_000;

const running: OperatorProcess[] = [];
let namespace: string;

async function start(name: string): Promise<OperatorProcess> {
  const operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name, leaseName: LEASE });
  running.push(operator);
  return operator;
}

async function reconciles(operator: OperatorProcess): Promise<number> {
  const samples = [...(await operator.metrics()).matchAll(/^controller_runtime_reconcile_total\{[^}]*\} (\d+)$/gm)];
  return samples.reduce((sum, [, value]) => sum + Number(value), 0);
}

const identityOf = (operator: OperatorProcess) => operator.logs().find((l) => l.msg === 'became leader')?.identity;
const leaseOf = (name: string) => admin.get<Lease>(`/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases/${name}`);
const holder = async () => (await leaseOf(LEASE)).spec?.holderIdentity;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Milliseconds from `since` until `operator` reports itself leader, polled every 100 ms. */
async function timeToLead(operator: OperatorProcess, since: number): Promise<number> {
  await eventually(async () => expect(await operator.isLeader()).toBe(true), 40_000, 100);
  return Date.now() - since;
}

let first: OperatorProcess;
let second: OperatorProcess;

beforeAll(async () => {
  namespace = await createNamespace('le');
  first = await start('le-a');
  await timeToLead(first, Date.now());
  second = await start('le-b');
});

afterAll(async () => {
  await Promise.all(running.map((operator) => operator.stop()));
});

describe('leader election', () => {
  it('lets only the leader reconcile; the follower keeps its caches warm and stays ready', async () => {
    await createPolicy(namespace, 'while-a-leads');
    await waitReady(namespace, 'while-a-leads');
    // A few retry periods: the follower had every chance to act if it wrongly would.
    await new Promise((r) => setTimeout(r, 3 * RETRY_PERIOD_MS));
    expect(await first.isLeader()).toBe(true);
    expect(await second.isLeader()).toBe(false);
    expect(await reconciles(first)).toBeGreaterThan(0);
    expect(await reconciles(second)).toBe(0);
    expect(second.logs().filter((l) => l.controller !== undefined)).toEqual([]);
    expect((await fetch(`${second.healthUrl}/readyz`)).status).toBe(200);
    expect(await holder()).toBe(identityOf(first));
  });

  it('fails over within the lease duration when the leader is killed (SIGKILL)', async () => {
    const killedAt = Date.now();
    await first.stop('SIGKILL');
    await createPolicy(namespace, 'after-kill');
    const leads = await timeToLead(second, killedAt);
    await waitReady(namespace, 'after-kill');
    const ready = Date.now() - killedAt;
    console.log(`failover after SIGKILL: follower leads after ${seconds(leads)}, a policy created at the kill is Ready after ${seconds(ready)}`);
    expect(leads).toBeLessThan(LEASE_DURATION_MS + 2 * RETRY_PERIOD_MS);
    expect(await holder()).toBe(identityOf(second));
  });

  it('hands the lease over at once when the leader is stopped (SIGTERM) and exits 0', async () => {
    const third = await start('le-c');
    expect(await third.isLeader()).toBe(false);
    const stoppedAt = Date.now();
    const exitCode = await second.stop('SIGTERM');
    await createPolicy(namespace, 'after-term');
    const leads = await timeToLead(third, stoppedAt);
    await waitReady(namespace, 'after-term');
    const ready = Date.now() - stoppedAt;
    console.log(`failover after SIGTERM: follower leads after ${seconds(leads)}, a policy created at the stop is Ready after ${seconds(ready)}`);
    expect(exitCode).toBe(0);
    expect(second.logs().some((l) => l.msg === 'lease released')).toBe(true);
    expect(leads).toBeLessThan(RETRY_PERIOD_MS + 2_000);
    expect(await holder()).toBe(identityOf(third));
  });
});

describe('leader election over connections that hang', () => {
  it('keeps the lease when every connection stops passing data a second after it opens', async () => {
    const proxy = await startFaultProxy(plane.server);
    const lease = `appnetpol-le-hang-${randomBytes(3).toString('hex')}`;
    const operator = await startOperator({ kubeconfig: kubeconfigThrough(proxy, plane, 'le-hang'), logDir: `${plane.dir}/logs`, name: 'le-hang', leaseName: lease });
    try {
      await timeToLead(operator, Date.now());
      proxy.faults = { hangShare: 1 };
      const hungBefore = proxy.counts.hung;
      // Several lease durations: every renewal finds its connection hung and must get through on a new one.
      await new Promise((r) => setTimeout(r, 3 * LEASE_DURATION_MS));
      const renewedMsAgo = Date.now() - Date.parse((await leaseOf(lease)).spec!.renewTime!);
      console.log(`leader over hanging connections: ${proxy.counts.hung - hungBefore} connections hung, last renewal ${seconds(renewedMsAgo)} ago`);
      expect(operator.logs().filter((l) => l.msg === 'lost leadership')).toEqual([]);
      expect(operator.process.exitCode).toBeNull();
      expect(await operator.isLeader()).toBe(true);
      expect(renewedMsAgo).toBeLessThan(LEASE_DURATION_MS);
      expect(proxy.counts.hung - hungBefore).toBeGreaterThan(3);
    } finally {
      await operator.stop();
      await proxy.close();
    }
  }, 60_000);
});
