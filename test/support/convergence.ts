/**
 * Many AppNetworkPolicies in flight, and the invariants every fault run checks once the dust settles:
 * every policy Ready for its current generation, exactly one generated NetworkPolicy per policy, owned by
 * it and carrying its current spec (so nothing a stale writer wrote survives), and no generated
 * NetworkPolicy without its policy.
 */
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import { LABEL_MANAGED_BY, LABEL_POLICY, MANAGED_BY, type AppNetworkPolicy } from '../../src/api/types.js';
import { networkPolicyName } from '../../src/planner/names.js';
import type { KubeClient, KubeObject } from '../../src/runtime/kube-client.js';
import { inPool } from '../bench/harness.js';
import type { OperatorProcess } from './operator.js';

type Policy = AppNetworkPolicy & KubeObject;
type NetworkPolicy = V1NetworkPolicy & KubeObject;

const policies = (namespace: string) => `/apis/networking.kf.dev/v1alpha1/namespaces/${namespace}/appnetworkpolicies`;
const networkPolicies = (namespace: string) => `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`;

/** Policy name -> the ingress port its spec names now. */
export type Intended = Map<string, number>;

function spec(name: string, port: number): AppNetworkPolicy['spec'] {
  return { app: name, ingress: [{ from: [{ app: 'peer' }], ports: [{ protocol: 'TCP', port }] }] };
}


/** Creates `count` policies named `p-<n>`, each letting `peer` in on `port`. */
export async function createPolicies(client: KubeClient, namespace: string, count: number, port: number): Promise<Intended> {
  const intended: Intended = new Map(Array.from({ length: count }, (_, n) => [`p-${n}`, port]));
  await inPool([...intended.keys()], 16, (name) =>
    client.create(policies(namespace), { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name, namespace }, spec: spec(name, port) }),
  );
  return intended;
}

/** Changes every policy's port (a new generation each), recording the intent. */
export async function changeEveryPolicy(client: KubeClient, namespace: string, intended: Intended, port: number): Promise<void> {
  await inPool([...intended.keys()], 16, async (name) => {
    await client.mergePatch(`${policies(namespace)}/${name}`, { spec: spec(name, port) });
    intended.set(name, port);
  });
}

/** How many generated NetworkPolicies already carry `port`: how far a change has got. */
export async function programmedWith(client: KubeClient, namespace: string, port: number): Promise<number> {
  const list = await client.list<NetworkPolicy>(networkPolicies(namespace), { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}` });
  return list.items.filter((np) => portsOf(np).includes(port)).length;
}

function portsOf(np: NetworkPolicy): number[] {
  return (np.spec?.ingress ?? []).flatMap((rule) => (rule.ports ?? []).map((p) => Number(p.port)));
}

/** Every way the namespace differs from `intended`; empty once converged. */
export async function invariantViolations(client: KubeClient, namespace: string, intended: Intended): Promise<string[]> {
  const [policyList, npList] = await Promise.all([
    client.list<Policy>(policies(namespace)),
    client.list<NetworkPolicy>(networkPolicies(namespace), { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}` }),
  ]);
  const problems: string[] = [];
  const byName = new Map(policyList.items.map((p) => [p.metadata!.name!, p]));
  for (const [name] of intended) {
    const policy = byName.get(name);
    if (!policy) problems.push(`${name}: policy missing`);
    const generation = policy?.metadata?.generation;
    const ready = policy?.status?.conditions?.find((c) => c.type === 'Ready');
    if (policy && (policy.status?.observedGeneration !== generation || ready?.status !== 'True' || ready.observedGeneration !== generation)) {
      problems.push(`${name}: not Ready for generation ${generation} (observed ${policy.status?.observedGeneration}, Ready ${ready?.status} for ${ready?.observedGeneration})`);
    }
  }
  const generated = new Map<string, NetworkPolicy[]>();
  for (const np of npList.items) {
    const owner = np.metadata?.labels?.[LABEL_POLICY];
    if (owner === undefined) continue;
    generated.set(owner, [...(generated.get(owner) ?? []), np]);
  }
  for (const [owner, nps] of generated) {
    const policy = byName.get(owner);
    if (!policy || !intended.has(owner)) problems.push(`${owner}: orphan NetworkPolicy ${nps.map((np) => np.metadata!.name).join(', ')}`);
    if (nps.length > 1) problems.push(`${owner}: ${nps.length} NetworkPolicies`);
  }
  for (const [name, port] of intended) {
    const policy = byName.get(name);
    const [np, ...more] = generated.get(name) ?? [];
    if (!np || more.length || !policy) {
      if (!np) problems.push(`${name}: no NetworkPolicy`);
      continue;
    }
    if (np.metadata!.name !== networkPolicyName(name)) problems.push(`${name}: NetworkPolicy named ${np.metadata!.name}`);
    const owners = np.metadata!.ownerReferences ?? [];
    if (owners.length !== 1 || owners[0].uid !== policy.metadata!.uid || !owners[0].controller) problems.push(`${name}: NetworkPolicy not owned by the policy alone`);
    const ports = portsOf(np);
    if (ports.length !== 1 || ports[0] !== port) problems.push(`${name}: NetworkPolicy says port ${ports.join(',')}, the spec ${port}`);
  }
  return problems;
}

/**
 * Waits until the namespace holds exactly what `intended` says and returns how long that took; throws
 * with the first violations if it does not within `timeoutMs`. With `operator` (one nothing restarts),
 * throws at once if it exits, with its last error.
 */
export async function converged(client: KubeClient, namespace: string, intended: Intended, timeoutMs: number, operator?: OperatorProcess): Promise<number> {
  const started = Date.now();
  let problems: string[] = [];
  while (Date.now() - started < timeoutMs) {
    if (operator && operator.process.exitCode !== null) {
      const lastError = operator.logs().findLast((line) => line.level === 'error');
      throw new Error(`the operator exited with code ${operator.process.exitCode} while converging; its last error: ${JSON.stringify(lastError ?? null)}; log: ${operator.logFile}`);
    }
    problems = await invariantViolations(client, namespace, intended).catch((error: Error) => [`could not read: ${error.message}`]);
    if (problems.length === 0) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`not converged after ${timeoutMs / 1000} s; ${problems.length} violations, first: ${problems.slice(0, 5).join(' | ')}`);
}
