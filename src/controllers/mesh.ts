/**
 * Mesh controller: per namespace, gathers the AppNetworkPolicies and the facts the mesh planner needs
 * (service accounts, pods, the Kf Space), writes the planned Istio objects with server-side apply,
 * deletes the managed ones no longer planned, and publishes each policy's result for the
 * AppNetworkPolicy controller, which turns it into conditions. Keyed by namespace because Sidecars and
 * AuthorizationPolicies merge every policy of an app, and the PeerAuthentication is per namespace.
 *
 * Output is on only while all three Istio CRDs are served; their informers notice them appear and go.
 */
import { MESH_KINDS, meshCollectionPath, meshKindInfo, SIDECAR_CONTAINER, SIDECAR_STATUS_ANNOTATION, type MeshKind } from '../api/istio.js';
import { SPACES_PATH } from '../api/space.js';
import { API_VERSION, KIND, LABEL_APP_NAME, LABEL_MANAGED_BY, MANAGED_BY, PLURAL, POLICIES_PATH, type AppNetworkPolicy } from '../api/types.js';
import type { EntityConfig } from '../config/entities.js';
import type { MeshConfig } from '../config/mesh.js';
import { planMesh, type DesiredMeshObject, type MeshFacts } from '../planner/mesh.js';
import type { MeshMode, MeshResult, WriteProblem } from '../planner/mesh-conditions.js';
import { applyIfChanged, isUpToDate } from '../runtime/apply.js';
import type { ControllerContext } from '../runtime/controller.js';
import type { Informer } from '../runtime/informer.js';
import { isNotFound, isRefusal, KubeApiError, type KubeObject } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import { QueueController, type QueueControllerOptions } from '../runtime/queue-controller.js';
import { FactsSource } from './facts.js';
import type { MeshStatusBoard } from './mesh-status.js';
import { APP_PODS } from './pods.js';
import { ReferenceIndex } from './reference-index.js';
import { prepareSpecValidation, specIssues } from './spec-issues.js';

const NAME = 'mesh';

export interface MeshControllerOptions extends QueueControllerOptions {
  mesh: MeshConfig;
  entities: EntityConfig;
  status: MeshStatusBoard;
}

interface Pod extends KubeObject {
  spec?: { serviceAccountName?: string; containers?: { name: string }[] };
}

interface KfApp extends KubeObject {
  status?: { serviceAccountName?: string };
}


export class MeshController extends QueueController {
  private readonly policies: Informer<AppNetworkPolicy & KubeObject>;
  private readonly meshObjects: ReadonlyMap<MeshKind, Informer<KubeObject>>;
  private readonly pods: Informer<Pod>;
  private readonly spaces: Informer<KubeObject>;
  private readonly facts: FactsSource;
  /** Per policy (`<namespace>/<name>`), the apps it names as ingress sources: their pods' service accounts matter. */
  private readonly sources = new ReferenceIndex();
  /** The generation last seen per policy: a status update (most policy events) changes nothing planned here. */
  private readonly seenGenerations = new Map<string, number | undefined>();

