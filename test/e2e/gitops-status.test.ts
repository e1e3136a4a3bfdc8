/**
 * What Flux, Config Sync and kpt (kstatus) and Argo CD (the health check in config/argocd) make of
 * live AppNetworkPolicies, computed by their own code (test/tools/status): Current/Healthy when
 * programmed, InProgress/Progressing while a generation is not handled, Failed/Degraded with the
 * reason when it cannot be programmed without someone's change, and back after the fix. The operator
 * runs with exactly the rules of config/rbac.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Condition } from '../../src/api/types.js';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { createNamespace, eventually, kubectl, testCluster } from '../support/cluster.js';
import { createKfApp } from '../support/fixtures.js';
import { ARGOCD_HEALTH_CHECK, gitopsStatus, statusTool } from '../support/gitops-status.js';
import { objectPath, renderKustomization } from '../support/kustomize.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { configRbacIdentity, deleteAll, rulesWithout, type ConfigRbacIdentity, type Role } from '../support/rbac.js';

const { admin, plane } = testCluster();
const SERVICE_ACCOUNT = 'appnetpol-controller';
const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';

type Policy = KubeObject & { status?: { observedGeneration?: number; conditions?: Condition[] } };

const suffix = randomBytes(3).toString('hex');
let identity: ConfigRbacIdentity;
let ns: string;
let operator: OperatorProcess;
/** The default/kubernetes EndpointSlices other test files may have published, put back afterwards. */
let apiServerSlices: KubeObject[] = [];

const policyPath = (name = '') => `/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies${name ? `/${name}` : ''}`;
const netpolPath = (name = '') => `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies${name ? `/${name}` : ''}`;
const clusterRole = () => identity.objects.find((o): o is Role => o.kind === 'ClusterRole')!;

async function createPolicy(name: string, spec: Record<string, unknown> = { app: 'web', ingress: [{ from: [{ app: 'web-client' }], ports: [{ port: 8080 }] }] }): Promise<void> {
  await admin.create(policyPath(), { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name, namespace: ns }, spec });
}

/** Waits until both tools say `kstatus` / `argocd` of the live policy, and returns what they said. */
async function expectStatus(name: string, kstatus: string, argocd: string): Promise<ReturnType<typeof gitopsStatus>> {
  return eventually(async () => {
    const seen = gitopsStatus(await admin.get<Policy>(policyPath(name)));
    expect([seen.kstatus.status, seen.argocd.status]).toEqual([kstatus, argocd]);
    return seen;
  }, 60_000);
}

async function startOurOperator(name: string): Promise<OperatorProcess> {
  return startOperator({ kubeconfig: identity.kubeconfig, logDir: `${plane.dir}/logs`, name, args: ['--leader-election-namespace', identity.namespace, '--resync-seconds', '10'] });
}

beforeAll(async () => {
  statusTool();
  identity = await configRbacIdentity(SERVICE_ACCOUNT, 'gitops-operator', suffix);
  ns = await createNamespace('gitops-apps');
  await createKfApp(ns, 'web');
  await createKfApp(ns, 'web-client');
  // Without the API server's endpoints the kube-apiserver entity cannot be expanded: a spec the
  // operator cannot accept although admission did.
  apiServerSlices = (await admin.list(SLICES, { labelSelector: 'kubernetes.io/service-name=kubernetes' })).items;
  for (const slice of apiServerSlices) await admin.delete(`${SLICES}/${slice.metadata!.name}`);
  operator = await startOurOperator('gitops');
}, 600_000);

afterAll(async () => {
  await operator?.stop();
  for (const slice of apiServerSlices) {
    const { name, labels } = slice.metadata!;
    await admin.create(SLICES, { ...slice, metadata: { name, namespace: 'default', labels } });
  }
  await deleteAll(identity?.objects ?? []);
  for (const namespace of [ns, identity?.namespace]) if (namespace) await admin.delete(`/api/v1/namespaces/${namespace}`);
});

