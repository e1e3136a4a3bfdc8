/**
 * Cluster facts for the planners, read from shared informers: namespaces, Kf Apps, the API
 * server's endpoints and the dataplane. Each fact is derived once per change, not per reconcile.
 */
import { LABEL_NAMESPACE_NAME } from '../api/types.js';
import type { DataplaneConfig } from '../config/dataplanes.js';
import { dataplaneNamespaces, detectDataplane, type DaemonSetView } from '../planner/dataplane.js';
import type { ApiServerEndpoints, ClusterFacts, DataplaneFact } from '../planner/facts.js';
import type { Informer } from '../runtime/informer.js';
import type { SharedInformers } from '../runtime/informers.js';
import type { KubeObject } from '../runtime/kube-client.js';

/** `everything`: a fact every object depends on changed (the dataplane, or whether Kf Apps are served). */
export type FactChange = { kind: 'namespace'; name: string } | { kind: 'app'; namespace: string; name: string } | { kind: 'apiserver' } | { kind: 'everything' };

interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[];
  ports?: { port?: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
}

const sources = new WeakMap<SharedInformers, FactsSource>();

export class FactsSource {
  readonly namespaces: Informer<KubeObject>;
  readonly apps: Informer<KubeObject>;
  readonly apiServerSlices: Informer<EndpointSlice>;
  /** Every DaemonSet: the dataplanes' namespaces are configurable and need not exist at install time. */
  readonly daemonSets: Informer<KubeObject & DaemonSetView>;
  private cached?: ClusterFacts;
  private detected?: { config: DataplaneConfig; fact: DataplaneFact };
  /** metadata.generation per DaemonSet uid: only spec changes can change what detection sees. */
  private readonly daemonSetGenerations = new Map<string, number | undefined>();
  private readonly listeners: ((change: FactChange) => void)[] = [];

  /** One per process (per set of shared informers): every controller reads the same derived facts. */
  static for(informers: SharedInformers): FactsSource {
    let source = sources.get(informers);
    if (!source) sources.set(informers, (source = new FactsSource(informers)));
    return source;
  }

  private constructor(informers: SharedInformers) {
    this.namespaces = informers.for({ resource: 'namespaces', path: '/api/v1/namespaces' });
    this.apps = informers.for({ resource: 'apps.kf.dev', path: '/apis/kf.dev/v1alpha1/apps', optional: true });
    this.apiServerSlices = informers.for({
      resource: 'endpointslices',
      path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
      labelSelector: 'kubernetes.io/service-name=kubernetes',
    });
    this.daemonSets = informers.for({ resource: 'daemonsets', path: '/apis/apps/v1/daemonsets' });

    const notify = (change: FactChange) => {
      this.cached = undefined;
      this.detected = undefined;
      this.listeners.forEach((l) => l(change));
    };
    const onNamespace = (o: KubeObject) => notify({ kind: 'namespace', name: o.metadata!.name! });
    this.namespaces.on({ add: onNamespace, delete: onNamespace });
    const onApp = (o: KubeObject) => notify({ kind: 'app', namespace: o.metadata!.namespace!, name: o.metadata!.name! });
    this.apps.on({ add: onApp, delete: onApp });
    this.apps.onPresenceChange(() => notify({ kind: 'everything' }));
    const onSlice = () => notify({ kind: 'apiserver' });
    this.apiServerSlices.on({ add: onSlice, update: onSlice, delete: onSlice });
    // Status updates (pods becoming ready) are frequent and change nothing detection reads.
    const onDaemonSet = (d: KubeObject, deleted = false) => {
      const uid = d.metadata!.uid!;
      const generation = d.metadata!.generation;
      if (!deleted && this.daemonSetGenerations.has(uid) && this.daemonSetGenerations.get(uid) === generation) return;
      if (deleted) this.daemonSetGenerations.delete(uid);
      else this.daemonSetGenerations.set(uid, generation);
      notify({ kind: 'everything' });
    };
    this.daemonSets.on({ add: (d) => onDaemonSet(d), update: (d) => onDaemonSet(d), delete: (d) => onDaemonSet(d, true) });
  }

  onChange(listener: (change: FactChange) => void): void {
    this.listeners.push(listener);
  }

  current(): ClusterFacts {
    this.cached ??= {
      namespaces: new Set(this.namespaces.list().filter((n) => !n.metadata?.deletionTimestamp).map((n) => n.metadata!.labels?.[LABEL_NAMESPACE_NAME] ?? n.metadata!.name!)),
      apps: this.apps.present ? appsByNamespace(this.apps.list()) : undefined,
      apiServer: apiServerEndpoints(this.apiServerSlices.list()),
    };
    return this.cached;
  }

  /** Whether NetworkPolicy is enforced, as `config` tells it; derived once per change. */
  dataplane(config: DataplaneConfig): DataplaneFact {
    if (this.detected?.config !== config) {
      const namespaces = new Set(dataplaneNamespaces(config));
      this.detected = { config, fact: detectDataplane(this.daemonSets.list().filter((d) => namespaces.has(d.metadata!.namespace!)), config) };
    }
    return this.detected.fact;
  }
}

function appsByNamespace(apps: readonly KubeObject[]): Map<string, Set<string>> {
  const byNamespace = new Map<string, Set<string>>();
  for (const app of apps) {
    const { namespace, name } = app.metadata!;
    let names = byNamespace.get(namespace!);
    if (!names) byNamespace.set(namespace!, (names = new Set()));
    names.add(name!);
  }
  return byNamespace;
}

function apiServerEndpoints(slices: readonly EndpointSlice[]): ApiServerEndpoints | undefined {
  const addresses = new Set<string>();
  const ports = new Map<string, { port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }>();
  for (const slice of slices) {
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      endpoint.addresses?.forEach((a) => addresses.add(a));
    }
    for (const port of slice.ports ?? []) {
      if (port.port) ports.set(`${port.protocol ?? 'TCP'}/${port.port}`, { port: port.port, protocol: port.protocol ?? 'TCP' });
    }
  }
  if (addresses.size === 0) return undefined;
  return { addresses: [...addresses].sort(), ports: [...ports.values()].sort((a, b) => a.port - b.port) };
}
