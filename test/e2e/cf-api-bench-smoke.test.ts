/** `npm run bench:cf-api` at a tiny scale, through the very start-up the full command uses, so it cannot rot. */
import { describe, expect, it } from '@jest/globals';
import { benchCfApi, SMOKE_PLAN } from '../bench/cf-api.js';

describe('cf-api benchmark smoke run', () => {
  it('loads apps and policies through the API and measures list latency', async () => {
    const result = await benchCfApi(SMOKE_PLAN);
    expect(result.policyLoadSeconds).toBeGreaterThan(0);
    expect(result.plainWriteSeconds).toBeGreaterThan(0);
    expect(result.loadRatio).toBeCloseTo(result.policyLoadSeconds / result.plainWriteSeconds);
    expect(result.putNamedRulesMs).toBeGreaterThan(0);
    expect(result.putUnnamedRulesMs).toBeGreaterThan(0);
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]).toMatchObject({ rate: SMOKE_PLAN.rates[0], errors: 0 });
    expect(result.steps[0].answered).toBeGreaterThan(0);
    expect(result.steps[0].bytesPerSecond).toBeGreaterThan(0);
    expect(result.rssAfterLoadMiB).toBeGreaterThan(0);
    expect(result.heapAfterLoadMiB).toBeGreaterThan(0);
    expect(result.rssMiB).toBeGreaterThan(0);
  }, 240_000);
});
