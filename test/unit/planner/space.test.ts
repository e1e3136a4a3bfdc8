import { describe, expect, it } from '@jest/globals';
import type { Space } from '../../../src/api/space.js';
import { DEFAULT_ENTITIES } from '../../../src/config/entities.js';
import { DEFAULT_ESSENTIALS } from '../../../src/config/essentials.js';
import { RESERVED_NAMES, SPACE_POLICY_NAMES } from '../../../src/planner/names.js';
import { planSpace, type SpacePlan } from '../../../src/planner/space.js';

type Setting = 'PermitAll' | 'DenyAll';
const SETTINGS: Setting[] = ['PermitAll', 'DenyAll'];

function space(networkConfig: unknown): Space {
  return {
    apiVersion: 'kf.dev/v1alpha1',
    kind: 'Space',
    metadata: { name: 'kf-table', uid: 'space-uid' },
    spec: { networkConfig: networkConfig as NonNullable<Space['spec']>['networkConfig'] },
  };
}

function plan(networkConfig: unknown, essentials = DEFAULT_ESSENTIALS): SpacePlan {
  return planSpace({ space: space(networkConfig), namespaceExists: true, entities: DEFAULT_ENTITIES, essentials });
}

const combinations = SETTINGS.flatMap((appIn) =>
  SETTINGS.flatMap((appEg) => SETTINGS.flatMap((buildIn) => SETTINGS.map((buildEg) => [appIn, appEg, buildIn, buildEg] as const))),
);

describe('planSpace: every PermitAll/DenyAll combination', () => {
  it.each(combinations)('app %s/%s, build %s/%s', (appIn, appEg, buildIn, buildEg) => {
    const result = plan({ appNetworkPolicy: { ingress: appIn, egress: appEg }, buildNetworkPolicy: { ingress: buildIn, egress: buildEg } });
    expect(result.events).toEqual([]);
    const cases = [
      { workload: 'App', label: 'app', ingress: appIn, egress: appEg },
      { workload: 'Build', label: 'build', ingress: buildIn, egress: buildEg },
    ] as const;
    for (const [index, c] of cases.entries()) {
      const workload = result.workloads[index];
      expect(workload.workload).toBe(c.workload);
      const [baseline, essentials, ...rest] = workload.networkPolicies!;
      expect(rest).toEqual([]);
      expect(baseline.metadata.name).toBe(SPACE_POLICY_NAMES[c.label].baseline);
      expect(baseline.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'appnetpol',
        'kf.dev/networkpolicy': c.label,
        'networking.kf.dev/space': 'kf-table',
      });
      expect(baseline.metadata.ownerReferences).toEqual([{ apiVersion: 'kf.dev/v1alpha1', kind: 'Space', name: 'kf-table', uid: 'space-uid', controller: true, blockOwnerDeletion: true }]);
      expect(baseline.spec).toEqual({
        podSelector: { matchLabels: { 'kf.dev/networkpolicy': c.label } },
        policyTypes: ['Ingress', 'Egress'],
        ...(c.ingress === 'PermitAll' ? { ingress: [{}] } : {}),
        ...(c.egress === 'PermitAll' ? { egress: [{}] } : {}),
      });
      // Essentials re-allow only denied directions, and builds need no ingress.
      const reallowed = [...(c.ingress === 'DenyAll' && c.workload === 'App' ? ['Ingress'] : []), ...(c.egress === 'DenyAll' ? ['Egress'] : [])];
      if (reallowed.length) {
        expect(essentials.metadata.name).toBe(SPACE_POLICY_NAMES[c.label].essentials);
        expect(essentials.spec.policyTypes).toEqual(reallowed);
        expect(workload.unwanted).toEqual([]);
      } else {
        expect(essentials).toBeUndefined();
        expect(workload.unwanted).toEqual([SPACE_POLICY_NAMES[c.label].essentials]);
      }
      for (const np of workload.networkPolicies!) expect(RESERVED_NAMES.has(np.metadata.name)).toBe(true);
    }
  });
});

describe('planSpace', () => {
  it.each([
    ['an empty networkConfig', {}],
    ['no networkConfig', undefined],
    ['empty strings', { appNetworkPolicy: { ingress: '', egress: '' }, buildNetworkPolicy: { ingress: '', egress: '' } }],
  ])('treats %s as PermitAll', (_case, networkConfig) => {
    for (const workload of plan(networkConfig).workloads) {
      expect(workload.networkPolicies).toHaveLength(1);
      expect(workload.networkPolicies![0].spec).toMatchObject({ ingress: [{}], egress: [{}] });
    }
  });

  it.each([
    [{ appNetworkPolicy: { ingress: 'Denyall' } }, 'spec.networkConfig.appNetworkPolicy.ingress: invalid value "Denyall": must be PermitAll, DenyAll or empty (empty means PermitAll). The app policies applied before stay in place until this is corrected.'],
    [{ buildNetworkPolicy: { egress: 'permitall' } }, 'spec.networkConfig.buildNetworkPolicy.egress: invalid value "permitall": must be PermitAll, DenyAll or empty (empty means PermitAll). The build policies applied before stay in place until this is corrected.'],
    [{ buildNetworkPolicy: 'DenyAll' }, 'spec.networkConfig.buildNetworkPolicy: invalid value "DenyAll": must be a mapping with ingress and egress. The build policies applied before stay in place until this is corrected.'],
  ])('plans nothing for a workload with an invalid value and says which: %j', (networkConfig, message) => {
    const result = plan(networkConfig);
    const invalid = result.workloads.filter((w) => w.invalid);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]).toEqual({ workload: invalid[0].workload, unwanted: [], invalid: message });
    expect(result.events).toEqual([{ type: 'Warning', reason: 'InvalidNetworkConfig', message }]);
    expect(result.workloads.filter((w) => w.networkPolicies)).toHaveLength(1);
  });

  it('writes no essentials when they are switched off, and marks left-over ones unwanted', () => {
    const result = plan({ appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } }, { ...DEFAULT_ESSENTIALS, enabled: false });
    expect(result.workloads[0].networkPolicies!.map((np) => np.metadata.name)).toEqual(['appnetpol-space-app']);
    expect(result.workloads[0].unwanted).toEqual(['appnetpol-space-app-essentials']);
  });

  it('lets denied build egress reach the configured registries on the configured ports', () => {
    const essentials = { enabled: true, buildEgress: [{ cidr: '10.20.0.0/16', ports: [{ port: 443 }] }] };
    const build = plan({ buildNetworkPolicy: { egress: 'DenyAll' } }, essentials).workloads[1];
    expect(build.networkPolicies![1].spec.egress).toContainEqual({ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 443 }] });
  });

  it('waits for the namespace', () => {
    const result = planSpace({ space: space({ appNetworkPolicy: { ingress: 'DenyAll' } }), namespaceExists: false, entities: DEFAULT_ENTITIES, essentials: DEFAULT_ESSENTIALS });
    expect(result).toEqual({ namespace: 'kf-table', waitingForNamespace: true, workloads: [], events: [] });
  });

  it('never uses the names Kf owns', () => {
    const names = plan({ appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' }, buildNetworkPolicy: { egress: 'DenyAll' } }).workloads.flatMap((w) =>
      w.networkPolicies!.map((np) => np.metadata.name),
    );
    expect(names).not.toContain('space-app-policy');
    expect(names).not.toContain('space-build-policy');
  });
});
