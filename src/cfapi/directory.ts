/**
 * App GUID <-> app (namespace, name), from an informer: Kf Apps (GUID = metadata.uid) or, for other
 * platforms, pods carrying the GUID in a label (app name from app.kubernetes.io/name).
 */
import { LABEL_APP_NAME } from '../api/types.js';
import { keepFields, only, type Informer, type InformerOptions } from '../runtime/informer.js';
import type { KubeClient, KubeObject } from '../runtime/kube-client.js';
import { isStorableGuid } from './policy.js';

export interface AppRef {
  guid: string;
  namespace: string;
  name: string;
}

/** Where app GUIDs come from. */
export type GuidSource = { kind: 'kf-app-uid' } | { kind: 'pod-label'; label: string };

export const KF_APPS_PATH = '/apis/kf.dev/v1alpha1/apps';

const IDENTITY_METADATA = ['name', 'namespace', 'uid', 'labels', 'resourceVersion'];

/** The directory reads an object's name, namespace, uid and labels only: tens of thousands of apps or pods keep just those. */
function keepIdentity(obj: KubeObject): void {
  keepFields(obj, ['apiVersion', 'kind', 'metadata']);
  obj.metadata = only(obj.metadata ?? {}, IDENTITY_METADATA);
}

export function directoryInformerOptions(source: GuidSource): InformerOptions {
  return source.kind === 'kf-app-uid'
    ? { resource: 'apps.kf.dev', path: KF_APPS_PATH, trim: keepIdentity }
    : { resource: 'pods', path: '/api/v1/pods', labelSelector: `${source.label},${LABEL_APP_NAME}`, trim: keepIdentity };
}

/** The app an object stands for, when it names one with a GUID that rule names can carry. */
export function appOf(source: GuidSource, obj: KubeObject): AppRef | undefined {
  const meta = obj.metadata ?? {};
  const guid = source.kind === 'kf-app-uid' ? meta.uid : meta.labels?.[source.label];
  const name = source.kind === 'kf-app-uid' ? meta.name : meta.labels?.[LABEL_APP_NAME];
  if (!guid || !name || !meta.namespace || !isStorableGuid(guid)) return undefined;
  return { guid, namespace: meta.namespace, name };
}

export class AppDirectory {
  /** GUID -> app and the objects (one Kf App, or the app's pods) that vouch for it. */
  private readonly apps = new Map<string, { app: AppRef; holders: Set<string> }>();
  /** Object key -> the GUID it vouches for, so an update or delete finds its entry at once. */
  private readonly guidOfHolder = new Map<string, string>();
  /** Apps per namespace, so the namespaces with apps are known without a scan. */
  private readonly appsPerNamespace = new Map<string, number>();

  constructor(
    private readonly source: GuidSource,
    informer: Informer<KubeObject>,
  ) {
    informer.on({ add: (o) => this.observe(o), update: (o) => this.observe(o), delete: (o) => this.forget(o) });
  }

  byGuid(guid: string): AppRef | undefined {
    return this.apps.get(guid)?.app;
  }

  /** Namespaces that hold at least one app. */
  namespaces(): string[] {
    return [...this.appsPerNamespace.keys()].sort();
  }

  /** GUIDs of the apps that exist right now, read from the API server rather than the cache. */
  async freshGuids(client: KubeClient): Promise<Set<string>> {
    const options = directoryInformerOptions(this.source);
    const list = await client.list(options.path, { labelSelector: options.labelSelector });
    return new Set(list.items.flatMap((item) => appOf(this.source, item)?.guid ?? []));
  }

  private observe(obj: KubeObject): void {
    this.forget(obj);
    const app = appOf(this.source, obj);
    if (!app) return;
    let entry = this.apps.get(app.guid);
    if (!entry) {
      this.apps.set(app.guid, (entry = { app, holders: new Set<string>() }));
      this.appsPerNamespace.set(app.namespace, (this.appsPerNamespace.get(app.namespace) ?? 0) + 1);
    }
    entry.holders.add(holderKey(obj));
    this.guidOfHolder.set(holderKey(obj), app.guid);
  }

  private forget(obj: KubeObject): void {
    const key = holderKey(obj);
    const guid = this.guidOfHolder.get(key);
    if (guid === undefined) return;
    this.guidOfHolder.delete(key);
    const entry = this.apps.get(guid);
    if (!entry || !entry.holders.delete(key) || entry.holders.size > 0) return;
    this.apps.delete(guid);
    const left = (this.appsPerNamespace.get(entry.app.namespace) ?? 1) - 1;
    if (left > 0) this.appsPerNamespace.set(entry.app.namespace, left);
    else this.appsPerNamespace.delete(entry.app.namespace);
  }
}

function holderKey(obj: KubeObject): string {
  return `${obj.metadata?.namespace}/${obj.metadata?.name}`;
}
