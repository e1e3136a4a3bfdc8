import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/operator-config.js';

describe('leader election settings', () => {
  it('defaults to on with an 8 s lease, 5 s renew deadline and 2 s retry period', () => {
    expect(loadConfig({})).toMatchObject({ leaderElect: true, leaderElectionName: 'appnetpol-controller', leaseDurationSeconds: 8, renewDeadlineSeconds: 5, retryPeriodSeconds: 2 });
    expect(loadConfig({}).leaderElectionNamespace).toBeUndefined();
  });

  it('takes flags and environment as strings', () => {
    const config = loadConfig({
      env: { APPNETPOL_LEADER_ELECTION_NAMESPACE: 'appnetpol-system', APPNETPOL_LEASE_DURATION_SECONDS: '30' },
      flags: { leaderElect: 'false', leaderElectionName: 'other', renewDeadlineSeconds: '20' },
    });
    expect(config).toMatchObject({ leaderElect: false, leaderElectionNamespace: 'appnetpol-system', leaderElectionName: 'other', leaseDurationSeconds: 30, renewDeadlineSeconds: 20 });
  });

  it.each([
    [{ leaderElect: 'maybe' }, 'leaderElect: must be boolean'],
    [{ renewDeadlineSeconds: '8' }, 'renewDeadlineSeconds (8) must be less than leaseDurationSeconds (8)'],
    [{ retryPeriodSeconds: '5' }, 'retryPeriodSeconds (5) must be less than renewDeadlineSeconds (5)'],
    [{ leaderElectionNamespace: 'Not_A_Namespace' }, 'leaderElectionNamespace: must match pattern'],
  ])('rejects %j', (flags, message) => {
    expect(() => loadConfig({ flags })).toThrow(message);
  });

  it('does not check lease timings when leader election is off', () => {
    expect(loadConfig({ flags: { leaderElect: 'false', renewDeadlineSeconds: '30' } }).renewDeadlineSeconds).toBe(30);
  });
});
