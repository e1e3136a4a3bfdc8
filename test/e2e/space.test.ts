/**
 * The Space controller end to end: the operator runs as its own process against the real control
 * plane (with the garbage collector), and everything is read back from the API server.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isNotFound, type KubeObject } from '../../src/runtime/kube-client.js';
import { eventually, testCluster } from '../support/cluster.js';
import { createNamespaces } from '../support/fixtures.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';

const { admin, plane } = testCluster();
const SPACES = '/apis/kf.dev/v1alpha1/spaces';
const NETPOL = '/apis/networking.k8s.io/v1';
/** Every Space this file creates; each one's namespace has its name. */
const SPACE_NAMES = ['kf-toggle', 'kf-late', 'kf-doomed', 'kf-drift', 'kf-invalid', 'kf-coexist'];
/** The garbage collector starts watching a newly installed CRD's kind only at its next discovery sync (every 30 s). */
const GC_TIMEOUT_MS = 75_000;

type NetworkPolicy = KubeObject & { spec: Record<string, unknown> };
type NetworkConfig = Record<string, Record<string, string>>;

let operator: OperatorProcess;

const spacePath = (name: string) => `${SPACES}/${name}`;
const netpolPath = (ns: string, name = '') => `${NETPOL}/namespaces/${ns}/networkpolicies${name ? `/${name}` : ''}`;
const getNetpol = (ns: string, name: string) => admin.get<NetworkPolicy>(netpolPath(ns, name));
const exists = (ns: string, name: string) => getNetpol(ns, name).then(() => true, (e: unknown) => (isNotFound(e) ? false : Promise.reject(e)));
const workloadPods = (workload: string) => ({ matchLabels: { 'kf.dev/networkpolicy': workload } });

async function createSpace(name: string, networkConfig: NetworkConfig): Promise<KubeObject> {
  return admin.create(SPACES, { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name }, spec: { networkConfig } });
}

async function setNetworkConfig(name: string, networkConfig: NetworkConfig): Promise<void> {
  await admin.mergePatch(spacePath(name), { spec: { networkConfig } });
}

/** Our policy names in the namespace, sorted. */
async function ourPolicies(ns: string): Promise<string[]> {
  const list = await admin.list<NetworkPolicy>(netpolPath(ns), { labelSelector: `networking.kf.dev/space=${ns}` });
  return list.items.map((np) => np.metadata!.name!).sort();
}

beforeAll(async () => {
  await createNamespaces(SPACE_NAMES.filter((name) => name !== 'kf-late'));
  operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'space' });
});

afterAll(async () => {
  try {
    // Leave no Space policies behind for the other end-to-end files, which count managed objects.
    for (const name of SPACE_NAMES) await admin.delete(spacePath(name)).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    await eventually(async () => {
      const left = await admin.list<NetworkPolicy>(`${NETPOL}/networkpolicies`, { labelSelector: 'networking.kf.dev/space' });
      expect(left.items.filter((np) => SPACE_NAMES.includes(np.metadata!.namespace!)).map((np) => np.metadata!.name)).toEqual([]);
    }, GC_TIMEOUT_MS);
  } finally {
    await operator?.stop();
  }
});

