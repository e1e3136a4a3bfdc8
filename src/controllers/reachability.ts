/**
 * The cluster as the NetworkPolicy engine sees it, kept current from shared informers for the
 * Reachable condition: every NetworkPolicy (whoever wrote it), namespaces with their labels, app pods
 * and Kf Apps. The engine is updated one policy or namespace at a time, never rebuilt.
 *
 * Listeners hear which apps' flows a change may affect, as reference keys (`app:<namespace>/<app>`):
 * the apps whose pods a changed NetworkPolicy selects (before and after the change), or whose pod
 * changed. Only the AppNetworkPolicies naming those apps are evaluated again, so the NetworkPolicies the
 * operator writes while converging do not re-evaluate every policy of their namespace.
 */
import { LABEL_NAMESPACE_NAME, type AppNetworkPolicy } from '../api/types.js';
import { compareText } from '../planner/names.js';
import { PolicyEngine } from '../reachability/engine.js';
import type { NetworkPolicyObject, PodFacts } from '../reachability/model.js';
import { MATCH_NONE, type LabelMatcher } from '../reachability/selectors.js';
import { appOfPod, isRunnable, podFacts, standInApp, type AppEndpoint, type PodObject, type ReachabilityView } from '../reachability/snapshot.js';
import type { Informer } from '../runtime/informer.js';
import type { SharedInformers } from '../runtime/informers.js';
import type { KubeObject } from '../runtime/kube-client.js';
import type { FactsSource } from './facts.js';
import { NETWORK_POLICIES } from './network-policies.js';
import { APP_PODS } from './pods.js';

/** Reference keys of the apps a change may affect; `*` when it may affect every policy (a namespace's labels). */
export type ReachabilityChange = readonly string[] | '*';

const appRef = (namespace: string, app: string) => `app:${namespace}/${app}`;

export class LiveReachability implements ReachabilityView {
  readonly engine = new PolicyEngine();
  private readonly pods = new Map<string, Map<string, PodFacts>>();
  private readonly networkPolicies: Informer<KubeObject>;
  private readonly listeners: ((change: ReachabilityChange) => void)[] = [];

  /** `measure` is told how long each engine update took (the cost of keeping it current). */
  constructor(
    informers: SharedInformers,
    private readonly facts: FactsSource,
    private readonly policies: Informer<AppNetworkPolicy & KubeObject>,
    measure: (seconds: number) => void = () => {},
  ) {
    const timed =
      <A extends unknown[]>(fn: (...args: A) => void) =>
      (...args: A) => {
        const started = process.hrtime.bigint();
        fn(...args);
        measure(Number(process.hrtime.bigint() - started) / 1e9);
      };
    this.networkPolicies = informers.for(NETWORK_POLICIES);
    const onPolicy = timed((np: KubeObject, removed: boolean) => {
      const { namespace, name } = np.metadata as { namespace: string; name: string };
      const before = this.engine.podSelectorOf(namespace, name) ?? MATCH_NONE;
      if (removed) this.engine.removePolicy(namespace, name);
      else this.engine.setPolicy(np as NetworkPolicyObject);
      const after = removed ? MATCH_NONE : (this.engine.podSelectorOf(namespace, name) ?? MATCH_NONE);
      this.notify(this.appsSelected(namespace, [before, after]));
    });
    this.networkPolicies.on({ add: (np) => onPolicy(np, false), update: (np) => onPolicy(np, false), delete: (np) => onPolicy(np, true) });
    // A new namespace reaches its policies as a fact change (FactsSource); changed labels may matter to any namespaceSelector.
    const onNamespace = timed((ns: KubeObject) => {
      const name = ns.metadata!.name!;
      const labels = { ...ns.metadata!.labels, [LABEL_NAMESPACE_NAME]: name };
      const known = this.engine.hasNamespace(name);
      const before = this.engine.labelsOfNamespace(name);
      const changed = Object.keys(labels).length !== Object.keys(before).length || Object.entries(labels).some(([k, v]) => before[k] !== v);
      this.engine.setNamespace({ name, labels });
      if (known && changed) this.notify('*');
    });
    facts.namespaces.on({ add: onNamespace, update: onNamespace, delete: (ns) => this.engine.removeNamespace(ns.metadata!.name!) });
    const pods = informers.for<KubeObject>(APP_PODS);
    pods.on({ add: timed((pod) => this.setPod(pod)), update: timed((pod) => this.setPod(pod)), delete: timed((pod) => this.removePod(pod)) });
  }

  /** A NetworkPolicy the operator has just written counts before its watch event arrives. */
  written(np: NetworkPolicyObject): void {
    this.engine.setPolicy(np);
  }

  onChange(listener: (change: ReachabilityChange) => void): void {
    this.listeners.push(listener);
  }

  app(space: string, app: string): AppEndpoint | undefined {
    const pods = this.podsIn(space).filter((p) => appOfPod(p) === app);
    if (pods.length) return { space, app, pods, standIn: false };
    const kfApp = this.facts.apps.get(app, space);
    return kfApp ? standInApp(space, app, kfApp) : undefined;
  }

  podsIn(namespace: string): PodFacts[] {
    return [...(this.pods.get(namespace)?.values() ?? [])].sort((a, b) => compareText(a.name, b.name));
  }

  networkPolicy(namespace: string, name: string): NetworkPolicyObject | undefined {
    return this.networkPolicies.get(name, namespace) as NetworkPolicyObject | undefined;
  }

  policiesOfApp(space: string, app: string): AppNetworkPolicy[] {
    return this.policies.list(space).filter((p) => p.spec?.app === app);
  }

  /** The apps of `namespace` (pods, or Kf Apps standing in) that any of the selectors selects. */
  private appsSelected(namespace: string, selectors: readonly LabelMatcher[]): string[] {
    const apps = new Set<string>();
    const consider = (pod: PodFacts) => {
      const app = appOfPod(pod);
      if (app && !apps.has(app) && selectors.some((s) => s.matches(pod.labels))) apps.add(app);
    };
    this.pods.get(namespace)?.forEach(consider);
    for (const kfApp of this.facts.apps.list(namespace)) consider(standInApp(namespace, kfApp.metadata!.name!, kfApp).pods[0]);
    return [...apps].map((app) => appRef(namespace, app));
  }

  private setPod(pod: KubeObject): void {
    if (!isRunnable(pod as PodObject) || pod.metadata!.deletionTimestamp) return this.removePod(pod);
    const facts = podFacts(pod as PodObject);
    let pods = this.pods.get(facts.namespace);
    if (!pods) this.pods.set(facts.namespace, (pods = new Map()));
    const previous = pods.get(facts.name);
    // Status updates that change nothing the engine reads (most of them) evaluate nothing again.
    if (previous && JSON.stringify(previous) === JSON.stringify(facts)) return;
    pods.set(facts.name, facts);
    this.notify([previous, facts].flatMap((p) => (p && appOfPod(p) ? [appRef(p.namespace, appOfPod(p)!)] : [])));
  }

  private removePod(pod: KubeObject): void {
    const { namespace, name } = pod.metadata as { namespace: string; name: string };
    const previous = this.pods.get(namespace)?.get(name);
    if (!previous) return;
    this.pods.get(namespace)!.delete(name);
    const app = appOfPod(previous);
    if (app) this.notify([appRef(namespace, app)]);
  }

  private notify(change: ReachabilityChange): void {
    if (change !== '*' && !change.length) return;
    this.listeners.forEach((l) => l(change));
  }
}
