/**
 * The benchmark's code at a tiny scale, so `npm run bench` cannot rot between full runs. Like the full
 * run, on a control plane of its own: the per-policy counts would include other files' objects.
 */
import { describe, expect, it } from '@jest/globals';
import { onFreshCluster } from '../bench/harness.js';
import { runScale } from '../bench/run.js';

describe('benchmark smoke run', () => {
  it('converges, stays idle, follows churn and switches Spaces', async () => {
    const result = await onFreshCluster((cluster) =>
      runScale(cluster, { policies: 40, namespaces: 4, concurrency: 4, resyncSeconds: 10, churnRate: 5, churnSeconds: 3, spaces: 5 }, 'smoke'),
    );
    expect(result.convergenceSeconds).toBeGreaterThan(0);
    expect(result.firstStatusSeconds).toBeGreaterThan(0);
    expect(result.firstStatusSeconds).toBeLessThanOrEqual(result.convergenceSeconds);
    expect(result.reachableSeconds).toBeGreaterThan(0);
    expect(result.ceilingWithStatusSeconds).toBeGreaterThan(result.ceilingSeconds);
    expect(result.ceilingWithOwnStatusSeconds).toBeGreaterThan(result.ceilingSeconds);
    expect(result.controlPlaneCpuMsPerPolicy.operator).toBeGreaterThan(0);
    expect(result.controlPlaneCpuMsPerPolicy.ceilingWithOwnStatus).toBeGreaterThan(0);
    expect(result.benchCpuMsPerPolicy.ceilingWithOwnStatus).toBeGreaterThan(0);
    expect(result.idleWrites).toEqual({});
    // A new policy costs one reconcile and two writes: the watch events of its own writes are not news.
    expect(result.reconcilesPerPolicy).toBeLessThan(1.5);
    // (The API server may count the last writes only after their watch events showed convergence.)
    expect(result.convergenceWritesPerPolicy['POST networkpolicies']).toBeLessThanOrEqual(1);
    expect(result.convergenceWritesPerPolicy['PATCH appnetworkpolicies']).toBeLessThanOrEqual(1);
    expect(result.churn.updates).toBe(15);
    expect(result.peakRssMiB).toBeGreaterThan(0);
    expect(result.spacesDenyAllSeconds).toBeGreaterThan(0);
  }, 240_000);
});
