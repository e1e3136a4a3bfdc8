/**
 * The AppNetworkPolicy controller end to end: the operator runs as its own process against the real
 * control plane, and everything is read back from the API server.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeApiError, isNotFound, type KubeObject } from '../../src/runtime/kube-client.js';
import { eventually, kubectl, testCluster } from '../support/cluster.js';
import { createKfApp, createNamespaces } from '../support/fixtures.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import type { Condition } from '../../src/api/types.js';

const { admin, plane } = testCluster();
const POLICIES = '/apis/networking.kf.dev/v1alpha1';
const NETPOL = '/apis/networking.k8s.io/v1';

type Policy = KubeObject & { spec: Record<string, unknown>; status?: { observedGeneration?: number; conditions?: Condition[] } };
type NetworkPolicy = KubeObject & { spec: Record<string, unknown> };

let operator: OperatorProcess;

// Other test files share the control plane: cluster-wide read-backs only look at this file's namespaces.
const NAMESPACES = ['partner-cp', 'billing-cp', 'global-auth', 'lonely-cp'];
const ours = <T extends KubeObject>(items: T[]): T[] => items.filter((o) => NAMESPACES.includes(o.metadata!.namespace!));

const policyPath = (ns: string, name = '') => `${POLICIES}/namespaces/${ns}/appnetworkpolicies${name ? `/${name}` : ''}`;
const netpolPath = (ns: string, name = '') => `${NETPOL}/namespaces/${ns}/networkpolicies${name ? `/${name}` : ''}`;

function partnerApi(spec: Record<string, unknown> = {}): Policy {
  return {
    apiVersion: 'networking.kf.dev/v1alpha1',
    kind: 'AppNetworkPolicy',
    metadata: { name: 'partner-api', namespace: 'partner-cp' },
    spec: {
      app: 'partner-api',
      ingress: [{ from: [{ app: 'billing-backend', space: 'billing-cp' }], ports: [{ protocol: 'TCP', port: 5080 }] }],
      egress: [{ to: [{ app: 'auth', space: 'global-auth' }], ports: [{ protocol: 'TCP', port: 5555 }] }],
      ...spec,
    },
  };
}

function conditionOf(policy: Policy, type: string): Condition | undefined {
  return policy.status?.conditions?.find((c) => c.type === type);
}

async function readyPolicy(ns: string, name: string): Promise<Policy> {
  return eventually(async () => {
    const policy = await admin.get<Policy>(policyPath(ns, name));
    expect(policy.status?.observedGeneration).toBe(policy.metadata!.generation);
    expect(conditionOf(policy, 'Ready')).toMatchObject({ status: 'True', observedGeneration: policy.metadata!.generation });
    return policy;
  });
}

beforeAll(async () => {
  await createNamespaces(NAMESPACES);
  await createKfApp('partner-cp', 'partner-api');
  await createKfApp('billing-cp', 'billing-backend');
  await createKfApp('global-auth', 'auth');
  operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'anp' });
});

afterAll(async () => {
  await operator?.stop();
});

describe('AppNetworkPolicy controller', () => {
  /** The Events saying partner-api's NetworkPolicy was brought back after somebody else changed it. */
  const corrections = async () =>
    (await admin.list<KubeObject & { reason?: string; message?: string }>('/api/v1/namespaces/partner-cp/events', { fieldSelector: 'involvedObject.name=partner-api' })).items.filter((e) => e.reason === 'Updated');

  it('programs the partner-api scenario and reports Ready, and kubectl wait sees it', async () => {
    await admin.create(policyPath('partner-cp'), partnerApi());
    const waited = await kubectl(['wait', '--for=condition=Ready', '--timeout=60s', '-n', 'partner-cp', 'appnetpol/partner-api']);
    expect(waited.stderr).toBe('');
    expect(waited.stdout).toContain('condition met');

    const policy = await readyPolicy('partner-cp', 'partner-api');
    expect(conditionOf(policy, 'Accepted')).toMatchObject({ status: 'True' });
    expect(conditionOf(policy, 'ResolvedRefs')).toMatchObject({ status: 'True' });
    expect(conditionOf(policy, 'Programmed')).toMatchObject({ status: 'True' });
    expect(conditionOf(policy, 'Enforced')).toMatchObject({ status: 'Unknown', reason: 'NoEnforcingDataplaneDetected' });

    const np = await admin.get<NetworkPolicy>(netpolPath('partner-cp', 'appnetpol-partner-api'));
    expect(np.metadata!.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'appnetpol', 'networking.kf.dev/policy': 'partner-api', 'kf.dev/networkpolicy': 'app' });
    expect(np.metadata!.ownerReferences).toEqual([
      { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', name: 'partner-api', uid: policy.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
    const app = (name: string, space: string) => ({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'kf.dev/networkpolicy': 'app' } },
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': space } },
    });
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'partner-api', 'kf.dev/networkpolicy': 'app' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [app('billing-backend', 'billing-cp')], ports: [{ protocol: 'TCP', port: 5080 }] }],
      egress: [{ to: [app('auth', 'global-auth')], ports: [{ protocol: 'TCP', port: 5555 }] }],
    });
  });

  it('follows spec updates', async () => {
    await admin.mergePatch(policyPath('partner-cp', 'partner-api'), { spec: { egress: [{ to: [{ app: 'auth', space: 'global-auth' }], ports: [{ port: 5555, endPort: 5560 }] }] } });
    await eventually(async () => {
      const np = await admin.get<NetworkPolicy>(netpolPath('partner-cp', 'appnetpol-partner-api'));
      expect((np.spec.egress as { ports: unknown[] }[])[0].ports).toEqual([{ protocol: 'TCP', port: 5555, endPort: 5560 }]);
    });
    await readyPolicy('partner-cp', 'partner-api');
    // Carrying out the user's own change is not news: only undoing somebody else's is reported.
    expect((await corrections()).length).toBe(0);
  });

  it('undoes a hand edit and recreates a deleted NetworkPolicy', async () => {
    const path = netpolPath('partner-cp', 'appnetpol-partner-api');
    const before = await admin.get<NetworkPolicy>(path);
    await admin.mergePatch(path, { spec: { ingress: [{}] } });
    await eventually(async () => expect((await admin.get<NetworkPolicy>(path)).spec.ingress).toEqual(before.spec.ingress));
    await eventually(async () => expect((await corrections()).map((e) => e.message)).toContain('NetworkPolicy partner-cp/appnetpol-partner-api was brought back to the desired state'));

    await admin.mergePatch(path, { spec: { podSelector: { matchLabels: { extra: 'widened' } } } });
    await eventually(async () => expect((await admin.get<NetworkPolicy>(path)).spec.podSelector).toEqual(before.spec.podSelector));

    await admin.delete(path);
    await eventually(async () => expect((await admin.get<NetworkPolicy>(path)).spec).toEqual(before.spec));
  });

  it('reports a missing app as ResolvedRefs False but still programs the policy', async () => {
    await admin.create(policyPath('lonely-cp'), {
      apiVersion: 'networking.kf.dev/v1alpha1',
      kind: 'AppNetworkPolicy',
      metadata: { name: 'ghost', namespace: 'lonely-cp' },
      spec: { app: 'ghost', egress: [{ to: [{ app: 'nobody-home', space: 'no-such-space' }] }] },
    });
    const policy = await readyPolicy('lonely-cp', 'ghost');
    const refs = conditionOf(policy, 'ResolvedRefs')!;
    expect(refs.status).toBe('False');
    expect(refs.reason).toBe('SpaceNotFound');
    expect(refs.message).toContain('ghost');
    expect(refs.message).toContain('no-such-space');
    await admin.get(netpolPath('lonely-cp', 'appnetpol-ghost'));
    // The Event follows the status write of the same reconcile: it may land just after Ready is seen.
    await eventually(async () => {
      const events = await admin.list<KubeObject & { reason: string; message: string; type: string }>('/api/v1/namespaces/lonely-cp/events', {
        fieldSelector: 'involvedObject.name=ghost',
      });
      expect(events.items).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'SpaceNotFound', message: refs.message }));
    });

    // The app arriving resolves the reference without any change to the policy.
    await createKfApp('lonely-cp', 'ghost');
    await eventually(async () => {
      const after = await admin.get<Policy>(policyPath('lonely-cp', 'ghost'));
      expect(conditionOf(after, 'ResolvedRefs')!.message).not.toContain('"ghost"');
    });
  });

  it('rejects an invalid spec at admission with a message naming the field', async () => {
    const error = await admin.create(policyPath('partner-cp'), { ...partnerApi({ ingress: [{ ports: [{ port: 9000, endPort: 8000 }] }] }), metadata: { name: 'backwards', namespace: 'partner-cp' } }).then(
      () => undefined,
      (e: unknown) => e as KubeApiError,
    );
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error!.status).toBe(422);
    expect(error!.message).toContain('spec.ingress[0].ports[0]');
    expect(error!.message).toContain('endPort');
  });

  it('never takes over a same-named NetworkPolicy it does not manage, and says so', async () => {
    const squatter = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'appnetpol-squatter', namespace: 'partner-cp' }, spec: { podSelector: {} } };
    const created = await admin.create<NetworkPolicy>(netpolPath('partner-cp'), squatter);
    await admin.create(policyPath('partner-cp'), { ...partnerApi(), metadata: { name: 'squatter', namespace: 'partner-cp' } });
    const policy = await eventually(async () => {
      const current = await admin.get<Policy>(policyPath('partner-cp', 'squatter'));
      expect(conditionOf(current, 'Programmed')).toMatchObject({ status: 'False', reason: 'Conflict' });
      expect(conditionOf(current, 'Ready')).toMatchObject({ status: 'False', reason: 'Conflict' });
      return current;
    });
    expect(conditionOf(policy, 'Programmed')!.message).toBe(
      'NetworkPolicy partner-cp/appnetpol-squatter already exists and is not managed by this AppNetworkPolicy; rename or remove it',
    );
    expect((await admin.get<NetworkPolicy>(netpolPath('partner-cp', 'appnetpol-squatter'))).metadata!.resourceVersion).toBe(created.metadata!.resourceVersion);
    await admin.delete(policyPath('partner-cp', 'squatter'));
    await admin.delete(netpolPath('partner-cp', 'appnetpol-squatter'));
  });

  it('removes the generated NetworkPolicy when the AppNetworkPolicy is deleted', async () => {
    await admin.create(policyPath('partner-cp'), { ...partnerApi(), metadata: { name: 'short-lived', namespace: 'partner-cp' } });
    await readyPolicy('partner-cp', 'short-lived');
    await admin.delete(policyPath('partner-cp', 'short-lived'));
    // The garbage collector notices a new CRD's objects on its 30-second discovery resync.
    await eventually(async () => {
      const gone = await admin.get(netpolPath('partner-cp', 'appnetpol-short-lived')).then(() => false, isNotFound);
      expect(gone).toBe(true);
    }, 90_000);
  });

  it('keeps the kube-apiserver entity on the live endpoints', async () => {
    // A cluster's API servers publish themselves as default/kubernetes EndpointSlices; the local
    // control plane cannot (it only has loopback), so the test publishes them as the API server would.
    const slicePath = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
    const slice = (name: string, addresses: string[]) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    });
    await admin.create(policyPath('partner-cp'), {
      apiVersion: 'networking.kf.dev/v1alpha1',
      kind: 'AppNetworkPolicy',
      metadata: { name: 'talks-to-apiserver', namespace: 'partner-cp' },
      spec: { app: 'partner-api', egress: [{ to: [{ entity: 'kube-apiserver' }] }] },
    });
    const unknown = await eventually(async () => {
      const policy = await admin.get<Policy>(policyPath('partner-cp', 'talks-to-apiserver'));
      expect(conditionOf(policy, 'Accepted')).toMatchObject({ status: 'False', reason: 'UnknownEntity' });
      return conditionOf(policy, 'Accepted')!;
    });
    expect(unknown.message).toContain('kube-apiserver');

    await admin.create(slicePath, slice('kubernetes', ['192.0.2.10']));
    const rule = async () => {
      const np = await admin.get<NetworkPolicy>(netpolPath('partner-cp', 'appnetpol-talks-to-apiserver'));
      return np.spec.egress as { to: { ipBlock: { cidr: string } }[]; ports: unknown[] }[];
    };
    await eventually(async () => expect(await rule()).toEqual([{ to: [{ ipBlock: { cidr: '192.0.2.10/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] }]));
    await readyPolicy('partner-cp', 'talks-to-apiserver');

    await admin.create(slicePath, slice('kubernetes-second', ['192.0.2.11']));
    await eventually(async () => expect((await rule())[0].to).toEqual([{ ipBlock: { cidr: '192.0.2.10/32' } }, { ipBlock: { cidr: '192.0.2.11/32' } }]));
    await admin.delete(`${slicePath}/kubernetes-second`);
    await eventually(async () => expect((await rule())[0].to).toEqual([{ ipBlock: { cidr: '192.0.2.10/32' } }]));
  });

  it('converges after a restart to the same state, with no duplicate or orphaned objects', async () => {
    await operator.stop();
    await admin.mergePatch(policyPath('partner-cp', 'partner-api'), { spec: { ingress: [{ from: [{ app: 'billing-backend', space: 'billing-cp' }], ports: [{ port: 6000 }] }] } });
    await admin.delete(netpolPath('lonely-cp', 'appnetpol-ghost'));
    operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'anp-restarted' });
    await readyPolicy('partner-cp', 'partner-api');
    await eventually(async () => {
      const np = await admin.get<NetworkPolicy>(netpolPath('partner-cp', 'appnetpol-partner-api'));
      expect((np.spec.ingress as { ports: unknown[] }[])[0].ports).toEqual([{ protocol: 'TCP', port: 6000 }]);
      await admin.get(netpolPath('lonely-cp', 'appnetpol-ghost'));
    });
    const managed = await admin.list<NetworkPolicy>(`${NETPOL}/networkpolicies`, { labelSelector: 'app.kubernetes.io/managed-by=appnetpol,networking.kf.dev/policy' });
    const policies = await admin.list<Policy>(`${POLICIES}/appnetworkpolicies`);
    expect(ours(managed.items).map((np) => `${np.metadata!.namespace}/${np.metadata!.name}`).sort()).toEqual(
      ours(policies.items).map((p) => `${p.metadata!.namespace}/appnetpol-${p.metadata!.name}`).sort(),
    );
  });

  it('costs no writes once converged: a fresh start and a full resync change nothing', async () => {
    const versions = async () => {
      const objects = ours([
        ...(await admin.list(`${NETPOL}/networkpolicies`, { labelSelector: 'app.kubernetes.io/managed-by=appnetpol' })).items,
        ...(await admin.list(`${POLICIES}/appnetworkpolicies`)).items,
      ]);
      return Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata!.namespace}/${o.metadata!.name}`, o.metadata!.resourceVersion]));
    };
    await readyPolicy('partner-cp', 'partner-api');
    await new Promise((r) => setTimeout(r, 2000));
    await operator.stop();
    const before = await versions();
    operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'anp-idle', args: ['--resync-seconds', '10'] });
    await new Promise((r) => setTimeout(r, 22_000));
    expect(await versions()).toEqual(before);
    const metrics = await (await fetch(`${operator.healthUrl}/metrics`)).text();
    expect(metrics).not.toMatch(/^appnetpol_api_writes_total\{/m);
    expect(metrics).toMatch(/^controller_runtime_reconcile_total\{controller="appnetworkpolicy",result="success"\} [1-9]/m);
    // The test API server ends watches after 10-20 s: they were picked up again without a write.
    expect(metrics).toMatch(/^appnetpol_watch_restarts_total\{resource="[a-z.]+",cause="ended"\} [1-9]/m);
  });
});
