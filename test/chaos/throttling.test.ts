/**
 * The operator squeezed by API Priority and Fairness: its ServiceAccount (with exactly config/rbac's
 * rights) gets a priority level of one seat that refuses what does not fit. Every policy still converges,
 * then converges again after a change to every policy; the 429s show in rest_client_requests_total, the
 * process stays up and its log does not flood.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { AppNetworkPolicy, Condition } from '../../src/api/types.js';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { chaosScale, reportFigures } from '../support/chaos.js';
import { inPool } from '../bench/harness.js';
import { createNamespace, eventually, testCluster } from '../support/cluster.js';
import type { Manifest } from '../support/kustomize.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { createAll, deleteAll, renderRbacFor } from '../support/rbac.js';
import { serviceAccountKubeconfig } from '../support/service-account.js';

const { admin, plane } = testCluster();
const APF = '/apis/flowcontrol.apiserver.k8s.io/v1';
const SERVICE_ACCOUNT = 'appnetpol-controller';
const POLICIES = chaosScale(200, 10_000);
const NAMESPACES = chaosScale(4, 100);
const suffix = randomBytes(3).toString('hex');

type Policy = AppNetworkPolicy & KubeObject & { status?: { observedGeneration?: number; conditions?: Condition[] } };

let operatorNamespace: string;
let namespaces: string[];
let rbac: Manifest[];
let apf: Manifest[];
let operator: OperatorProcess;

const collection = (namespace: string) => `/apis/networking.kf.dev/v1alpha1/namespaces/${namespace}/appnetworkpolicies`;

/** Policies Ready for their current generation, across the test's namespaces. */
async function readyCount(): Promise<number> {
  let ready = 0;
  for (const namespace of namespaces) {
    for (const policy of (await admin.list<Policy>(collection(namespace))).items) {
      const condition = policy.status?.conditions?.find((c) => c.type === 'Ready');
      if (policy.status?.observedGeneration === policy.metadata.generation && condition?.status === 'True' && condition.observedGeneration === policy.metadata.generation) ready++;
    }
  }
  return ready;
}

async function converge(): Promise<number> {
  const started = Date.now();
  await eventually(async () => expect(await readyCount()).toBe(POLICIES), chaosScale(120_000, 1_800_000), 1000);
  return (Date.now() - started) / 1000;
}

const metric = (text: string, name: string, labels: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && labels.split(',').every((label) => line.includes(label)))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);

beforeAll(async () => {
  operatorNamespace = await createNamespace('apf-operator');
  namespaces = await Promise.all(Array.from({ length: NAMESPACES }, () => createNamespace('apf-apps')));
  // config/rbac as shipped, its FlowSchema for the controller's Lease requests included.
  rbac = renderRbacFor(SERVICE_ACCOUNT, operatorNamespace, suffix);
  await createAll(rbac);
  apf = [
    {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'PriorityLevelConfiguration',
      metadata: { name: `appnetpol-squeezed-${suffix}` },
      spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, lendablePercent: 0, borrowingLimitPercent: 0, limitResponse: { type: 'Reject' } } },
    },
    {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'FlowSchema',
      metadata: { name: `appnetpol-squeezed-${suffix}` },
      spec: {
        priorityLevelConfiguration: { name: `appnetpol-squeezed-${suffix}` },
        // Every request of the operator but those config/rbac's FlowSchema (precedence 150) sends to leader-election.
        matchingPrecedence: 500,
        rules: [
          {
            subjects: [{ kind: 'ServiceAccount', serviceAccount: { namespace: operatorNamespace, name: SERVICE_ACCOUNT } }],
            resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }],
          },
        ],
      },
    },
  ] as Manifest[];
  await admin.create(`${APF}/prioritylevelconfigurations`, apf[0]);
  await admin.create(`${APF}/flowschemas`, apf[1]);
  const policies = Array.from({ length: POLICIES }, (_, i) => ({ namespace: namespaces[i % NAMESPACES], name: `app-${i}` }));
  await inPool(policies, 16, ({ namespace, name }) =>
    admin.create(collection(namespace), { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name, namespace }, spec: { app: name, egress: [{ to: [{ entity: 'dns' }] }] } }),
  );
}, chaosScale(120_000, 900_000));

afterAll(async () => {
  await operator?.stop();
  for (const path of [`${APF}/flowschemas/${apf?.[1]?.metadata.name}`, `${APF}/prioritylevelconfigurations/${apf?.[0]?.metadata.name}`]) await admin.delete(path).catch(() => undefined);
  await deleteAll(rbac ?? []);
  for (const namespace of [...(namespaces ?? []), operatorNamespace]) if (namespace) await admin.delete(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
});

it('converges, and converges again after a change to every policy, while throttled', async () => {
  const kubeconfig = await serviceAccountKubeconfig(operatorNamespace, SERVICE_ACCOUNT);
  const started = Date.now();
  operator = await startOperator({ kubeconfig, logDir: `${plane.dir}/logs`, name: 'apf', args: ['--leader-election-namespace', operatorNamespace, '--concurrency', '8'] });
  const firstSeconds = await converge();

  // A change to every policy: a new generation each, all of which must be handled (no lost update).
  await inPool(
    namespaces.flatMap((namespace) => Array.from({ length: POLICIES / NAMESPACES }, (_, i) => `${collection(namespace)}/app-${i * NAMESPACES + namespaces.indexOf(namespace)}`)),
    16,
    (path) => admin.mergePatch(path, { spec: { egress: [{ to: [{ entity: 'dns' }] }, { to: [{ cidr: '203.0.113.0/24' }] }] } }),
  );
  const secondSeconds = await converge();

  const metrics = await operator.metrics();
  const throttled = metric(metrics, 'rest_client_requests_total', 'code="429"');
  const minutes = (Date.now() - started) / 60_000;
  // The operator watches every namespace; what it says about other test files' objects is no figure of this run.
  const lines = operator.logs().filter((line) => line.namespace === undefined || line.namespace === operatorNamespace || namespaces.includes(line.namespace as string));
  // Warnings and worse: what throttling itself makes the operator say (info lines report each object written).
  const warnings = lines.filter((line) => ['warn', 'error', 'fatal'].includes(line.level as string)).length;
  reportFigures('throttling', {
    policies: POLICIES,
    firstConvergenceSeconds: firstSeconds,
    secondConvergenceSeconds: secondSeconds,
    answered429: throttled,
    retriedThrottled: metric(metrics, 'appnetpol_api_retries_total', 'cause="throttled"'),
    logLinesPerMinute: Math.round(lines.length / minutes),
    warningsPerMinute: Math.round(warnings / minutes),
  });
  expect(throttled).toBeGreaterThan(0);
  // Never restarted: its Lease renewals were not squeezed with the rest of its work.
  expect(operator.process.exitCode).toBeNull();
  expect(lines.filter((line) => line.msg === 'lost leadership')).toEqual([]);
  // Retried 429s are not logged; a watch refused by the API server is, with backoff, so warnings stay few.
  // Per minute of the run, and at most 60 in a run shorter than a minute.
  expect(warnings / Math.max(minutes, 1)).toBeLessThan(60);
}, chaosScale(300_000, 3_600_000));
