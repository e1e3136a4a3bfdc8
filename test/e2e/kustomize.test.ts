/**
 * config/default is what `kubectl apply -k config/default` installs: render it, apply it to the real
 * control plane, read every object back. (No nodes here, so the Deployments' pods never run.)
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { isNotFound } from '../../src/runtime/kube-client.js';
import { kubectl, testCluster } from '../support/cluster.js';
import { objectPath, renderKustomization, type Manifest } from '../support/kustomize.js';

const { admin } = testCluster();
const rendered = renderKustomization('config/default');
/** The CRD is shared with every other test file; everything else is this file's to remove. */
const removable = rendered.filter((o) => o.kind !== 'CustomResourceDefinition');

afterAll(async () => {
  for (const object of removable) await admin.delete(objectPath(object)).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
});

describe('config/default', () => {
  it('holds the CRD, both workloads and their RBAC, and neither the Kf stand-ins nor the samples', () => {
    const names = rendered.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`).sort();
    expect(names).toEqual([
      'ClusterRole/appnetpol-appnetworkpolicies-edit',
      'ClusterRole/appnetpol-appnetworkpolicies-view',
      'ClusterRole/appnetpol-cf-api',
      'ClusterRole/appnetpol-cf-network-admin',
      'ClusterRole/appnetpol-cf-network-write',
      'ClusterRole/appnetpol-controller',
      'ClusterRoleBinding/appnetpol-cf-api',
      'ClusterRoleBinding/appnetpol-controller',
      'CustomResourceDefinition/appnetworkpolicies.networking.kf.dev',
      'Deployment/appnetpol-system/appnetpol-cf-api',
      'Deployment/appnetpol-system/appnetpol-controller',
      'Namespace/appnetpol-system',
      'Role/appnetpol-system/appnetpol-controller-leader-election',
      'Role/default/appnetpol-controller-apiserver-endpoints',
      'Role/kube-system/appnetpol-controller-dataplane',
      'RoleBinding/appnetpol-system/appnetpol-controller-leader-election',
      'RoleBinding/default/appnetpol-controller-apiserver-endpoints',
      'RoleBinding/kube-system/appnetpol-controller-dataplane',
      'Service/appnetpol-system/appnetpol-cf-api',
      'ServiceAccount/appnetpol-system/appnetpol-cf-api',
      'ServiceAccount/appnetpol-system/appnetpol-controller',
    ]);
  });

  it('applies to a real API server, which then holds every object', async () => {
    const applied = await kubectl(['apply', '--server-side', '-k', 'config/default']);
    // No warnings: the namespace enforces the restricted Pod Security Standard, so a pod template
    // that broke it would draw a "would violate PodSecurity" warning here.
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    for (const object of rendered) {
      const live = await admin.get<Manifest>(objectPath(object));
      expect(live.metadata.name).toBe(object.metadata.name);
    }
  });
});
