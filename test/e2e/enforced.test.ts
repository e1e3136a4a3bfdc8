/**
 * Enforced from the dataplanes a cluster runs: every known dataplane, created as its DaemonSet in its
 * namespace, turns Enforced True with a message naming it and where it was found; removing it turns
 * Enforced back. Evidence counts (the AWS agent's flag), configured dataplanes are recognised and the
 * configuration's override wins. The operator runs with exactly the rules of config/rbac.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Condition } from '../../src/api/types.js';
import { KNOWN_DATAPLANES, type DataplaneSignature } from '../../src/config/dataplanes.js';
import { isNotFound, type KubeObject } from '../../src/runtime/kube-client.js';
import { createNamespace, eventually, testCluster } from '../support/cluster.js';
import { createNamespaces } from '../support/fixtures.js';
import type { Manifest } from '../support/kustomize.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { configRbacIdentity, deleteAll, type ConfigRbacIdentity } from '../support/rbac.js';

const { admin, plane } = testCluster();
const SERVICE_ACCOUNT = 'appnetpol-controller';
const NOT_DETECTED = 'NoEnforcingDataplaneDetected';

type Policy = KubeObject & { status?: { conditions?: Condition[] } };

const suffix = randomBytes(3).toString('hex');
let identity: ConfigRbacIdentity;
let ns: string;
let operator: OperatorProcess | undefined;
/** Dataplane namespaces this file created (kube-system exists already). */
const createdNamespaces: string[] = [];

const daemonSetsPath = (namespace: string) => `/apis/apps/v1/namespaces/${namespace}/daemonsets`;
const policyPath = () => `/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies/web`;

/** A DaemonSet as the dataplane installs it, as far as detection reads it (no nodes here: no pods run). */
function daemonSetOf(signature: DataplaneSignature, containers = containersOf(signature)): Manifest {
  const labels = { 'app.kubernetes.io/name': signature.daemonSet };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: signature.daemonSet, namespace: signature.namespace },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers } } },
  };
}

function containersOf(signature: DataplaneSignature): { name: string; image: string; args?: string[] }[] {
  const evidence = signature.evidence;
  if (!evidence) return [{ name: 'agent', image: 'registry.example/agent:1.0' }];
  const image = `registry.example/${evidence.container}:${evidence.minImageTag ? `${evidence.minImageTag}-0a1b2c3d` : '1.0'}`;
  return [{ name: 'main', image: 'registry.example/main:1.0' }, { name: evidence.container, image, ...(evidence.arg ? { args: [evidence.arg] } : {}) }];
}

async function createDaemonSet(manifest: Manifest): Promise<void> {
  await admin.create(daemonSetsPath(manifest.metadata.namespace!), manifest);
}

async function deleteDaemonSet(signature: DataplaneSignature): Promise<void> {
  await admin.delete(`${daemonSetsPath(signature.namespace)}/${signature.daemonSet}`).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
}

/** Waits for Enforced to have `status` and `reason` (and a message containing `saying`). */
async function enforced(status: string, reason: string, saying = ''): Promise<Condition> {
  return eventually(async () => {
    const condition = (await admin.get<Policy>(policyPath())).status?.conditions?.find((c) => c.type === 'Enforced');
    expect([condition?.status, condition?.reason]).toEqual([status, reason]);
    expect(condition?.message).toContain(saying);
    return condition!;
  }, 30_000, 100);
}

