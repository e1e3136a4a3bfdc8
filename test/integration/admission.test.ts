/**
 * Admission and `appnetpol lint` come from one schema: for every rule, the API server's rejection
 * carries exactly the findings the offline validator reports.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { formatIssue, validateAppNetworkPolicy } from '../../src/api/validate.js';
import { KubeApiError } from '../../src/runtime/kube-client.js';
import { createNamespace, kubectl, testCluster } from '../support/cluster.js';

const { admin } = testCluster();
let ns: string;

beforeAll(async () => {
  ns = await createNamespace('admission');
});

const app = { app: 'web', egress: [{ to: [{ entity: 'dns' }] }] };

const cases: [string, Record<string, unknown>][] = [
  ['neither app nor selector', { egress: [{ to: [{ entity: 'dns' }] }] }],
  ['both app and selector', { ...app, selector: { matchLabels: { a: 'b' } } }],
  ['no direction', { app: 'web' }],
  ['an app name that is not a DNS label', { ...app, app: 'Web_App' }],
  ['a peer of two kinds', { app: 'web', ingress: [{ from: [{ app: 'a', entity: 'dns' }] }] }],
  ['a space without an app', { app: 'web', ingress: [{ from: [{ space: 'billing' }] }] }],
  ['an unknown entity', { app: 'web', egress: [{ to: [{ entity: 'internet' }] }] }],
  ['a bad CIDR', { app: 'web', egress: [{ to: [{ cidr: '10.0.0.0/33' }] }] }],
  ['an except outside the CIDR', { app: 'web', egress: [{ to: [{ cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] }] }] }],
  ['a port out of range', { app: 'web', ingress: [{ ports: [{ port: 70000 }] }] }],
  ['endPort below port', { app: 'web', ingress: [{ ports: [{ port: 9000, endPort: 8000 }] }] }],
  ['endPort with a named port', { app: 'web', ingress: [{ ports: [{ port: 'http', endPort: 8000 }] }] }],
  ['an unknown protocol', { app: 'web', ingress: [{ ports: [{ protocol: 'ICMP', port: 1 }] }] }],
  ['duplicate rule names', { app: 'web', egress: [{ name: 'dns', to: [{ entity: 'dns' }] }, { name: 'dns', to: [{ entity: 'world' }] }] }],
  ['a bad match expression', { app: 'web', ingress: [{ from: [{ selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } }] }] }],
];

describe('admission of AppNetworkPolicies', () => {
  it.each(cases)('rejects %s with the findings appnetpol lint reports', async (_, spec) => {
    const object = { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name: 'probe', namespace: ns }, spec };
    const offline = validateAppNetworkPolicy(object).map(formatIssue);
    expect(offline.length).toBeGreaterThan(0);
    const error = await admin.create(`/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies`, object).then(
      () => undefined,
      (e: unknown) => e as KubeApiError,
    );
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error!.status).toBe(422);
    expect(error!.message.startsWith('AppNetworkPolicy.networking.kf.dev "probe" is invalid: ')).toBe(true);
    for (const finding of offline) expect(error!.message).toContain(finding);
  });

  it('admits what lint accepts', async () => {
    const object = { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name: 'fine', namespace: ns }, spec: app };
    expect(validateAppNetworkPolicy(object)).toEqual([]);
    await admin.create(`/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies`, object);
  });

  it('explains its fields through kubectl explain', async () => {
    const explained = await kubectl(['explain', 'appnetworkpolicies.spec.egress.to']);
    expect(explained.stderr).toBe('');
    expect(explained.stdout).toContain('KIND:       AppNetworkPolicy');
    expect(explained.stdout).toMatch(/entity\s+<string>/);
    expect(explained.stdout).toMatch(/cidr\s+<string>/);
  });
});
