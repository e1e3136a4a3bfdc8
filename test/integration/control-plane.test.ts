/**
 * Proves the local control plane is the real thing: each of these behaviours comes from
 * kube-apiserver, etcd or kube-controller-manager and would fail against anything less.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { KubeApiError, isNotFound, type KubeObject } from '../../src/runtime/kube-client.js';
import { createNamespace, eventually, kubectl, testCluster } from '../support/cluster.js';

const { admin } = testCluster();
let ns: string;

beforeAll(async () => {
  ns = await createNamespace('foundation');
});

async function failure(call: Promise<unknown>): Promise<KubeApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KubeApiError);
  return error as KubeApiError;
}

describe('the local control plane', () => {
  it('evaluates CRD CEL rules at admission and answers with its own message', async () => {
    const group = 'foundation.test.appnetpol.dev';
    await admin.create('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `ranges.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'ranges', singular: 'range', kind: 'Range' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { start: { type: 'integer' }, end: { type: 'integer' } },
                    'x-kubernetes-validations': [{ rule: 'self.end >= self.start', message: 'end must be at least start' }],
                  },
                },
              },
            },
          },
        ],
      },
    });
    const path = `/apis/${group}/v1/namespaces/${ns}/ranges`;
    const bad = { apiVersion: `${group}/v1`, kind: 'Range', metadata: { name: 'backwards' }, spec: { start: 9, end: 1 } };
    // The API server serves a new CRD a moment after it is established.
    const error = await eventually(async () => {
      const e = await failure(admin.create(path, bad));
      expect(e.status).toBe(422);
      return e;
    });
    expect(error.message).toBe('Range.foundation.test.appnetpol.dev "backwards" is invalid: spec: Invalid value: end must be at least start');
    await admin.create(path, { ...bad, metadata: { name: 'forwards' }, spec: { start: 1, end: 9 } });
  });

  it('reports a server-side apply conflict between two field managers', async () => {
    const path = `/api/v1/namespaces/${ns}/configmaps/shared`;
    const intent = (value: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' }, data: { owner: value } });
    await admin.apply(path, intent('first'), 'manager-one', { force: false });
    const error = await failure(admin.apply(path, intent('second'), 'manager-two', { force: false }));
    expect(error.status).toBe(409);
    expect(error.message).toBe('Apply failed with 1 conflict: conflict with "manager-one": .data.owner');
    const forced = await admin.apply(path, intent('second'), 'manager-two', { force: true });
    expect((forced as { data: Record<string, string> }).data.owner).toBe('second');
  });

  it('garbage-collects a dependent when its owner is deleted', async () => {
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const owner = await admin.create<KubeObject>(base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } });
    await admin.create(base, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'dependent',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! }],
      },
    });
    await admin.delete(`${base}/owner`);
    await eventually(async () => {
      const gone = await admin.get(`${base}/dependent`).then(
        () => false,
        (e: unknown) => isNotFound(e),
      );
      expect(gone).toBe(true);
    });
  });

  it('forbids an identity what RBAC does not grant, and allows what it does', async () => {
    const alice = testCluster().as('alice');
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const denied = await failure(alice.list(path));
    expect(denied.status).toBe(403);
    expect(denied.message).toBe(`configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "${ns}"`);

    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'read-configmaps' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
    });
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'alice-reads-configmaps' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
    });
    await eventually(() => alice.list(path));
    const stillDenied = await failure(alice.list(`/api/v1/namespaces/${ns}/secrets`));
    expect(stillDenied.status).toBe(403);
  });

  it('answers kubectl through the written kubeconfig', async () => {
    const result = await kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.labels.kubernetes\\.io/metadata\\.name}']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(ns);
    const forbidden = await kubectl(['get', 'secrets', '-n', ns], { identity: 'nobody' });
    expect(forbidden.code).not.toBe(0);
    expect(forbidden.stderr).toContain(`User "nobody" cannot list resource "secrets" in API group "" in the namespace "${ns}"`);
  });
});