describe('Space controller', () => {
  it('writes the baselines and essentials, and a toggle takes effect promptly', async () => {
    const space = await createSpace('kf-toggle', { appNetworkPolicy: { ingress: 'DenyAll' } });
    await eventually(async () => {
      expect(await ourPolicies('kf-toggle')).toEqual(['appnetpol-space-app', 'appnetpol-space-app-essentials', 'appnetpol-space-build']);
      expect((await getNetpol('kf-toggle', 'appnetpol-space-app')).spec).toEqual({ podSelector: workloadPods('app'), policyTypes: ['Ingress', 'Egress'], egress: [{}] });
    });
    const build = await getNetpol('kf-toggle', 'appnetpol-space-build');
    expect(build.spec).toEqual({ podSelector: workloadPods('build'), policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] });
    expect(build.metadata!.labels).toEqual({ 'app.kubernetes.io/managed-by': 'appnetpol', 'networking.kf.dev/space': 'kf-toggle', 'kf.dev/networkpolicy': 'build' });
    expect(build.metadata!.ownerReferences).toEqual([
      { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', name: 'kf-toggle', uid: space.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
    const essentials = await getNetpol('kf-toggle', 'appnetpol-space-app-essentials');
    expect(essentials.spec).toEqual({
      podSelector: workloadPods('app'),
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { istio: 'ingressgateway' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } } }] }],
    });

    let started = Date.now();
    await setNetworkConfig('kf-toggle', { appNetworkPolicy: { ingress: 'PermitAll' }, buildNetworkPolicy: { egress: 'DenyAll' } });
    await eventually(
      async () => {
        expect((await getNetpol('kf-toggle', 'appnetpol-space-app')).spec.ingress).toEqual([{}]);
        expect((await getNetpol('kf-toggle', 'appnetpol-space-build')).spec.egress).toBeUndefined();
        expect(await ourPolicies('kf-toggle')).toEqual(['appnetpol-space-app', 'appnetpol-space-build', 'appnetpol-space-build-essentials']);
      },
      10_000,
      50,
    );
    expect(Date.now() - started).toBeLessThan(5_000);

    started = Date.now();
    await setNetworkConfig('kf-toggle', { buildNetworkPolicy: { egress: '' } });
    await eventually(async () => expect(await ourPolicies('kf-toggle')).toEqual(['appnetpol-space-app', 'appnetpol-space-build']), 10_000, 50);
    expect((await getNetpol('kf-toggle', 'appnetpol-space-build')).spec.egress).toEqual([{}]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('waits for a namespace created after the Space', async () => {
    await createSpace('kf-late', { appNetworkPolicy: { egress: 'DenyAll' } });
    await eventually(() => expect(operator.logs().some((l) => l.name === 'kf-late' && l.reason === 'WaitingForNamespace')).toBe(true));
    await createNamespaces(['kf-late']);
    await eventually(async () => expect(await ourPolicies('kf-late')).toEqual(['appnetpol-space-app', 'appnetpol-space-app-essentials', 'appnetpol-space-build']));
  });

  it('takes its policies with it when the Space is deleted', async () => {
    await createSpace('kf-doomed', { appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' }, buildNetworkPolicy: { egress: 'DenyAll' } });
    await eventually(async () => expect(await ourPolicies('kf-doomed')).toHaveLength(4));
    await admin.delete(spacePath('kf-doomed'));
    await eventually(async () => expect(await ourPolicies('kf-doomed')).toEqual([]), GC_TIMEOUT_MS);
  });

  it('undoes hand edits and recreates deleted policies', async () => {
    await createSpace('kf-drift', { appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } });
    const baseline = 'appnetpol-space-app';
    await eventually(async () => expect(await ourPolicies('kf-drift')).toEqual([baseline, 'appnetpol-space-app-essentials', 'appnetpol-space-build']));
    const before = await getNetpol('kf-drift', baseline);

    await admin.mergePatch(netpolPath('kf-drift', baseline), { spec: { ingress: [{}] } });
    await eventually(async () => expect((await getNetpol('kf-drift', baseline)).spec).toEqual(before.spec));

    // Without our label it drops out of the operator's cache; it is still found and put back.
    await admin.mergePatch(netpolPath('kf-drift', baseline), { metadata: { labels: { 'app.kubernetes.io/managed-by': null } } });
    await eventually(async () => expect((await getNetpol('kf-drift', baseline)).metadata!.labels).toEqual(before.metadata!.labels));

    const essentials = await getNetpol('kf-drift', 'appnetpol-space-app-essentials');
    await admin.delete(netpolPath('kf-drift', 'appnetpol-space-app-essentials'));
    await eventually(async () => expect((await getNetpol('kf-drift', 'appnetpol-space-app-essentials')).spec).toEqual(essentials.spec));
  });

  it('keeps the last applied policy for an invalid value and says why (Event, metric, log)', async () => {
    await createSpace('kf-invalid', { appNetworkPolicy: { ingress: 'DenyAll' } });
    await eventually(async () => expect(await ourPolicies('kf-invalid')).toEqual(['appnetpol-space-app', 'appnetpol-space-app-essentials', 'appnetpol-space-build']));
    const appBefore = await getNetpol('kf-invalid', 'appnetpol-space-app');

    // The app value is misspelt; the build change in the same edit still takes effect.
    await setNetworkConfig('kf-invalid', { appNetworkPolicy: { ingress: 'Denyall', egress: 'DenyAll' }, buildNetworkPolicy: { egress: 'DenyAll' } });
    const message =
      'spec.networkConfig.appNetworkPolicy.ingress: invalid value "Denyall": must be PermitAll, DenyAll or empty (empty means PermitAll). ' +
      'The app policies applied before stay in place until this is corrected.';
    await eventually(async () => {
      const events = await admin.list<KubeObject & { reason: string; type: string; message: string }>('/api/v1/namespaces/default/events', {
        fieldSelector: 'involvedObject.kind=Space,involvedObject.name=kf-invalid',
      });
      expect(events.items.map((e) => ({ type: e.type, reason: e.reason, message: e.message }))).toContainEqual({ type: 'Warning', reason: 'InvalidNetworkConfig', message });
    });
    await eventually(async () => expect(await ourPolicies('kf-invalid')).toContain('appnetpol-space-build-essentials'));
    const metrics = await (await fetch(`${operator.healthUrl}/metrics`)).text();
    expect(metrics).toContain('appnetpol_space_invalid_network_config{space="kf-invalid"} 1');
    expect(operator.logs()).toContainEqual(expect.objectContaining({ level: 'warn', severity: 'WARNING', name: 'kf-invalid', reason: 'InvalidNetworkConfig', msg: message }));
    const appAfter = await getNetpol('kf-invalid', 'appnetpol-space-app');
    expect(appAfter.metadata!.resourceVersion).toBe(appBefore.metadata!.resourceVersion);
    expect(await exists('kf-invalid', 'appnetpol-space-app-essentials')).toBe(true);

    await setNetworkConfig('kf-invalid', { appNetworkPolicy: { ingress: 'PermitAll', egress: 'PermitAll' } });
    await eventually(async () => {
      expect((await getNetpol('kf-invalid', 'appnetpol-space-app')).spec.ingress).toEqual([{}]);
      expect(await exists('kf-invalid', 'appnetpol-space-app-essentials')).toBe(false);
      expect(await (await fetch(`${operator.healthUrl}/metrics`)).text()).toContain('appnetpol_space_invalid_network_config{space="kf-invalid"} 0');
    });
  });

  it("coexists with Kf's own space-app-policy and space-build-policy without touching them", async () => {
    const space = await createSpace('kf-coexist', { appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } });
    // Shaped as Kf's Space controller writes them: one labelled and owned by the Space, one bare.
    const kfPolicy = (name: string, workload: string, metadata: Record<string, unknown>): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: 'kf-coexist', ...metadata },
      spec: { podSelector: workloadPods(workload), policyTypes: ['Ingress', 'Egress'] },
    });
    const kfApp = await admin.create(
      netpolPath('kf-coexist'),
      kfPolicy('space-app-policy', 'app', {
        labels: { 'app.kubernetes.io/managed-by': 'kf' },
        ownerReferences: [{ apiVersion: 'kf.dev/v1alpha1', kind: 'Space', name: 'kf-coexist', uid: space.metadata!.uid, controller: true, blockOwnerDeletion: true }],
      }),
    );
    const kfBuild = await admin.create(netpolPath('kf-coexist'), kfPolicy('space-build-policy', 'build', {}));
    await eventually(async () => expect(await ourPolicies('kf-coexist')).toEqual(['appnetpol-space-app', 'appnetpol-space-app-essentials', 'appnetpol-space-build']));

    await setNetworkConfig('kf-coexist', { appNetworkPolicy: { ingress: 'PermitAll', egress: 'PermitAll' } });
    await eventually(async () => expect(await ourPolicies('kf-coexist')).toEqual(['appnetpol-space-app', 'appnetpol-space-build']));
    await setNetworkConfig('kf-coexist', { buildNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } });
    await eventually(async () => expect(await ourPolicies('kf-coexist')).toEqual(['appnetpol-space-app', 'appnetpol-space-build', 'appnetpol-space-build-essentials']));

    const all = await admin.list<NetworkPolicy>(netpolPath('kf-coexist'));
    const versions = Object.fromEntries(all.items.map((np) => [np.metadata!.name, np.metadata!.resourceVersion]));
    expect(versions['space-app-policy']).toBe(kfApp.metadata!.resourceVersion);
    expect(versions['space-build-policy']).toBe(kfBuild.metadata!.resourceVersion);
    expect(operator.logs().filter((l) => l.name === 'kf-coexist' && ['error', 'fatal'].includes(l.level as string))).toEqual([]);
  });
});