describe('kstatus and the Argo CD health check on live AppNetworkPolicies', () => {
  it('a programmed policy is Current and Healthy', async () => {
    await createPolicy('ready');
    const seen = await expectStatus('ready', 'Current', 'Healthy');
    expect(seen.argocd.message).toBe('the spec is accepted and every generated object is written');
  });

  it('a spec the operator cannot accept is Failed and Degraded with the reason, and Current after the fix', async () => {
    await createPolicy('apiserver', { app: 'web', egress: [{ to: [{ entity: 'kube-apiserver' }] }] });
    const seen = await expectStatus('apiserver', 'Failed', 'Degraded');
    const why =
      'egress[0]: entity "kube-apiserver" cannot be expanded before the addresses of the default/kubernetes endpoints are observed (evaluated again as soon as they are). ' +
      'No NetworkPolicy is written for this generation; the one written before, if any, stays in place.';
    expect(seen.kstatus.message).toBe(why);
    expect(seen.argocd.message).toBe(`UnknownEntity: ${why}`);

    await admin.mergePatch(policyPath('apiserver'), { spec: { egress: [{ to: [{ entity: 'dns' }] }] } });
    await expectStatus('apiserver', 'Current', 'Healthy');
  });

  it('a same-named NetworkPolicy it will not take over is Failed and Degraded, and Current once it is gone', async () => {
    await admin.create(netpolPath(), { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'appnetpol-taken', namespace: ns }, spec: { podSelector: {} } });
    await createPolicy('taken');
    const seen = await expectStatus('taken', 'Failed', 'Degraded');
    const why = `NetworkPolicy ${ns}/appnetpol-taken already exists and is not managed by this AppNetworkPolicy; rename or remove it`;
    expect(seen.kstatus.message).toBe(why);
    expect(seen.argocd.message).toBe(`Conflict: ${why}`);

    await admin.delete(netpolPath('appnetpol-taken'));
    await expectStatus('taken', 'Current', 'Healthy');
  });

  it('a write the API server refuses is Failed and Degraded, and Current once the rule is back', async () => {
    await admin.mergePatch(objectPath(clusterRole()), { rules: rulesWithout(clusterRole(), 'networkpolicies', 'create') });
    await createPolicy('refused');
    const seen = await expectStatus('refused', 'Failed', 'Degraded');
    const why =
      `writing NetworkPolicy appnetpol-refused: networkpolicies.networking.k8s.io is forbidden: User "system:serviceaccount:${identity.namespace}:${SERVICE_ACCOUNT}" ` +
      `cannot create resource "networkpolicies" in API group "networking.k8s.io" in the namespace "${ns}"`;
    expect(seen.kstatus.message).toBe(why);
    expect(seen.argocd.message).toBe(`ApplyFailed: ${why}`);

    await admin.mergePatch(objectPath(clusterRole()), { rules: rulesWithout(clusterRole(), 'networkpolicies') });
    await expectStatus('refused', 'Current', 'Healthy');
  });

  it('a generation not handled yet is InProgress and Progressing; a policy never handled is Current to kstatus only', async () => {
    await operator.stop();
    await admin.mergePatch(policyPath('ready'), { spec: { ingress: [{ from: [{ app: 'web-client' }], ports: [{ port: 9090 }] }] } });
    await createPolicy('unseen');

    const changed = gitopsStatus(await admin.get<Policy>(policyPath('ready')));
    expect(changed.kstatus).toEqual({ status: 'InProgress', message: 'AppNetworkPolicy generation is 2, but latest observed generation is 1' });
    expect(changed.argocd).toEqual({ status: 'Progressing', message: 'waiting for appnetpol to handle generation 2' });
    // kubectl wait compares the condition's observedGeneration too: the old Ready does not satisfy it.
    const waited = await kubectl(['wait', '--for=condition=Ready', '--timeout=2s', '-n', ns, `appnetpol/ready`]);
    expect(waited.code).not.toBe(0);
    // The documented window: no status at all reads as Current to kstatus.
    const unseen = gitopsStatus(await admin.get<Policy>(policyPath('unseen')));
    expect(unseen.kstatus).toEqual({ status: 'Current', message: 'Resource is current' });
    expect(unseen.argocd).toEqual({ status: 'Progressing', message: 'waiting for appnetpol to report status' });

    operator = await startOurOperator('gitops-restarted');
    await expectStatus('ready', 'Current', 'Healthy');
    await expectStatus('unseen', 'Current', 'Healthy');
  });
});

describe('config/argocd', () => {
  it('ships exactly the health check the tests run, under the key Argo CD reads', () => {
    expect(renderKustomization('config/argocd')).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'argocd-cm', namespace: 'argocd' },
        data: { 'resource.customizations.health.networking.kf.dev_AppNetworkPolicy': readFileSync(ARGOCD_HEALTH_CHECK, 'utf8') },
      },
    ]);
  });
});
