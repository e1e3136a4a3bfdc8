/**
 * Label selectors and ports in the exact form the API server stores them: empty lists and maps left
 * out (the server drops them), map keys sorted (as the server serializes them), protocol always set
 * (the server defaults it). An object read back then deep-equals the one written.
 */
import type { V1LabelSelector, V1NetworkPolicyPort } from '@kubernetes/client-node';
import type { LabelSelector, PortSpec, Workload } from '../api/types.js';
import { LABEL_APP_NAME, LABEL_NAMESPACE_NAME, LABEL_WORKLOAD } from '../api/types.js';

export function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * Why `key` is no label key the API server accepts in a NetworkPolicy selector, or undefined. The CRD
 * schema cannot check map keys (matchLabels), so the planner does, before a write that would fail.
 */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `label key "${key}" has a prefix that is no DNS subdomain of at most 253 characters`;
  if (!LABEL_NAME.test(name)) return `label key "${key}" must be at most 63 letters, digits, '-', '_' or '.' (after an optional "prefix/"), starting and ending with a letter or digit`;
  return undefined;
}

/** Problems of every key a selector names (`where` says which selector). */
export function selectorKeyProblems(selector: LabelSelector | undefined, where: string): string[] {
  const keys = [...Object.keys(selector?.matchLabels ?? {}), ...(selector?.matchExpressions ?? []).map((e) => e.key)];
  return keys.flatMap((key) => {
    const problem = labelKeyProblem(key);
    return problem ? [`${where}: ${problem}`] : [];
  });
}

export function canonicalSelector(selector: LabelSelector | undefined): V1LabelSelector {
  const matchLabels = sortedRecord(selector?.matchLabels ?? {});
  const matchExpressions = (selector?.matchExpressions ?? []).map((e) => ({
    key: e.key,
    operator: e.operator,
    ...(e.values?.length ? { values: [...e.values] } : {}),
  }));
  return {
    ...(Object.keys(matchLabels).length ? { matchLabels } : {}),
    ...(matchExpressions.length ? { matchExpressions } : {}),
  };
}

/** Value of `kf.dev/networkpolicy` for a workload: which of an app's pods a policy is about. */
export function workloadLabel(workload: Workload | undefined): 'app' | 'build' {
  return workload === 'Build' ? 'build' : 'app';
}

/** Every pod of one workload kind in a namespace: all apps' pods, or all builds' pods. */
export function workloadPodSelector(workload: Workload): V1LabelSelector {
  return { matchLabels: { [LABEL_WORKLOAD]: workloadLabel(workload) } };
}

/** Pods of the Kf App `app` of the given workload kind. */
export function appPodSelector(app: string, workload: Workload | undefined): V1LabelSelector {
  return canonicalSelector({ matchLabels: { [LABEL_APP_NAME]: app, [LABEL_WORKLOAD]: workloadLabel(workload) } });
}

/** The namespace called `namespace`, by the label the API server sets and tenants cannot. */
export function namespaceNamed(namespace: string): V1LabelSelector {
  return { matchLabels: { [LABEL_NAMESPACE_NAME]: namespace } };
}

/** Ports as stored; undefined (no `ports` key) means every port. */
export function canonicalPorts(ports: readonly PortSpec[] | undefined): V1NetworkPolicyPort[] | undefined {
  if (!ports?.length) return undefined;
  return ports.map((p) => ({
    protocol: p.protocol ?? 'TCP',
    ...(p.port === undefined ? {} : { port: p.port }),
    ...(p.endPort === undefined ? {} : { endPort: p.endPort }),
  }));
}
