/**
 * Istio output end to end: the operator runs as its own process; Istio's CRDs (test stand-ins from
 * test/fixtures/istio-crds.yaml) are absent at first, installed while it runs, and removed again, and
 * everything is read back from the API server. The CRDs are removed in afterAll whatever happens, so later
 * test files see a cluster without them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isNotFound, type KubeObject } from '../../src/runtime/kube-client.js';
import { eventually, testCluster } from '../support/cluster.js';
import { createKfApp, createNamespaces } from '../support/fixtures.js';
import { ISTIO_CRD_NAMES as CRD_NAMES, installIstioCrds, removeIstioCrds } from '../support/istio.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import type { Condition } from '../../src/api/types.js';

const { admin, plane } = testCluster();
/** The operator looks for absent CRDs every 15 s; allow for that plus a reconcile. */
const DETECTION_MS = 60_000;

const WEB = 'mesh-web';
const BILLING = 'mesh-billing';
const SPACE = 'mesh-space';

type Policy = KubeObject & { status?: { observedGeneration?: number; conditions?: Condition[] } };
type MeshObject = KubeObject & { spec: Record<string, unknown> };

const policyPath = (ns: string, name = '') => `/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies${name ? `/${name}` : ''}`;
const sidecarPath = (ns: string, name = '') => `/apis/networking.istio.io/v1/namespaces/${ns}/sidecars${name ? `/${name}` : ''}`;
const authorizationPolicyPath = (ns: string, name: string) => `/apis/security.istio.io/v1/namespaces/${ns}/authorizationpolicies/${name}`;
const peerAuthenticationPath = (ns: string) => `/apis/security.istio.io/v1/namespaces/${ns}/peerauthentications/default`;

let operator: OperatorProcess;

async function createPolicy(namespace: string, name: string, spec: Record<string, unknown>): Promise<Policy> {
  return admin.create<Policy>(policyPath(namespace), { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name, namespace }, spec });
}

async function conditionsOf(namespace: string, name: string): Promise<Record<string, Condition>> {
  const policy = await admin.get<Policy>(policyPath(namespace, name));
  expect(policy.status?.observedGeneration).toBe(policy.metadata!.generation);
  return Object.fromEntries((policy.status?.conditions ?? []).map((c) => [c.type, c]));
}

async function gone(path: string): Promise<boolean> {
  return admin.get(path).then(() => false, isNotFound);
}

