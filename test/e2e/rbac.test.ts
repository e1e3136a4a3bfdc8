/**
 * The RBAC of config/rbac is enough and is what the operator uses: the operator runs as a real
 * ServiceAccount bound to exactly the controller's rules rendered from config/rbac, and every
 * feature works. With a rule taken away, the failure is reported where a user looks, not swallowed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { isNotFound, type KubeObject } from '../../src/runtime/kube-client.js';
import { createNamespace, eventually, testCluster } from '../support/cluster.js';
import { createKfApp } from '../support/fixtures.js';
import { objectPath, type Manifest } from '../support/kustomize.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { createAll, deleteAll, renderRbacFor, rulesWithout, type Role } from '../support/rbac.js';
import { serviceAccountKubeconfig } from '../support/service-account.js';
import type { Condition } from '../../src/api/types.js';

const { admin, plane } = testCluster();
const SERVICE_ACCOUNT = 'appnetpol-controller';
const NETPOL = '/apis/networking.k8s.io/v1';
const SPACES = '/apis/kf.dev/v1alpha1/spaces';

type Policy = KubeObject & { status?: { conditions?: Condition[] } };

const suffix = randomBytes(3).toString('hex');
let operatorNamespace: string;
let appNamespace: string;
let rbacObjects: Manifest[];
let operator: OperatorProcess;

const clusterRole = () => rbacObjects.find((o): o is Role => o.kind === 'ClusterRole')!;
const policyPath = (name: string) => `/apis/networking.kf.dev/v1alpha1/namespaces/${appNamespace}/appnetworkpolicies/${name}`;
const netpolPath = (name: string) => `${NETPOL}/namespaces/${appNamespace}/networkpolicies/${name}`;
const conditionOf = (policy: Policy, type: string) => policy.status?.conditions?.find((c) => c.type === type);

async function createPolicy(name: string, fromApp: string): Promise<void> {
  await admin.create(`/apis/networking.kf.dev/v1alpha1/namespaces/${appNamespace}/appnetworkpolicies`, {
    apiVersion: 'networking.kf.dev/v1alpha1',
    kind: 'AppNetworkPolicy',
    metadata: { name, namespace: appNamespace },
    spec: { app: 'web', ingress: [{ from: [{ app: fromApp }], ports: [{ protocol: 'TCP', port: 8080 }] }] },
  });
}

async function waitForCondition(name: string, type: string, status: string): Promise<Condition> {
  return eventually(async () => {
    const condition = conditionOf(await admin.get<Policy>(policyPath(name)), type);
    expect(condition?.status).toBe(status);
    return condition!;
  }, 60_000);
}

async function eventsAbout(name: string): Promise<{ type: string; reason: string; message: string }[]> {
  const list = await admin.list(`/api/v1/namespaces/${appNamespace}/events`, { fieldSelector: `involvedObject.name=${name}` });
  return list.items as unknown as { type: string; reason: string; message: string }[];
}

async function reconcileErrors(): Promise<number> {
  const line = (await operator.metrics()).split('\n').find((l) => l.startsWith('controller_runtime_reconcile_total{') && l.includes('controller="appnetworkpolicy"') && l.includes('result="error"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Sets the ClusterRole to its rules as rendered, less `verb` on networkpolicies if given. */
async function setClusterRoleWithout(verb?: string): Promise<void> {
  const role = clusterRole();
  await admin.mergePatch(objectPath(role), { rules: rulesWithout(role, 'networkpolicies', verb) });
}

beforeAll(async () => {
  operatorNamespace = await createNamespace('rbac-operator');
  appNamespace = await createNamespace('rbac-apps');
  rbacObjects = renderRbacFor(SERVICE_ACCOUNT, operatorNamespace, suffix);
  await createAll(rbacObjects);
  await createKfApp(appNamespace, 'web');
  await createKfApp(appNamespace, 'web-client');
  const kubeconfig = await serviceAccountKubeconfig(operatorNamespace, SERVICE_ACCOUNT);
  // The Lease lives in the operator's namespace, as in a Deployment (where POD_NAMESPACE says which).
  operator = await startOperator({ kubeconfig, logDir: `${plane.dir}/logs`, name: 'rbac', args: ['--leader-election-namespace', operatorNamespace] });
});

