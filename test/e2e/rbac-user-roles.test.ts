/**
 * The roles config/rbac gives people, on a real API server: the built-in admin, edit and view roles gather
 * AppNetworkPolicy rights through aggregation, and the CF API caller roles, bound as
 * config/examples/cf-api-callers.yaml shows, scope what `appnetpol cf-api` lets a caller do.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { createNamespace, eventually, kubectl, testCluster } from '../support/cluster.js';
import { startCfApi, type CfApiProcess } from '../support/cf-api.js';
import { createKfApp } from '../support/fixtures.js';
import { renderKustomization, type Manifest } from '../support/kustomize.js';
import { createAll, deleteAll } from '../support/rbac.js';

const { admin, plane } = testCluster();
const V1 = '/networking/v1/external';
const suffix = randomBytes(3).toString('hex');
const rendered = renderKustomization('config/rbac');
type Binding = Manifest & { roleRef: { name: string }; subjects: { kind: string; name: string; apiGroup: string }[] };

/** config/rbac's ClusterRoles `names`, renamed with this file's suffix (aggregation goes by label, not name). */
function rolesNamed(names: string[]): Manifest[] {
  return rendered
    .filter((o) => o.kind === 'ClusterRole' && names.includes(o.metadata.name))
    .map((o) => ({ ...structuredClone(o), metadata: { ...o.metadata, name: `${o.metadata.name}-${suffix}` } }));
}

function roleBinding(namespace: string, role: string, user: string): Manifest {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: `${role}-${user}-${suffix}`, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  };
}

async function allowed(user: string, verb: string, namespace?: string, subresource?: string): Promise<boolean> {
  const review: KubeObject & { status?: { allowed?: boolean } } = await admin.create(`/apis/authorization.k8s.io/v1/subjectaccessreviews`, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { user, groups: ['system:authenticated'], resourceAttributes: { group: 'networking.kf.dev', resource: 'appnetworkpolicies', verb, namespace, subresource } },
  });
  return review.status?.allowed === true;
}

const created: Manifest[] = [];
async function create(...objects: Manifest[]): Promise<void> {
  await createAll(objects);
  created.push(...objects);
}

afterAll(async () => {
  await deleteAll(created.reverse());
});

