/** The Reachable condition over the partner-api scenario, offline. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { AppNetworkPolicy } from '../../../src/api/types.js';
import { readManifests } from '../../../src/cli/reachability.js';
import { reachableCondition } from '../../../src/planner/reachable.js';
import { ClusterSnapshot, type SnapshotInput } from '../../../src/reachability/snapshot.js';

const read = (file: string) => readFileSync(file, 'utf8');
const scenario = (): SnapshotInput => readManifests(['docs/examples/partner-scenario.yaml', 'config/samples/partner-api.yaml'], read, () => {});

function partnerApi(input: SnapshotInput): AppNetworkPolicy {
  return input.appNetworkPolicies.find((p) => p.metadata.name === 'partner-api')!;
}

describe('Reachable', () => {
  it('is True when both halves of every declared flow are there', () => {
    const input = scenario();
    const c = reachableCondition(partnerApi(input), new ClusterSnapshot(input), 3);
    expect(c).toEqual({ type: 'Reachable', status: 'True', reason: 'Reachable', message: 'every declared flow to and from other apps gets through (2 checked)', observedGeneration: 3 });
  });

  it('is False naming global-auth when auth does not admit partner-api', () => {
    const input = scenario();
    const withoutAuth = { ...input, networkPolicies: input.networkPolicies.filter((np) => np.metadata?.name !== 'appnetpol-auth') };
    const c = reachableCondition(partnerApi(input), new ClusterSnapshot(withoutAuth), 3);
    expect(c.status).toBe('False');
    expect(c.reason).toBe('BlockedByPeer');
    expect(c.message).toBe(
      'egress rule "to-auth" to global-auth/auth: TCP 5555 is blocked on the side of global-auth/auth (ingress): ' +
        'global-auth is DenyAll for ingress (Space global-auth spec.networkConfig.appNetworkPolicy.ingress) and nothing there admits partner-cp/partner-api on TCP 5555: ' +
        "add an ingress rule to auth's AppNetworkPolicy global-auth/auth: {from: [{app: partner-api, space: partner-cp}], ports: [{protocol: TCP, port: 5555}]}",
    );
  });

  it('is Unknown while a peer has neither pods nor a Kf App', () => {
    const input = scenario();
    const noBilling = { ...input, apps: input.apps!.filter((a) => a.metadata?.name !== 'billing-backend') };
    const c = reachableCondition(partnerApi(input), new ClusterSnapshot(noBilling), 3);
    expect(c.status).toBe('Unknown');
    expect(c.message).toBe('ingress rule "from-billing" from billing-cp/billing-backend: no pods (and no Kf App) of billing-cp/billing-backend are known');
  });

  it('is Unknown while the policy\'s own app is not known', () => {
    const input = scenario();
    const c = reachableCondition(partnerApi(input), new ClusterSnapshot({ ...input, apps: [] }), 3);
    expect(c).toMatchObject({ status: 'Unknown', reason: 'PodsUnknown', message: 'partner-cp/partner-api: no pods (and no Kf App) are known yet' });
  });
});
