import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/operator-config.js';

describe('leader election settings', () => {
  it('defaults to on with a 15 s lease, 10 s renew deadline and 2 s retry period', () => {
    expect(loadConfig({})).toMatchObject({ leaderElect: true, leaderElectionName: 'appnetpol-controller', leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 });
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
    [{ renewDeadlineSeconds: '15' }, 'renewDeadlineSeconds (15) must be less than leaseDurationSeconds (15)'],
    [{ retryPeriodSeconds: '10' }, 'retryPeriodSeconds (10) must be less than renewDeadlineSeconds (10)'],
    [{ leaderElectionNamespace: 'Not_A_Namespace' }, 'leaderElectionNamespace: must match pattern'],
  ])('rejects %j', (flags, message) => {
    expect(() => loadConfig({ flags })).toThrow(message);
  });

  it('does not check lease timings when leader election is off', () => {
    expect(loadConfig({ flags: { leaderElect: 'false', renewDeadlineSeconds: '30' } }).renewDeadlineSeconds).toBe(30);
  });
});