afterAll(async () => {
  await operator?.stop();
  await admin.delete(`${SPACES}/${appNamespace}`).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  await deleteAll(rbacObjects ?? []);
  for (const ns of [appNamespace, operatorNamespace]) if (ns) await admin.delete(`/api/v1/namespaces/${ns}`);
});

describe('the operator with exactly the rules of config/rbac', () => {
  it('leads on a Lease in its own namespace', async () => {
    await eventually(async () => expect(await operator.isLeader()).toBe(true));
    const leases = await admin.list(`/apis/coordination.k8s.io/v1/namespaces/${operatorNamespace}/leases`);
    expect(leases.items).toHaveLength(1);
  });

  it('programs an AppNetworkPolicy, reports Ready and records Events', async () => {
    await createPolicy('web', 'web-client');
    await waitForCondition('web', 'Ready', 'True');
    const path = netpolPath('appnetpol-web');
    const written = await admin.get<KubeObject>(path);
    // A hand edit is undone (update) and reported with an Event (create); a deletion is undone (create).
    await admin.mergePatch(path, { spec: { podSelector: { matchLabels: { widened: 'by-hand' } } } });
    await eventually(async () => expect((await admin.get<KubeObject>(path)).spec).toEqual(written.spec));
    await eventually(async () => expect((await eventsAbout('web')).map((e) => e.reason)).toContain('Updated'));
    await admin.delete(path);
    await eventually(async () => expect((await admin.get<KubeObject>(path)).spec).toEqual(written.spec));
  });

  it('writes a Space baseline and removes an essentials policy no longer needed', async () => {
    const ours = async () =>
      (await admin.list(`${NETPOL}/namespaces/${appNamespace}/networkpolicies`, { labelSelector: `networking.kf.dev/space=${appNamespace}` })).items.map((np) => np.metadata!.name).sort();
    await admin.create(SPACES, { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name: appNamespace }, spec: { networkConfig: { appNetworkPolicy: { ingress: 'DenyAll' } } } });
    await eventually(async () => expect(await ours()).toEqual(['appnetpol-space-app', 'appnetpol-space-app-essentials', 'appnetpol-space-build']));
    await admin.mergePatch(`${SPACES}/${appNamespace}`, { spec: { networkConfig: { appNetworkPolicy: { ingress: 'PermitAll' } } } });
    await eventually(async () => expect(await ours()).toEqual(['appnetpol-space-app', 'appnetpol-space-build']));
  });

  it('was never refused anything', () => {
    // RBAC's refusal ("User ... cannot ..."); other files' namespaces being deleted refuse writes too, for another reason.
    const refused = operator.logs().filter((line) => /forbidden: User .* cannot /.test(JSON.stringify(line)));
    expect(refused).toEqual([]);
  });
});

describe('the operator missing a rule', () => {
  it('reports a refused write in the condition, an Event, a log line and the error metric', async () => {
    const errorsBefore = await reconcileErrors();
    await setClusterRoleWithout('create');
    await createPolicy('api', 'web');

    const forbidden =
      `networkpolicies.networking.k8s.io is forbidden: User "system:serviceaccount:${operatorNamespace}:${SERVICE_ACCOUNT}" ` +
      `cannot create resource "networkpolicies" in API group "networking.k8s.io" in the namespace "${appNamespace}"`;
    const programmed = await waitForCondition('api', 'Programmed', 'False');
    expect(programmed).toMatchObject({ reason: 'ApplyFailed', message: `writing NetworkPolicy appnetpol-api: ${forbidden}` });
    expect(await waitForCondition('api', 'Ready', 'False')).toMatchObject({ reason: 'ApplyFailed' });
    await eventually(async () => expect(await eventsAbout('api')).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'ApplyFailed', message: programmed.message })));
    await eventually(() =>
      expect(operator.logs()).toContainEqual(
        expect.objectContaining({
          level: 'error',
          severity: 'ERROR',
          msg: 'reconcile failed; retrying with backoff',
          controller: 'appnetworkpolicy',
          namespace: appNamespace,
          name: 'api',
          reason: 'Forbidden',
          err: expect.objectContaining({ type: 'KubeApiError', message: forbidden, stack: expect.stringContaining('\n    at ') }),
        }),
      ),
    );
    expect(await reconcileErrors()).toBeGreaterThan(errorsBefore);
  });

  it('recovers by itself once the rule is back', async () => {
    await setClusterRoleWithout();
    await waitForCondition('api', 'Ready', 'True');
  });
});
