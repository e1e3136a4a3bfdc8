/**
 * The Reachable condition end to end: the operator as its own process against the real control plane,
 * a cross-Space flow declared on one side only, then on both; and `appnetpol explain` live.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import type { Condition } from '../../src/api/types.js';
import { isNotFound, type KubeObject } from '../../src/runtime/kube-client.js';
import { eventually, kubectl, testCluster } from '../support/cluster.js';
import { createKfApp, createNamespaces } from '../support/fixtures.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';

const { admin, plane } = testCluster();
const SPACES = '/apis/kf.dev/v1alpha1/spaces';
const NETPOL = '/apis/networking.k8s.io/v1';
const GC_TIMEOUT_MS = 75_000;
const [PARTNER, BILLING, AUTH] = ['reach-partner', 'reach-billing', 'reach-auth'];

type Policy = KubeObject & { status?: { conditions?: Condition[] } };

const policyPath = (ns: string, name = '') => `/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies${name ? `/${name}` : ''}`;

let operator: OperatorProcess;

function appnetpol(args: string[]) {
  const result = spawnSync(process.execPath, ['dist/src/cli/appnetpol.js', ...args], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: plane.kubeconfig } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function reachable(ns: string, name: string): Promise<Condition | undefined> {
  const policy = await admin.get<Policy>(policyPath(ns, name));
  return policy.status?.conditions?.find((c) => c.type === 'Reachable');
}

beforeAll(async () => {
  await createNamespaces([PARTNER, BILLING, AUTH]);
  // partner-api's and auth's Spaces deny app traffic; billing's Space is left at Kf's default, PermitAll.
  await admin.create(SPACES, { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name: PARTNER }, spec: { networkConfig: { appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } } } });
  await admin.create(SPACES, { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name: AUTH }, spec: { networkConfig: { appNetworkPolicy: { ingress: 'DenyAll', egress: 'PermitAll' } } } });
  await createKfApp(PARTNER, 'partner-api');
  await createKfApp(BILLING, 'billing-backend');
  await createKfApp(AUTH, 'auth');
  operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'reachable' });
});

afterAll(async () => {
  try {
    // Leave nothing managed behind for the other end-to-end files, which count managed objects.
    const gone = (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e));
    await admin.delete(policyPath(PARTNER, 'partner-api')).catch(gone);
    await admin.delete(policyPath(AUTH, 'auth')).catch(gone);
    for (const space of [PARTNER, AUTH]) await admin.delete(`${SPACES}/${space}`).catch(gone);
    await eventually(async () => {
      const left = await admin.list<KubeObject>(`${NETPOL}/networkpolicies`, { labelSelector: 'app.kubernetes.io/managed-by=appnetpol' });
      expect(left.items.filter((np) => [PARTNER, BILLING, AUTH].includes(np.metadata!.namespace!)).map((np) => np.metadata!.name)).toEqual([]);
    }, GC_TIMEOUT_MS);
  } finally {
    await operator?.stop();
  }
});

describe('Reachable', () => {
  it('is False naming the peer Space that blocks a one-sided flow, without changing Ready', async () => {
    await admin.create(policyPath(PARTNER), {
      apiVersion: 'networking.kf.dev/v1alpha1',
      kind: 'AppNetworkPolicy',
      metadata: { name: 'partner-api', namespace: PARTNER },
      spec: {
        app: 'partner-api',
        ingress: [{ name: 'from-billing', from: [{ app: 'billing-backend', space: BILLING }], ports: [{ protocol: 'TCP', port: 5080 }] }],
        egress: [{ name: 'to-auth', to: [{ app: 'auth', space: AUTH }], ports: [{ protocol: 'TCP', port: 5555 }] }],
      },
    });
    await eventually(async () =>
      expect(await reachable(PARTNER, 'partner-api')).toMatchObject({
        status: 'False',
        reason: 'BlockedByPeer',
        message:
          `egress rule "to-auth" to ${AUTH}/auth: TCP 5555 is blocked on the side of ${AUTH}/auth (ingress): ` +
          `${AUTH} is DenyAll for ingress (Space ${AUTH} spec.networkConfig.appNetworkPolicy.ingress) and nothing there admits ${PARTNER}/partner-api on TCP 5555: ` +
          `create an AppNetworkPolicy in ${AUTH} for app auth with the ingress rule {from: [{app: partner-api, space: ${PARTNER}}], ports: [{protocol: TCP, port: 5555}]}`,
      }),
    );
    const policy = await admin.get<Policy>(policyPath(PARTNER, 'partner-api'));
    expect(policy.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });

    const events = await eventually(async () => {
      const list = await admin.list<KubeObject & { reason?: string; message?: string }>(`/api/v1/namespaces/${PARTNER}/events`, { fieldSelector: 'involvedObject.name=partner-api' });
      const blocked = list.items.filter((e) => e.reason === 'BlockedByPeer');
      expect(blocked.length).toBeGreaterThan(0);
      return blocked;
    });
    expect(events[0].message).toContain(`${AUTH} is DenyAll for ingress`);

    const printed = await kubectl(['get', 'appnetpol', '-n', PARTNER, 'partner-api']);
    expect(printed.stdout.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'APP', 'READY', 'REACHABLE', 'ENFORCED', 'AGE']);
    expect(printed.stdout.split('\n')[1].split(/\s+/).slice(0, 5)).toEqual(['partner-api', 'partner-api', 'True', 'False', 'Unknown']);
  });

  it('explains the blocked flow live, against the cluster', () => {
    const result = appnetpol(['explain', '--from', `${PARTNER}/partner-api`, '--to', `${AUTH}/auth`, '--port', '5555']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^DENIED: ${PARTNER}/partner-api -> ${AUTH}/auth on TCP 5555\\n`));
    expect(result.stdout).toContain(`blocked: ${AUTH} is DenyAll for ingress`);
    const billing = appnetpol(['explain', '--from', `${BILLING}/billing-backend`, '--to', `${PARTNER}/partner-api`, '--port', '5080', '-o', 'json']);
    expect(billing.code).toBe(0);
    expect(JSON.parse(billing.stdout)).toMatchObject({ allowed: true, egress: { selectedBy: [] } });
  });

  it('turns True when the peer declares the other half', async () => {
    await admin.create(policyPath(AUTH), {
      apiVersion: 'networking.kf.dev/v1alpha1',
      kind: 'AppNetworkPolicy',
      metadata: { name: 'auth', namespace: AUTH },
      spec: { app: 'auth', ingress: [{ from: [{ app: 'partner-api', space: PARTNER }], ports: [{ protocol: 'TCP', port: 5555 }] }] },
    });
    await eventually(async () => expect(await reachable(PARTNER, 'partner-api')).toMatchObject({ status: 'True', reason: 'Reachable' }));
    await eventually(async () => expect(await reachable(AUTH, 'auth')).toMatchObject({ status: 'True' }));
    expect(appnetpol(['explain', '--from', `${PARTNER}/partner-api`, '--to', `${AUTH}/auth`, '--port', '5555']).code).toBe(0);
  });

  it('turns False again when the peer withdraws its half', async () => {
    await admin.delete(policyPath(AUTH, 'auth'));
    await eventually(async () => expect(await reachable(PARTNER, 'partner-api')).toMatchObject({ status: 'False', reason: 'BlockedByPeer' }), 60_000);
  });
});
