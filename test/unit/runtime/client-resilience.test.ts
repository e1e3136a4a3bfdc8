/** The client's pacing and retry arithmetic: token bucket, backoff with jitter, Retry-After. */
import { describe, expect, it } from '@jest/globals';
import { backoffMs, retryAfterMs } from '../../../src/runtime/kube-client.js';
import { TokenBucket } from '../../../src/runtime/rate-limiter.js';

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces requests at qps in arrival order', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBeCloseTo(100);
    expect(bucket.reserve()).toBeCloseTo(200);
    now = 1000;
    // Refilled for one second (10 tokens) less the two reserved ahead, capped at the burst.
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0, expect.closeTo(100)]);
  });
});

describe('backoffMs', () => {
  it('grows exponentially, capped at 5 s, with full jitter', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffMs(attempt, () => 1))).toEqual([100, 200, 400, 800]);
    expect(backoffMs(20, () => 1)).toBe(5000);
    expect(backoffMs(3, () => 0.5)).toBe(400);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, caps long waits at 10 s and ignores what it cannot read', () => {
    expect(retryAfterMs('1')).toBe(1000);
    expect(retryAfterMs(' 3 ')).toBe(3000);
    expect(retryAfterMs('3600')).toBe(10_000);
    expect(retryAfterMs(new Date(Date.UTC(2026, 0, 1, 0, 0, 2)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(2000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