  constructor(
    ctx: ControllerContext,
    private readonly options: MeshControllerOptions,
  ) {
    super(NAME, ctx, options);
    this.policies = ctx.informers.for({ resource: PLURAL, path: POLICIES_PATH });
    this.meshObjects = new Map(
      MESH_KINDS.map((info) => [
        info.kind,
        ctx.informers.for({ resource: info.crd, path: meshCollectionPath(info), labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}`, optional: true }),
      ]),
    );
    this.pods = ctx.informers.for(APP_PODS);
    this.spaces = ctx.informers.for({ resource: 'spaces.kf.dev', path: SPACES_PATH, optional: true });
    this.facts = FactsSource.for(ctx.informers);
    options.status.detectWith(() => this.mode());

    const onPolicy = (p: AppNetworkPolicy & KubeObject) => {
      const { namespace, name, generation, deletionTimestamp } = p.metadata as { namespace: string; name: string; generation?: number; deletionTimestamp?: string };
      const key = `${namespace}/${name}`;
      if (!deletionTimestamp && this.seenGenerations.has(key) && this.seenGenerations.get(key) === generation) return;
      this.seenGenerations.set(key, generation);
      this.sources.set(key, ingressAppPeers([p], namespace).map((ref) => `app:${ref}`));
      this.queue.add(namespace);
    };
    const onPolicyDeleted = (p: KubeObject) => {
      const key = `${p.metadata!.namespace}/${p.metadata!.name}`;
      this.seenGenerations.delete(key);
      this.sources.delete(key);
      this.queue.add(p.metadata!.namespace!);
    };
    this.policies.on({ add: onPolicy, update: onPolicy, delete: onPolicyDeleted });
    const onNamespaced = (o: KubeObject) => this.queue.add(o.metadata!.namespace!);
    for (const informer of this.meshObjects.values()) {
      informer.on({ add: onNamespaced, update: onNamespaced, delete: onNamespaced });
      informer.onPresenceChange(() => this.everythingChanged());
    }
    const onAppFact = (namespace: string, app: string | undefined) => {
      this.queue.add(namespace);
      if (app) this.sources.keysFor(`app:${namespace}/${app}`).forEach((policy) => this.queue.add(policy.slice(0, policy.indexOf('/'))));
    };
    const onPod = (pod: Pod) => onAppFact(pod.metadata!.namespace!, pod.metadata!.labels?.[LABEL_APP_NAME]);
    this.pods.on({ add: onPod, update: onPod, delete: onPod });
    const onApp = (app: KubeObject) => onAppFact(app.metadata!.namespace!, app.metadata!.name);
    this.facts.apps.on({ add: onApp, update: onApp, delete: onApp });
    const onSpace = (space: KubeObject) => this.queue.add(space.metadata!.name!);
    this.spaces.on({ add: onSpace, update: onSpace, delete: onSpace });
    this.facts.onChange((change) => {
      if (change.kind === 'namespace') this.queue.add(change.name);
      if (change.kind === 'everything') this.allKeys().forEach((key) => this.queue.add(key));
    });
  }

  prepare(): void {
    prepareSpecValidation();
  }

  protected allKeys(): string[] {
    const namespaces = [
      ...this.policies.list().map((p) => p.metadata.namespace!),
      ...this.spaces.list().map((s) => s.metadata!.name!),
      ...[...this.meshObjects.values()].flatMap((informer) => informer.list().map((o) => o.metadata!.namespace!)),
    ];
    return [...new Set(namespaces)];
  }

  protected describeKey(key: string): Record<string, string> {
    return { namespace: key };
  }

  private mode(): MeshMode {
    const missing = MESH_KINDS.filter((info) => !this.meshObjects.get(info.kind)!.present).map((info) => info.crd);
    if (!missing.length) return { on: true };
    return { on: false, reason: `the Istio CRDs ${missing.join(', ')} are not installed, so no Istio object is written` };
  }

  private everythingChanged(): void {
    this.options.status.modeChanged();
    this.allKeys().forEach((key) => this.queue.add(key));
  }

  protected async reconcile(namespace: string, log: Logger): Promise<void> {
    if (!this.mode().on || !this.facts.current().namespaces?.has(namespace)) {
      this.options.status.publish(namespace, new Map());
      return;
    }
    // List items may lack apiVersion and kind; owner references need them.
    const policies = this.policies
      .list(namespace)
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => ({ ...p, apiVersion: API_VERSION, kind: KIND }) as AppNetworkPolicy & KubeObject);
    const rejected = new Set(policies.filter((p) => specIssues(p).length).map((p) => p.metadata.name));
    const plan = planMesh({ namespace, policies, rejected, facts: this.gather(namespace, policies), config: this.options.mesh, entities: this.options.entities });

    const problems = new Map<string, WriteProblem>();
    let failure: unknown;
    for (const desired of plan.objects) {
      const ref = `${desired.kind} ${desired.metadata.name}`;
      try {
        const conflict = await this.write(desired, log);
        if (conflict) problems.set(ref, { reason: 'Conflict', message: conflict, retrying: false });
      } catch (error) {
        if (isKindGoingAway(error)) return this.waitForPresenceChange(desired.kind, log);
        failure ??= error;
        problems.set(ref, { reason: 'ApplyFailed', message: `writing ${desired.kind} ${namespace}/${desired.metadata.name}: ${(error as Error).message}`, retrying: !isRefusal(error) });
      }
    }
    try {
      await this.deleteUnwanted(namespace, plan.objects, log);
    } catch (error) {
      if (isKindGoingAway(error)) return this.waitForPresenceChange(undefined, log);
      failure ??= error;
    }

    const results = Object.entries(plan.reports).map(([name, report]): [string, MeshResult] => [
      name,
      { ...report, writeProblems: report.objects.flatMap((ref) => problems.get(ref) ?? []) },
    ]);
    this.options.status.publish(namespace, new Map(results));
    if (failure) throw failure;
  }

  /**
   * An Istio CRD is being removed and its informer has not noticed yet: not an error. The informer's
   * presence change turns output off and requeues every namespace.
   */
  private waitForPresenceChange(kind: MeshKind | undefined, log: Logger): void {
    log.info({ reason: 'CRDGoingAway', kind }, 'an Istio kind is no longer served; waiting for its informer to notice');
  }

  private gather(namespace: string, policies: readonly AppNetworkPolicy[]): MeshFacts {
    const serviceAccounts = new Map(ingressAppPeers(policies, namespace).map((ref) => [ref, this.serviceAccountsOf(ref)]));
    const apps = new Set(policies.flatMap((p) => (p.spec.app ? [p.spec.app] : [])));
    const pods = new Map([...apps].map((app) => [app, this.appPods(namespace, app).map((pod) => ({ name: pod.metadata!.name!, injected: hasSidecar(pod) }))]));
    const space = this.spaces.present ? this.spaces.get(namespace) : undefined;
    return {
      serviceAccounts,
      pods,
      ...(space?.metadata?.uid ? { space: { name: namespace, uid: space.metadata.uid } } : {}),
      apiServer: this.facts.current().apiServer,
    };
  }

  /** The Kf App's `status.serviceAccountName` when it has one, otherwise those of the app's pods. */
  private serviceAccountsOf(ref: string): string[] {
    const [space, app] = ref.split('/');
    const kfApp = this.facts.apps.present ? (this.facts.apps.get(app, space) as KfApp | undefined) : undefined;
    if (kfApp?.status?.serviceAccountName) return [kfApp.status.serviceAccountName];
    // A pod without serviceAccountName runs as the namespace's `default` account.
    return [...new Set(this.appPods(space, app).map((pod) => pod.spec?.serviceAccountName || 'default'))].sort();
  }

  private appPods(namespace: string, app: string): Pod[] {
    return this.pods.list(namespace).filter((pod) => pod.metadata!.labels?.[LABEL_APP_NAME] === app && !pod.metadata!.deletionTimestamp);
  }

  /** Writes `desired` unless current; returns why it was not written when a same-named object is someone else's. */
  private async write(desired: DesiredMeshObject, log: Logger): Promise<string | undefined> {
    const object = desired as unknown as KubeObject;
    const { name, namespace } = desired.metadata;
    const collectionPath = meshCollectionPath(meshKindInfo(desired.kind), namespace);
    let live = this.meshObjects.get(desired.kind)!.get(name, namespace);
    if (live && isUpToDate(object, live) && sameOwners(object, live)) return undefined;
    if (!live) {
      // The cache holds only objects labelled as ours; it may also lag behind our own last write.
      live = await this.ctx.client.get<KubeObject>(`${collectionPath}/${name}`).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (live && live.metadata?.labels?.[LABEL_MANAGED_BY] !== MANAGED_BY) {
        const message = `${desired.kind} ${namespace}/${name} already exists and is not managed by appnetpol; rename or remove it`;
        log.warn({ reason: 'Conflict', [desired.kind]: name }, message);
        return message;
      }
    }
    // Owners that left are dropped by applying again: server-side apply removes the entries we no longer list.
    const result = await applyIfChanged({ client: this.ctx.client, collectionPath, desired: object, live: live && sameOwners(object, live) ? live : undefined });
    if (result.outcome !== 'unchanged') {
      const outcome = live ? 'updated' : 'created';
      this.ctx.metrics.apiRequests.inc({ kind: desired.kind, verb: 'apply' });
      log.info({ reason: outcome, [desired.kind]: name }, `${desired.kind} ${outcome}`);
    }
    return undefined;
  }

  /** Deletes this namespace's managed mesh objects that the plan no longer has (the last contributor left). */
  private async deleteUnwanted(namespace: string, wanted: readonly DesiredMeshObject[], log: Logger): Promise<void> {
    for (const info of MESH_KINDS) {
      const names = new Set(wanted.filter((o) => o.kind === info.kind).map((o) => o.metadata.name));
      for (const live of this.meshObjects.get(info.kind)!.list(namespace)) {
        const name = live.metadata!.name!;
        if (names.has(name)) continue;
        await this.ctx.client.delete(`${meshCollectionPath(info, namespace)}/${name}`).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
        this.ctx.metrics.apiRequests.inc({ kind: info.kind, verb: 'delete' });
        log.info({ reason: 'deleted', [info.kind]: name }, `${info.kind} deleted: no AppNetworkPolicy contributes to it any more`);
      }
    }
  }
}

/**
 * A write failed because the kind itself is going: its CRD is terminating (403) or no longer served (a
 * 404 without a Status object; a missing object or namespace says NotFound).
 */
function isKindGoingAway(error: unknown): boolean {
  if (!(error instanceof KubeApiError)) return false;
  return (error.status === 404 && error.reason !== 'NotFound') || (error.status === 403 && error.message.includes('custom resource definition is terminating'));
}

/** `<space>/<app>` of every app named as an ingress source by `policies` of `namespace`. */
function ingressAppPeers(policies: readonly AppNetworkPolicy[], namespace: string): string[] {
  const refs = policies.flatMap((p) => (p.spec?.ingress ?? []).flatMap((rule) => rule.from ?? []).flatMap((peer) => (peer.app ? [`${peer.space ?? namespace}/${peer.app}`] : [])));
  return [...new Set(refs)];
}

function hasSidecar(pod: Pod): boolean {
  return Boolean(pod.metadata?.annotations?.[SIDECAR_STATUS_ANNOTATION]) || (pod.spec?.containers ?? []).some((c) => c.name === SIDECAR_CONTAINER);
}

/** Same AppNetworkPolicy and Space owners (by uid): owners other writers added are not ours to compare. */
function sameOwners(desired: KubeObject, live: KubeObject): boolean {
  const ours = (o: KubeObject) =>
    (o.metadata?.ownerReferences ?? [])
      .filter((r) => r.kind === KIND || r.kind === 'Space')
      .map((r) => r.uid)
      .sort()
      .join(',');
  return ours(desired) === ours(live);
}