async function startWith(config?: Record<string, unknown>): Promise<void> {
  await operator?.stop();
  const args = ['--leader-election-namespace', identity.namespace];
  if (config) {
    const file = join(plane.dir, `dataplane-config-${suffix}-${randomBytes(2).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify(config));
    args.push('--config', file);
  }
  operator = await startOperator({ kubeconfig: identity.kubeconfig, logDir: `${plane.dir}/logs`, name: 'dataplane', args });
}

beforeAll(async () => {
  identity = await configRbacIdentity(SERVICE_ACCOUNT, 'dataplane-operator', suffix);
  ns = await createNamespace('dataplane-apps');
  for (const namespace of new Set(KNOWN_DATAPLANES.map((s) => s.namespace))) {
    const exists = await admin.get(`/api/v1/namespaces/${namespace}`).then(() => true, (e: unknown) => (isNotFound(e) ? false : Promise.reject(e)));
    if (!exists) createdNamespaces.push(namespace);
  }
  await createNamespaces(createdNamespaces);
  await admin.create(`/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies`, {
    apiVersion: 'networking.kf.dev/v1alpha1',
    kind: 'AppNetworkPolicy',
    metadata: { name: 'web', namespace: ns },
    spec: { app: 'web', ingress: [] },
  });
  await startWith();
});

afterAll(async () => {
  await operator?.stop();
  for (const signature of KNOWN_DATAPLANES) await deleteDaemonSet(signature);
  await deleteAll(identity?.objects ?? []);
  for (const namespace of [ns, identity?.namespace, ...createdNamespaces]) if (namespace) await admin.delete(`/api/v1/namespaces/${namespace}`);
});

describe('Enforced', () => {
  it('is Unknown without a known dataplane, and says where it looked', async () => {
    const condition = await enforced('Unknown', NOT_DETECTED);
    expect(condition.message).toContain('no DaemonSet of a NetworkPolicy-enforcing dataplane was found in calico-system, kube-system, openshift-ovn-kubernetes');
  });

  it.each(KNOWN_DATAPLANES.map((s) => [`${s.name} (${s.namespace}/${s.daemonSet})`, s] as const))('turns True for %s and back when it goes', async (_name, signature) => {
    await createDaemonSet(daemonSetOf(signature));
    const condition = await enforced('True', 'Enforced');
    expect(condition.message).toContain(`NetworkPolicy is enforced by ${signature.name} (DaemonSet ${signature.namespace}/${signature.daemonSet}`);
    await deleteDaemonSet(signature);
    await enforced('Unknown', NOT_DETECTED);
  });

  it('does not count the AWS VPC CNI with its network policy agent off, and says so', async () => {
    const aws = KNOWN_DATAPLANES.find((s) => s.daemonSet === 'aws-node')!;
    await createDaemonSet(daemonSetOf(aws, [{ name: 'aws-eks-nodeagent', image: 'registry.example/aws-network-policy-agent:1.0', args: ['--enable-network-policy=false'] }]));
    await enforced(
      'Unknown',
      NOT_DETECTED,
      'found AWS VPC CNI network policy agent (DaemonSet kube-system/aws-node: container aws-eks-nodeagent does not run with --enable-network-policy=true, so enforcement is off)',
    );
    await deleteDaemonSet(aws);
  });

  it('recognises a dataplane added in the configuration', async () => {
    const acme: DataplaneSignature = { name: 'Acme CNI', namespace: ns, daemonSet: 'acme-agent' };
    await startWith({ dataplane: { additional: [acme] } });
    await createDaemonSet(daemonSetOf(acme));
    const condition = await enforced('True', 'Enforced');
    expect(condition.message).toContain(`NetworkPolicy-enforcing dataplane detected: NetworkPolicy is enforced by Acme CNI (DaemonSet ${ns}/acme-agent)`);
    await deleteDaemonSet(acme);
    await enforced('Unknown', NOT_DETECTED);
  });

  it('follows the configuration override over what is detected', async () => {
    const calico = KNOWN_DATAPLANES.find((s) => s.namespace === 'kube-system' && s.daemonSet === 'calico-node')!;
    await createDaemonSet(daemonSetOf(calico));
    await startWith({ dataplane: { enforcement: 'not-enforced' } });
    const off = await enforced('False', 'NotEnforced');
    expect(off.message).toContain(
      'the operator configuration states that NetworkPolicy is not enforced (dataplane.enforcement: not-enforced); NetworkPolicies are written but nothing enforces them',
    );
    await deleteDaemonSet(calico);
    await startWith({ dataplane: { enforcement: 'enforced' } });
    const on = await enforced('True', 'Enforced');
    expect(on.message).toContain('NetworkPolicy-enforcing dataplane detected: the operator configuration states that NetworkPolicy is enforced (dataplane.enforcement: enforced)');
  });
});
