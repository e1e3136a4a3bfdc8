/** The cf-api benchmark's code at a tiny scale, so the full run cannot rot between runs. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { runCfApiBench, SMOKE_PLAN } from '../bench/cf-api.js';
import { removeNamespaces, testCluster } from '../support/cluster.js';

describe('cf-api benchmark smoke run', () => {
  it('loads apps and policies through the API and measures list latency', async () => {
    const result = await runCfApiBench(testCluster(), SMOKE_PLAN);
    expect(result.loadSeconds).toBeGreaterThan(0);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ rate: SMOKE_PLAN.rates[0], errors: 0 });
    expect(result.steps[0].sent).toBe(SMOKE_PLAN.rates[0] * SMOKE_PLAN.stepSeconds);
    expect(result.rssAfterLoadMiB).toBeGreaterThan(0);
    expect(result.rssMiB).toBeGreaterThan(0);
  }, 240_000);

  // Its 200 apps' AppNetworkPolicies would otherwise be reconciled by every later file's operator.
  afterAll(() => removeNamespaces('cfb-'), 150_000);
});
