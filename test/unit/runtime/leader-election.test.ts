import { describe, expect, it } from '@jest/globals';
import { decideLease, leaseClientSettings, leaseSpecFor, microTime, type Lease } from '../../../src/runtime/leader-election.js';

const ME = 'pod-a_1';
const DURATION = 15_000;
const heldBy = (holder: string, spec: Lease['spec'] = {}): Lease => ({ metadata: { name: 'l', resourceVersion: '7' }, spec: { holderIdentity: holder, leaseDurationSeconds: 15, ...spec } });

describe('decideLease', () => {
  it('creates a lease that does not exist', () => {
    expect(decideLease(undefined, ME, 1_000, 1_000, DURATION)).toEqual({ action: 'create' });
  });

  it('renews its own lease', () => {
    expect(decideLease(heldBy(ME), ME, 1_000, 0, DURATION)).toEqual({ action: 'renew' });
  });

  it('acquires a released lease at once', () => {
    expect(decideLease(heldBy(''), ME, 1_000, 1_000, DURATION)).toEqual({ action: 'acquire', reason: 'released' });
    expect(decideLease({ metadata: {}, spec: { holderIdentity: null } }, ME, 1_000, 1_000, DURATION)).toEqual({ action: 'acquire', reason: 'released' });
  });

  it('follows a live holder until its record has been unchanged for the whole lease duration', () => {
    expect(decideLease(heldBy('pod-b_2'), ME, 10_000, 1_000, DURATION)).toEqual({ action: 'follow', holder: 'pod-b_2', expiresInMs: 6_000 });
    expect(decideLease(heldBy('pod-b_2'), ME, 16_000, 1_000, DURATION)).toEqual({ action: 'acquire', reason: 'expired' });
  });

  it("judges expiry by the holder's declared duration, not by the holder's clock", () => {
    const stale = heldBy('pod-b_2', { leaseDurationSeconds: 60, renewTime: '2000-01-01T00:00:00.000000Z' });
    expect(decideLease(stale, ME, 30_000, 0, DURATION)).toMatchObject({ action: 'follow', expiresInMs: 30_000 });
  });

  it('falls back to its own duration when the lease names none', () => {
    expect(decideLease(heldBy('pod-b_2', { leaseDurationSeconds: undefined }), ME, 15_000, 0, DURATION)).toEqual({ action: 'acquire', reason: 'expired' });
  });
});

describe('leaseSpecFor', () => {
  const now = new Date('2026-11-23T12:00:00.123Z');

  it('keeps the acquire time and transitions when renewing', () => {
    const previous = { holderIdentity: ME, acquireTime: '2026-11-23T11:00:00.000000Z', leaseTransitions: 3 };
    expect(leaseSpecFor(previous, ME, DURATION, now)).toEqual({
      holderIdentity: ME,
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-23T11:00:00.000000Z',
      renewTime: '2026-11-23T12:00:00.123000Z',
      leaseTransitions: 3,
    });
  });

  it('counts a transition when taking over from another holder or a release', () => {
    expect(leaseSpecFor({ holderIdentity: 'pod-b_2', leaseTransitions: 3 }, ME, DURATION, now)).toMatchObject({ acquireTime: '2026-11-23T12:00:00.123000Z', leaseTransitions: 4 });
    expect(leaseSpecFor({ holderIdentity: '', leaseTransitions: 4 }, ME, DURATION, now)).toMatchObject({ leaseTransitions: 5 });
  });

  it('starts at zero transitions on a new lease', () => {
    expect(leaseSpecFor(undefined, ME, DURATION, now)).toMatchObject({ holderIdentity: ME, leaseTransitions: 0 });
  });
});

describe('microTime', () => {
  it('writes six fractional digits, as MicroTime requires', () => {
    expect(microTime(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02T03:04:05.006000Z');
  });
});

describe('leaseClientSettings', () => {
  it('gives up a hung call early enough to try again on a new connection within the renew deadline', () => {
    expect(leaseClientSettings({ namespace: 'n', name: 'l', identity: ME, leaseDurationMs: 8_000, renewDeadlineMs: 5_000, retryPeriodMs: 2_000 })).toEqual({ qps: 0, burst: 0, maxRetries: 0, timeoutMs: 1_500 });
    expect(leaseClientSettings({ namespace: 'n', name: 'l', identity: ME, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }).timeoutMs).toBe(4_000);
  });

  it('never gives a call less than a second', () => {
    expect(leaseClientSettings({ namespace: 'n', name: 'l', identity: ME, leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 1_000 }).timeoutMs).toBe(1_000);
  });
});