/** A pod of `app` that stays Pending (there are no nodes); with `sidecar`, as Istio's injector leaves it. */
async function createPod(namespace: string, name: string, app: string, options: { sidecar: boolean; serviceAccount?: string }): Promise<void> {
  const containers = [{ name: 'app', image: 'registry.example/app:1' }, ...(options.sidecar ? [{ name: 'istio-proxy', image: 'registry.example/proxyv2:1' }] : [])];
  // The namespace's default service account appears shortly after the namespace; until then pods are refused.
  await eventually(() =>
    admin.create(`/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: { 'app.kubernetes.io/name': app } },
      spec: { containers, ...(options.serviceAccount ? { serviceAccountName: options.serviceAccount } : {}) },
    }),
  );
}

function meshErrors(): Record<string, unknown>[] {
  return operator.logs().filter((line) => ['error', 'fatal'].includes(line.level as string));
}

beforeAll(async () => {
  await removeIstioCrds();
  await createNamespaces([WEB, BILLING]);
  await createKfApp(WEB, 'web');
  await createKfApp(BILLING, 'billing');
  await createKfApp(BILLING, 'ghost');
  await admin.mergePatch(`/apis/kf.dev/v1alpha1/namespaces/${BILLING}/apps/billing/status`, { status: { serviceAccountName: 'sa-billing' } });
  operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'mesh' });
});

afterAll(async () => {
  await operator?.stop();
  await removeIstioCrds();
});

describe('mesh output without Istio', () => {
  it('writes nothing Istio-shaped, raises no error and says why in Enforced', async () => {
    await createPolicy(WEB, 'web-ingress', {
      app: 'web',
      ingress: [{ from: [{ app: 'billing', space: BILLING }, { app: 'ghost', space: BILLING }], ports: [{ port: 8080 }, { port: 9000, endPort: 9001 }] }],
    });
    const conditions = await eventually(async () => {
      const current = await conditionsOf(WEB, 'web-ingress');
      expect(current.Ready).toMatchObject({ status: 'True' });
      return current;
    });
    expect(conditions.Enforced.message).toContain(`Mesh output is off: the Istio CRDs ${CRD_NAMES.join(', ')} are not installed`);
    expect(conditions.Programmed.message).toBe('NetworkPolicy appnetpol-web-ingress is current');
    expect(conditions.ResolvedRefs).toMatchObject({ status: 'True' });
    expect(meshErrors()).toEqual([]);
  });
});

describe('mesh output with Istio', () => {
  beforeAll(installIstioCrds);

  it('notices the CRDs appear and covers the mesh objects in Programmed', async () => {
    await eventually(async () => {
      const conditions = await conditionsOf(WEB, 'web-ingress');
      expect(conditions.Programmed).toMatchObject({ status: 'True' });
      expect(conditions.Programmed.message).toContain('AuthorizationPolicy appnetpol-web, PeerAuthentication default current');
      expect(conditions.Ready).toMatchObject({ status: 'True' });
    }, DETECTION_MS);
  });

  it('writes an ALLOW AuthorizationPolicy with principals and ports, and reports a source without a service account', async () => {
    const policy = await admin.get<Policy>(policyPath(WEB, 'web-ingress'));
    const authorizationPolicy = await admin.get<MeshObject>(authorizationPolicyPath(WEB, 'appnetpol-web'));
    expect(authorizationPolicy.metadata!.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'appnetpol', 'networking.kf.dev/space': WEB });
    expect(authorizationPolicy.metadata!.ownerReferences).toEqual([
      { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', name: 'web-ingress', uid: policy.metadata!.uid, controller: false, blockOwnerDeletion: true },
    ]);
    expect(authorizationPolicy.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'web' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: [`cluster.local/ns/${BILLING}/sa/sa-billing`] } }], to: [{ operation: { ports: ['8080', '9000', '9001'] } }] }],
    });
    const refs = (await conditionsOf(WEB, 'web-ingress')).ResolvedRefs;
    expect(refs).toMatchObject({ status: 'False', reason: 'ServiceAccountNotFound' });
    expect(refs.message).toContain(`the service account of ${BILLING}/ghost is not known`);

    // The source's pods reveal its service account: the principal is added and the report clears.
    await admin.create(`/api/v1/namespaces/${BILLING}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa-ghost', namespace: BILLING } });
    await createPod(BILLING, 'ghost-0', 'ghost', { sidecar: true, serviceAccount: 'sa-ghost' });
    await eventually(async () => {
      const updated = await admin.get<MeshObject>(authorizationPolicyPath(WEB, 'appnetpol-web'));
      expect((updated.spec.rules as { from: { source: { principals: string[] } }[] }[])[0].from[0].source.principals).toEqual([
        `cluster.local/ns/${BILLING}/sa/sa-billing`,
        `cluster.local/ns/${BILLING}/sa/sa-ghost`,
      ]);
      expect((await conditionsOf(WEB, 'web-ingress')).ResolvedRefs).toMatchObject({ status: 'True' });
    });
  });

  it('writes a STRICT PeerAuthentication per Space: unowned and labelled without a Kf Space, owned by the Space with one', async () => {
    const unowned = await admin.get<MeshObject>(peerAuthenticationPath(WEB));
    expect(unowned.spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(unowned.metadata!.ownerReferences).toBeUndefined();
    expect(unowned.metadata!.labels).toEqual({ 'app.kubernetes.io/managed-by': 'appnetpol', 'networking.kf.dev/space': WEB });

    await createNamespaces([SPACE]);
    const space = await admin.create<KubeObject>('/apis/kf.dev/v1alpha1/spaces', { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name: SPACE } });
    const owned = await eventually(() => admin.get<MeshObject>(peerAuthenticationPath(SPACE)));
    expect(owned.spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(owned.metadata!.ownerReferences).toEqual([{ apiVersion: 'kf.dev/v1alpha1', kind: 'Space', name: SPACE, uid: space.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
  });

  it('merges the egress of every AppNetworkPolicy of an app into one Sidecar, and removes it with the last', async () => {
    const toCart = await createPolicy(WEB, 'web-to-cart', { app: 'web', egress: [{ to: [{ app: 'cart' }] }] });
    const toAuth = await createPolicy(WEB, 'web-to-auth', { app: 'web', egress: [{ to: [{ app: 'auth', space: BILLING }], ports: [{ port: 5555 }] }] });
    const owner = (policy: Policy) => ({ apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', name: policy.metadata!.name, uid: policy.metadata!.uid, controller: false, blockOwnerDeletion: true });
    const sidecar = () => admin.get<MeshObject>(sidecarPath(WEB, 'appnetpol-web'));
    await eventually(async () => {
      const merged = await sidecar();
      expect(merged.spec).toEqual({
        workloadSelector: { labels: { 'app.kubernetes.io/name': 'web' } },
        egress: [{ hosts: ['istio-system/*', `${BILLING}/auth.${BILLING}.svc.cluster.local`, `${WEB}/cart.${WEB}.svc.cluster.local`] }],
      });
      expect(merged.metadata!.ownerReferences).toEqual([owner(toAuth), owner(toCart)]);
    });
    for (const name of ['web-to-cart', 'web-to-auth']) {
      await eventually(async () => expect((await conditionsOf(WEB, name)).Programmed.message).toContain('Sidecar appnetpol-web'));
    }

    await admin.delete(policyPath(WEB, 'web-to-auth'));
    await eventually(async () => {
      const remaining = await sidecar();
      expect(remaining.spec.egress).toEqual([{ hosts: ['istio-system/*', `${WEB}/cart.${WEB}.svc.cluster.local`] }]);
      expect(remaining.metadata!.ownerReferences).toEqual([owner(toCart)]);
    });

    await admin.delete(policyPath(WEB, 'web-to-cart'));
    await eventually(async () => expect(await gone(sidecarPath(WEB, 'appnetpol-web'))).toBe(true));
  });

  it('says in Enforced whether the app’s pods have an Istio sidecar', async () => {
    await eventually(async () => expect((await conditionsOf(WEB, 'web-ingress')).Enforced).toMatchObject({ status: 'Unknown', reason: 'NoPodsObserved' }));

    await createPod(WEB, 'web-plain', 'web', { sidecar: false });
    await createPod(WEB, 'web-meshed', 'web', { sidecar: true });
    await eventually(async () => {
      const enforced = (await conditionsOf(WEB, 'web-ingress')).Enforced;
      expect(enforced).toMatchObject({ status: 'False', reason: 'SidecarsNotInjected' });
      expect(enforced.message).toContain('1 of 2 pods of the app have no Istio sidecar (web-plain)');
    });

    await admin.delete(`/api/v1/namespaces/${WEB}/pods/web-plain`, { gracePeriodSeconds: 0 });
    await eventually(async () => expect((await conditionsOf(WEB, 'web-ingress')).Enforced).toMatchObject({ status: 'True', reason: 'Enforced' }));
  });

  it('never takes over a same-named Sidecar it does not manage, and says so in Programmed', async () => {
    await admin.create(sidecarPath(WEB), { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'appnetpol-squat', namespace: WEB }, spec: { egress: [{ hosts: ['*/*'] }] } });
    await createPolicy(WEB, 'squat', { app: 'squat', egress: [{ to: [{ app: 'cart' }] }] });
    await eventually(async () => {
      const conditions = await conditionsOf(WEB, 'squat');
      expect(conditions.Programmed).toMatchObject({
        status: 'False',
        reason: 'Conflict',
        message: `Sidecar ${WEB}/appnetpol-squat already exists and is not managed by appnetpol; rename or remove it`,
      });
      expect(conditions.Ready).toMatchObject({ status: 'False', reason: 'Conflict' });
    });
    expect((await admin.get<MeshObject>(sidecarPath(WEB, 'appnetpol-squat'))).spec).toEqual({ egress: [{ hosts: ['*/*'] }] });
    await admin.delete(policyPath(WEB, 'squat'));
  });

  it('costs no writes after a restart once converged', async () => {
    const versions = async () => {
      const paths = [policyPath(WEB), sidecarPath(WEB), '/apis/security.istio.io/v1/authorizationpolicies', '/apis/security.istio.io/v1/peerauthentications'];
      const objects = (await Promise.all(paths.map((path) => admin.list(path)))).flatMap((list) => list.items);
      return Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata!.namespace}/${o.metadata!.name}`, o.metadata!.resourceVersion]));
    };
    await eventually(async () => expect((await conditionsOf(WEB, 'web-ingress')).Ready).toMatchObject({ status: 'True' }));
    await new Promise((r) => setTimeout(r, 2000));
    await operator.stop();
    const before = await versions();
    operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'mesh-restarted' });
    await new Promise((r) => setTimeout(r, 8000));
    expect(await versions()).toEqual(before);
    expect(await operator.metrics()).not.toMatch(/^appnetpol_api_writes_total\{/m);
  });

  it('turns mesh output off again when the CRDs go, without errors', async () => {
    await removeIstioCrds();
    await eventually(async () => {
      const conditions = await conditionsOf(WEB, 'web-ingress');
      expect(conditions.Enforced.message).toContain('Mesh output is off: the Istio CRDs');
      expect(conditions.Programmed).toMatchObject({ status: 'True', message: 'NetworkPolicy appnetpol-web-ingress is current' });
    }, DETECTION_MS);
    expect(meshErrors()).toEqual([]);
  });
});
