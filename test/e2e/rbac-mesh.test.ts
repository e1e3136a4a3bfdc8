/**
 * Istio output with exactly the controller's rules from config/rbac: Sidecar and AuthorizationPolicy
 * (owned by the AppNetworkPolicy) and PeerAuthentication (owned by the Space) are written, each owner
 * reference with blockOwnerDeletion, and the operator is never refused. `npm run
 * test:rbac-owner-references` runs this file again under OwnerReferencesPermissionEnforcement, where
 * those owner references need `update` on the owners' finalizers.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { Condition, OwnerReference } from '../../src/api/types.js';
import { isNotFound, type KubeObject } from '../../src/runtime/kube-client.js';
import { createNamespace, eventually, testCluster } from '../support/cluster.js';
import { createKfApp } from '../support/fixtures.js';
import { installIstioCrds, removeIstioCrds } from '../support/istio.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { configRbacIdentity, deleteAll, type ConfigRbacIdentity } from '../support/rbac.js';

const { admin, plane } = testCluster();
const SPACES = '/apis/kf.dev/v1alpha1/spaces';

type Policy = KubeObject & { status?: { conditions?: Condition[] } };

const suffix = randomBytes(3).toString('hex');
let identity: ConfigRbacIdentity;
let ns: string;
let operator: OperatorProcess;

beforeAll(async () => {
  await installIstioCrds();
  identity = await configRbacIdentity('appnetpol-controller', 'rbac-mesh-operator', suffix);
  ns = await createNamespace('rbac-mesh-apps');
  await createKfApp(ns, 'web');
  await createKfApp(ns, 'client');
  await admin.create(SPACES, { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name: ns }, spec: { networkConfig: {} } });
  operator = await startOperator({ kubeconfig: identity.kubeconfig, logDir: `${plane.dir}/logs`, name: 'rbac-mesh', args: ['--leader-election-namespace', identity.namespace] });
});

afterAll(async () => {
  await operator?.stop();
  await admin.delete(`${SPACES}/${ns}`).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  await removeIstioCrds();
  await deleteAll(identity?.objects ?? []);
  for (const namespace of [ns, identity?.namespace]) if (namespace) await admin.delete(`/api/v1/namespaces/${namespace}`);
});

describe('Istio output with exactly the rules of config/rbac', () => {
  it('writes the mesh objects with blocking owner references and reports Ready', async () => {
    await admin.create(`/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies`, {
      apiVersion: 'networking.kf.dev/v1alpha1',
      kind: 'AppNetworkPolicy',
      metadata: { name: 'web', namespace: ns },
      spec: { app: 'web', ingress: [{ from: [{ app: 'client' }], ports: [{ port: 8080 }] }], egress: [{ to: [{ app: 'client' }], ports: [{ port: 9090 }] }] },
    });
    const programmed = await eventually(async () => {
      const policy = await admin.get<Policy>(`/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies/web`);
      const conditions = Object.fromEntries((policy.status?.conditions ?? []).map((c) => [c.type, c]));
      expect(conditions.Ready).toMatchObject({ status: 'True' });
      return conditions.Programmed;
    }, 60_000);
    expect(programmed.message).toBe('NetworkPolicy appnetpol-web is current; Sidecar appnetpol-web, AuthorizationPolicy appnetpol-web, PeerAuthentication default current');

    const owners = async (path: string) => (await admin.get(path)).metadata!.ownerReferences as OwnerReference[];
    for (const path of [`/apis/networking.istio.io/v1/namespaces/${ns}/sidecars/appnetpol-web`, `/apis/security.istio.io/v1/namespaces/${ns}/authorizationpolicies/appnetpol-web`]) {
      expect(await owners(path)).toEqual([expect.objectContaining({ kind: 'AppNetworkPolicy', name: 'web', blockOwnerDeletion: true })]);
    }
    expect(await owners(`/apis/security.istio.io/v1/namespaces/${ns}/peerauthentications/default`)).toEqual([
      expect.objectContaining({ kind: 'Space', name: ns, blockOwnerDeletion: true }),
    ]);
  });

  it('was never refused anything', () => {
    expect(operator.logs().filter((line) => /forbidden: User .* cannot /.test(JSON.stringify(line)))).toEqual([]);
  });
});
