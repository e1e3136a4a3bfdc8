/**
 * config/samples is what `npm start` shows a newcomer: applied to the real control plane with the operator
 * running, it must tell the whole story (a DenyAll Space with its baseline and essentials, an
 * AppNetworkPolicy whose references resolve and its NetworkPolicy). The Space names get a suffix so the
 * test never meets other test files' namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import type { Condition } from '../../src/api/types.js';
import { eventually, kubectl, testCluster } from '../support/cluster.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { waitReady } from '../support/policies.js';

const { admin, plane } = testCluster();
const suffix = randomBytes(3).toString('hex');
const SPACES = ['partner-cp', 'billing-cp', 'global-auth'];
const space = (name: string) => `${name}-${suffix}`;
/** The samples as `kubectl apply -k config/samples` sends them, with this file's Space names. */
const samples = execFileSync('kubectl', ['kustomize', 'config/samples'], { encoding: 'utf8' }).replace(new RegExp(`\\b(${SPACES.join('|')})\\b`, 'g'), (name) => space(name));
let operator: OperatorProcess;

type NetworkPolicy = KubeObject & { spec: { policyTypes: string[]; ingress?: unknown[]; egress?: unknown[] } };

beforeAll(async () => {
  operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'samples' });
  expect(await kubectl(['apply', '-f', '-'], { input: samples })).toMatchObject({ code: 0 });
});

afterAll(async () => {
  await operator?.stop();
  await kubectl(['delete', '--wait=false', '-f', '-'], { input: samples });
});

describe('config/samples with the operator running', () => {
  it('makes the AppNetworkPolicy Ready with every reference resolved', async () => {
    await waitReady(space('partner-cp'), 'partner-api');
    const policy = await admin.get<KubeObject & { status: { conditions: Condition[] } }>(`/apis/networking.kf.dev/v1alpha1/namespaces/${space('partner-cp')}/appnetworkpolicies/partner-api`);
    expect(policy.status.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({ status: 'True' });
  });

  it('locks the DenyAll Space down to its essentials and the policy, and leaves the PermitAll Spaces open', async () => {
    const policies = async (namespace: string) =>
      Object.fromEntries((await admin.list<NetworkPolicy>(`/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`)).items.map((np) => [np.metadata!.name!, np.spec]));
    await eventually(async () => {
      const denied = await policies(space('partner-cp'));
      expect(Object.keys(denied).sort()).toEqual(['appnetpol-partner-api', 'appnetpol-space-app', 'appnetpol-space-app-essentials', 'appnetpol-space-build']);
      expect(denied['appnetpol-space-app']).toMatchObject({ policyTypes: ['Ingress', 'Egress'] });
      expect([denied['appnetpol-space-app'].ingress ?? [], denied['appnetpol-space-app'].egress ?? []]).toEqual([[], []]);
      for (const open of ['billing-cp', 'global-auth']) {
        const permitted = await policies(space(open));
        expect(Object.keys(permitted).sort()).toEqual(['appnetpol-space-app', 'appnetpol-space-build']);
        expect(permitted['appnetpol-space-app']).toMatchObject({ ingress: [{}], egress: [{}] });
      }
    }, 60_000, 500);
  });
});
