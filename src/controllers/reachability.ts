/**
 * The cluster as the NetworkPolicy engine sees it, kept current from shared informers for the
 * Reachable condition: every NetworkPolicy (whoever wrote it), namespaces with their labels, app pods
 * and Kf Apps. The engine is updated one policy or namespace at a time, never rebuilt, and listeners
 * hear which namespace changed so only the AppNetworkPolicies that name it are evaluated again.
 */
import { LABEL_NAMESPACE_NAME, type AppNetworkPolicy } from '../api/types.js';
import { PolicyEngine } from '../reachability/engine.js';
import type { NetworkPolicyObject, PodFacts } from '../reachability/model.js';
import { appOfPod, isRunnable, podFacts, standInApp, type AppEndpoint, type PodObject, type ReachabilityView } from '../reachability/snapshot.js';
import type { Informer, InformerOptions } from '../runtime/informer.js';
import type { SharedInformers } from '../runtime/informers.js';
import type { KubeObject } from '../runtime/kube-client.js';
import type { FactsSource } from './facts.js';
import { NETWORK_POLICY_API } from './network-policies.js';
import { APP_PODS } from './pods.js';

const KEPT_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'labels'];

/** Every NetworkPolicy with only what the engine reads: name, namespace, labels and the spec. */
const ALL_NETWORK_POLICIES: InformerOptions = {
  resource: 'networkpolicies',
  path: `${NETWORK_POLICY_API}/networkpolicies`,
  trim: (obj) => {
    const metadata = obj.metadata ?? {};
    for (const key of Object.keys(metadata)) if (!KEPT_METADATA.includes(key)) delete metadata[key];
    delete obj.status;
  },
};

/** `*`: something every policy may depend on changed (a namespace's labels). */
export type ReachabilityChange = string | '*';

export class LiveReachability implements ReachabilityView {
  readonly engine = new PolicyEngine();
  private readonly pods = new Map<string, Map<string, PodFacts>>();
  private readonly networkPolicies: Informer<KubeObject>;
  private readonly listeners: ((namespace: ReachabilityChange) => void)[] = [];

  constructor(
    informers: SharedInformers,
    private readonly facts: FactsSource,
    private readonly policies: Informer<AppNetworkPolicy & KubeObject>,
  ) {
    this.networkPolicies = informers.for(ALL_NETWORK_POLICIES);
    const onPolicy = (np: KubeObject) => {
      this.engine.setPolicy(np as NetworkPolicyObject);
      this.notify(np.metadata!.namespace!);
    };
    this.networkPolicies.on({
      add: onPolicy,
      update: onPolicy,
      delete: (np) => {
        this.engine.removePolicy(np.metadata!.namespace!, np.metadata!.name!);
        this.notify(np.metadata!.namespace!);
      },
    });
    const onNamespace = (ns: KubeObject) => {
      const name = ns.metadata!.name!;
      const labels = { ...ns.metadata!.labels, [LABEL_NAMESPACE_NAME]: name };
      const known = this.engine.hasNamespace(name);
      const before = this.engine.labelsOfNamespace(name);
      const changed = Object.keys(labels).length !== Object.keys(before).length || Object.entries(labels).some(([k, v]) => before[k] !== v);
      this.engine.setNamespace({ name, labels });
      // A new namespace matters to the policies naming it; changed labels to any namespaceSelector.
      if (!known) this.notify(name);
      else if (changed) this.notify('*');
    };
    facts.namespaces.on({ add: onNamespace, update: onNamespace, delete: (ns) => this.engine.removeNamespace(ns.metadata!.name!) });
    const pods = informers.for<KubeObject>(APP_PODS);
    pods.on({ add: (pod) => this.setPod(pod), update: (pod) => this.setPod(pod), delete: (pod) => this.removePod(pod) });
    const onApp = (app: KubeObject) => this.notify(app.metadata!.namespace!);
    facts.apps.on({ add: onApp, delete: onApp });
  }

  onChange(listener: (namespace: ReachabilityChange) => void): void {
    this.listeners.push(listener);
  }

  app(space: string, app: string): AppEndpoint | undefined {
    const pods = this.podsIn(space).filter((p) => appOfPod(p) === app);
    if (pods.length) return { space, app, pods, standIn: false };
    const kfApp = this.facts.apps.get(app, space);
    return kfApp ? standInApp(space, app, kfApp) : undefined;
  }

  podsIn(namespace: string): PodFacts[] {
    return [...(this.pods.get(namespace)?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  }

  networkPolicy(namespace: string, name: string): NetworkPolicyObject | undefined {
    return this.networkPolicies.get(name, namespace) as NetworkPolicyObject | undefined;
  }

  policiesOfApp(space: string, app: string): AppNetworkPolicy[] {
    return this.policies.list(space).filter((p) => p.spec?.app === app);
  }

  private setPod(pod: KubeObject): void {
    const namespace = pod.metadata!.namespace!;
    if (!isRunnable(pod as PodObject) || pod.metadata!.deletionTimestamp) return this.removePod(pod);
    const facts = podFacts(pod as PodObject);
    let pods = this.pods.get(namespace);
    if (!pods) this.pods.set(namespace, (pods = new Map()));
    const previous = pods.get(facts.name);
    // Status updates that change nothing the engine reads (most of them) evaluate nothing again.
    if (previous && JSON.stringify(previous) === JSON.stringify(facts)) return;
    pods.set(facts.name, facts);
    this.notify(namespace);
  }

  private removePod(pod: KubeObject): void {
    if (this.pods.get(pod.metadata!.namespace!)?.delete(pod.metadata!.name!)) this.notify(pod.metadata!.namespace!);
  }

  private notify(change: ReachabilityChange): void {
    this.listeners.forEach((l) => l(change));
  }
}