describe('AppNetworkPolicy rights through the built-in admin, edit and view roles', () => {
  let namespace: string;
  const who = { admin: `space-manager-${suffix}`, edit: `space-developer-${suffix}`, view: `space-auditor-${suffix}` };

  beforeAll(async () => {
    namespace = await createNamespace('rbac-users');
    await create(roleBinding(namespace, 'admin', who.admin), roleBinding(namespace, 'edit', who.edit), roleBinding(namespace, 'view', who.view));
    await create(roleBinding(namespace, 'edit', 'alice'), roleBinding(namespace, 'view', 'bob'));
  });

  afterAll(async () => {
    if (namespace) await admin.delete(`/api/v1/namespaces/${namespace}`);
  });

  it('grants nothing on AppNetworkPolicies before the roles are installed', async () => {
    expect(await allowed(who.edit, 'create', namespace)).toBe(false);
    expect(await allowed(who.view, 'get', namespace)).toBe(false);
  });

  it('lets admin and edit manage them, view read them, nobody write status, once installed', async () => {
    await create(...rolesNamed(['appnetpol-appnetworkpolicies-edit', 'appnetpol-appnetworkpolicies-view']));
    await eventually(async () => {
      const answers = {
        admin: [await allowed(who.admin, 'create', namespace), await allowed(who.admin, 'deletecollection', namespace), await allowed(who.admin, 'watch', namespace)],
        edit: [await allowed(who.edit, 'create', namespace), await allowed(who.edit, 'patch', namespace), await allowed(who.edit, 'list', namespace)],
        view: [await allowed(who.view, 'create', namespace), await allowed(who.view, 'delete', namespace), await allowed(who.view, 'get', namespace)],
        status: [await allowed(who.admin, 'update', namespace, 'status'), await allowed(who.edit, 'patch', namespace, 'status')],
        elsewhere: [await allowed(who.admin, 'get', 'default')],
      };
      expect(answers).toEqual({ admin: [true, true, true], edit: [true, true, true], view: [false, false, true], status: [false, false], elsewhere: [false] });
    }, 30_000, 500);
  });

  it('holds for real requests: edit creates with kubectl, view reads and is refused a write', async () => {
    const manifest = JSON.stringify({ apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name: 'web', namespace }, spec: { app: 'web', ingress: [{ from: [{ app: 'api' }] }] } });
    expect(await kubectl(['create', '-f', '-'], { identity: 'alice', input: manifest })).toMatchObject({ code: 0 });
    expect(await kubectl(['get', 'appnetpol', '-n', namespace, '-o', 'name'], { identity: 'bob' })).toMatchObject({ code: 0, stdout: 'appnetworkpolicy.networking.kf.dev/web\n' });
    const refused = await kubectl(['delete', 'appnetpol', 'web', '-n', namespace], { identity: 'bob' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('User "bob" cannot delete resource "appnetworkpolicies" in API group "networking.kf.dev"');
  });
});

describe('CF API callers bound as config/examples/cf-api-callers.yaml shows', () => {
  const examples = parseAllDocuments(readFileSync('config/examples/cf-api-callers.yaml', 'utf8')).map((d) => d.toJS() as Binding);
  let payments: string;
  let other: string;
  let api: CfApiProcess;
  const guid: Record<string, string> = {};
  const policy = (from: string, to: string) => ({ source: { id: guid[from] }, destination: { id: guid[to], protocol: 'tcp', ports: { start: 8080, end: 8080 } } });
  const add = (from: string, to: string) => api.call('POST', `${V1}/policies`, { token: plane.identities['cf-writer'].token, body: { policies: [policy(from, to)] } });

  /** The example binding of `kind`, renamed for this file, in `namespace`, for the cf-writer identity. */
  function example(kind: string, namespace?: string): Manifest {
    const binding = structuredClone(examples.find((o) => o.kind === kind)!);
    binding.metadata = { name: `${binding.metadata.name}-${suffix}`, ...(namespace ? { namespace } : {}) };
    binding.roleRef.name += `-${suffix}`;
    binding.subjects = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cf-writer' }];
    return binding;
  }

  beforeAll(async () => {
    payments = await createNamespace('rbac-payments');
    other = await createNamespace('rbac-other');
    for (const [namespace, app] of [[payments, 'checkout'], [payments, 'ledger'], [other, 'audit']]) {
      await createKfApp(namespace, app);
      guid[app] = (await admin.get(`/apis/kf.dev/v1alpha1/namespaces/${namespace}/apps/${app}`)).metadata!.uid!;
    }
    await create(...rolesNamed(['appnetpol-cf-network-admin', 'appnetpol-cf-network-write']));
    api = await startCfApi({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'rbac-callers' });
  });

  afterAll(async () => {
    await api?.stop();
    for (const namespace of [payments, other]) if (namespace) await admin.delete(`/api/v1/namespaces/${namespace}`);
  });

  it('binds the shipped roles by name', () => {
    expect(examples.map((o) => `${o.kind}/${o.roleRef.name}`)).toEqual(['ClusterRoleBinding/appnetpol-cf-network-admin', 'RoleBinding/appnetpol-cf-network-write']);
    for (const o of examples) expect(rendered.some((r) => r.kind === 'ClusterRole' && r.metadata.name === o.roleRef.name)).toBe(true);
  });

  it('refuses a caller with neither binding', async () => {
    expect((await add('checkout', 'ledger')).status).toBe(403);
  });

  it('lets a network-write caller open flows within its Space only', async () => {
    await create(example('RoleBinding', payments));
    // Answers are cached for 10 seconds per (user, namespace).
    await eventually(async () => expect((await add('checkout', 'ledger')).status).toBe(200), 30_000, 1000);
    const across = await add('checkout', 'audit');
    expect([across.status, across.json()]).toEqual([403, { error: 'one or more applications cannot be found or accessed' }]);
  });

  it('lets a network-admin caller open flows between any Spaces', async () => {
    await create(example('ClusterRoleBinding'));
    await eventually(async () => expect((await add('checkout', 'audit')).status).toBe(200), 30_000, 1000);
    const listed = await api.call('GET', `${V1}/policies?id=${guid.audit}`, { token: plane.identities['cf-writer'].token });
    expect(listed.json()).toEqual({ total_policies: 1, policies: [policy('checkout', 'audit')] });
  });
});
