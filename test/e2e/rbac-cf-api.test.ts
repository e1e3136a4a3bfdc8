/**
 * The CF API's RBAC in config/rbac is enough: `appnetpol cf-api` runs as its own ServiceAccount bound
 * to exactly its rules rendered from config/rbac, and authenticates, authorizes and stores policies.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createNamespace, testCluster } from '../support/cluster.js';
import { grantCfAdmin, startCfApi, type CfApiProcess } from '../support/cf-api.js';
import { createKfApp } from '../support/fixtures.js';
import type { Manifest } from '../support/kustomize.js';
import { createAll, deleteAll, renderRbacFor } from '../support/rbac.js';
import { serviceAccountKubeconfig } from '../support/service-account.js';

const { admin, plane } = testCluster();
const SERVICE_ACCOUNT = 'appnetpol-cf-api';
const V1 = '/networking/v1/external';
const ADMIN = plane.identities['cf-admin'].token;

const suffix = randomBytes(3).toString('hex');
let serviceNamespace: string;
let appNamespace: string;
let rbacObjects: Manifest[];
let api: CfApiProcess;
const guid: Record<string, string> = {};

beforeAll(async () => {
  serviceNamespace = await createNamespace('rbac-cf-api');
  appNamespace = await createNamespace('rbac-cf-apps');
  rbacObjects = renderRbacFor(SERVICE_ACCOUNT, serviceNamespace, suffix);
  await createAll(rbacObjects);
  for (const name of ['checkout', 'ledger']) {
    await createKfApp(appNamespace, name);
    guid[name] = (await admin.get(`/apis/kf.dev/v1alpha1/namespaces/${appNamespace}/apps/${name}`)).metadata!.uid!;
  }
  await grantCfAdmin(admin, 'cf-admin', `rbac-${suffix}`);
  const kubeconfig = await serviceAccountKubeconfig(serviceNamespace, SERVICE_ACCOUNT);
  api = await startCfApi({ kubeconfig, logDir: `${plane.dir}/logs`, name: 'rbac' });
});

afterAll(async () => {
  await api?.stop();
  await deleteAll(rbacObjects ?? []);
  for (const ns of [appNamespace, serviceNamespace]) if (ns) await admin.delete(`/api/v1/namespaces/${ns}`);
});

describe('cf-api with exactly the rules of config/rbac', () => {
  it('authenticates, authorizes, adds, lists and removes a policy', async () => {
    const policy = { source: { id: guid.checkout }, destination: { id: guid.ledger, protocol: 'tcp', ports: { start: 7000, end: 7000 } } };
    const added = await api.call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: [policy] } });
    expect([added.status, added.text]).toEqual([200, '{}']);
    await admin.get(`/apis/networking.kf.dev/v1alpha1/namespaces/${appNamespace}/appnetworkpolicies/cf-checkout`);
    const listed = await api.call('GET', `${V1}/policies?id=${guid.checkout}`, { token: ADMIN });
    expect(listed.json()).toEqual({ total_policies: 1, policies: [policy] });
    const removed = await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: [policy] } });
    expect([removed.status, removed.text]).toEqual([200, '{}']);
  });

  it('was never refused anything', () => {
    expect(readFileSync(api.logFile, 'utf8')).not.toMatch(/forbidden/i);
  });
});
