/**
 * A snapshot of the cluster as the engine sees it, built from plain API objects (listed live, read
 * from files, or held by informers): namespaces, pods, Kf Apps, AppNetworkPolicies and every
 * NetworkPolicy in play. Apps are the unit people ask about: the pods labelled
 * `app.kubernetes.io/name=APP` (build pods left out), or, while an App has none, a stand-in with the
 * labels and ports Kf gives its pods.
 */
import type { AppNetworkPolicy, Protocol } from '../api/types.js';
import { LABEL_APP_NAME, LABEL_WORKLOAD } from '../api/types.js';
import { compareText } from '../planner/names.js';
import { PolicyEngine } from './engine.js';
import type { ContainerPort, NamespaceFacts, NetworkPolicyObject, PodFacts } from './model.js';

/** The fields of a Pod the engine reads; informers may keep only these. */
export interface PodObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: { containers?: { ports?: { name?: string; containerPort?: number; protocol?: string }[] }[] };
  status?: { phase?: string; podIP?: string; podIPs?: { ip?: string }[] };
}

export interface KfAppObject {
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: { ports?: { name?: string; containerPort?: number; protocol?: string }[] }[] } } };
}

export interface NamespaceObject {
  metadata?: { name?: string; labels?: Record<string, string> };
}

export interface SnapshotInput {
  namespaces: readonly NamespaceObject[];
  pods: readonly PodObject[];
  /** Undefined: Kf Apps are not known (not served, or not given). */
  apps?: readonly KfAppObject[];
  appNetworkPolicies: readonly AppNetworkPolicy[];
  networkPolicies: readonly NetworkPolicyObject[];
}

export interface AppEndpoint {
  space: string;
  app: string;
  /** Sorted by name; a single stand-in when the App has no pods yet. */
  pods: PodFacts[];
  /** The pods stand in for a Kf App that has none yet. */
  standIn: boolean;
}

/** What the explanations and the Reachable condition read: the engine, apps, pods and the policies in play. */
export interface ReachabilityView {
  readonly engine: PolicyEngine;
  app(space: string, app: string): AppEndpoint | undefined;
  /** Pods of a namespace (not stand-ins), sorted by name. */
  podsIn(namespace: string): PodFacts[];
  networkPolicy(namespace: string, name: string): NetworkPolicyObject | undefined;
  /** AppNetworkPolicies about `app` in `space` (by `spec.app`). */
  policiesOfApp(space: string, app: string): AppNetworkPolicy[];
}

export class ClusterSnapshot implements ReachabilityView {
  readonly engine: PolicyEngine;
  readonly pods: PodFacts[];
  private readonly apps = new Map<string, AppEndpoint>();

  constructor(readonly input: SnapshotInput) {
    const namespaces: NamespaceFacts[] = input.namespaces
      .filter((n) => n.metadata?.name)
      .map((n) => ({ name: n.metadata!.name!, labels: n.metadata!.labels ?? {} }));
    this.engine = new PolicyEngine({ namespaces, networkPolicies: input.networkPolicies });
    this.pods = input.pods.filter(isRunnable).map(podFacts).sort(byKey);
    for (const pod of this.pods) {
      const app = appOfPod(pod);
      if (!app) continue;
      const key = `${pod.namespace}/${app}`;
      const entry = this.apps.get(key);
      if (entry) entry.pods.push(pod);
      else this.apps.set(key, { space: pod.namespace, app, pods: [pod], standIn: false });
    }
    for (const app of input.apps ?? []) {
      const { name, namespace } = app.metadata ?? {};
      if (!name || !namespace || this.apps.has(`${namespace}/${name}`)) continue;
      this.apps.set(`${namespace}/${name}`, standInApp(namespace, name, app));
    }
  }

  podsIn(namespace: string): PodFacts[] {
    return this.pods.filter((p) => p.namespace === namespace);
  }

  app(space: string, app: string): AppEndpoint | undefined {
    return this.apps.get(`${space}/${app}`);
  }

  /** Every app, by Space then name; only those of `space` when given. */
  appList(space?: string): AppEndpoint[] {
    return [...this.apps.values()]
      .filter((a) => space === undefined || a.space === space)
      .sort((a, b) => compareText(a.space, b.space) || compareText(a.app, b.app));
  }

  pod(namespace: string, name: string): PodFacts | undefined {
    return this.pods.find((p) => p.namespace === namespace && p.name === name);
  }

  podWithIP(ip: string): PodFacts | undefined {
    return this.pods.find((p) => p.ips.includes(ip));
  }

  networkPolicy(namespace: string, name: string): NetworkPolicyObject | undefined {
    return this.input.networkPolicies.find((p) => p.metadata?.namespace === namespace && p.metadata?.name === name);
  }

  /** AppNetworkPolicies about `app` in `space` (by `spec.app`). */
  policiesOfApp(space: string, app: string): AppNetworkPolicy[] {
    return this.input.appNetworkPolicies.filter((p) => p.metadata.namespace === space && p.spec?.app === app);
  }
}

/** The Kf App a pod belongs to (`app.kubernetes.io/name`); build pods belong to none. */
export function appOfPod(pod: PodFacts): string | undefined {
  return pod.labels[LABEL_WORKLOAD] === 'build' ? undefined : pod.labels[LABEL_APP_NAME];
}

function byKey(a: PodFacts, b: PodFacts): number {
  return compareText(a.namespace, b.namespace) || compareText(a.name, b.name);
}

/** Finished pods hold no address and receive nothing. */
export function isRunnable(pod: PodObject): boolean {
  return Boolean(pod.metadata?.name && pod.metadata.namespace) && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

function containerPorts(containers: { ports?: { name?: string; containerPort?: number; protocol?: string }[] }[] | undefined): ContainerPort[] {
  return (containers ?? []).flatMap((c) =>
    (c.ports ?? []).flatMap((p) =>
      p.containerPort ? [{ ...(p.name ? { name: p.name } : {}), containerPort: p.containerPort, protocol: (p.protocol ?? 'TCP') as Protocol }] : [],
    ),
  );
}

export function podFacts(pod: PodObject): PodFacts {
  const ips = pod.status?.podIPs?.flatMap((p) => (p.ip ? [p.ip] : [])) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  return {
    namespace: pod.metadata!.namespace!,
    name: pod.metadata!.name!,
    labels: pod.metadata!.labels ?? {},
    ips,
    ports: containerPorts(pod.spec?.containers),
  };
}

/** A Kf App without pods, stood in for by what Kf's pods of it would look like: its name and workload labels, its declared ports, no address yet. */
export function standInApp(namespace: string, name: string, app: KfAppObject): AppEndpoint {
  const pod: PodFacts = {
    namespace,
    name: `${name} (no pods yet)`,
    labels: { [LABEL_APP_NAME]: name, [LABEL_WORKLOAD]: 'app' },
    ips: [],
    ports: containerPorts(app.spec?.template?.spec?.containers),
  };
  return { space: namespace, app: name, pods: [pod], standIn: true };
}
