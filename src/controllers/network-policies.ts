/**
 * The NetworkPolicies of the cluster, watched through one informer shared by every controller: the
 * Reachable condition reads every NetworkPolicy, the controllers the ones the operator writes.
 */
import { LABEL_MANAGED_BY, MANAGED_BY } from '../api/types.js';
import { applyIfChanged, createUnlessExists, isUpToDate, type ApplyOutcome } from '../runtime/apply.js';
import type { ControllerContext } from '../runtime/controller.js';
import { only, type InformerHandlers, type InformerOptions } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';

export const NETWORK_POLICY_API = '/apis/networking.k8s.io/v1';

const KEPT_METADATA_OTHERS = ['name', 'namespace', 'uid', 'resourceVersion', 'labels', 'ownerReferences'];
const KEPT_METADATA = [...KEPT_METADATA_OTHERS, 'annotations'];

/**
 * Every NetworkPolicy with only what its readers use: name, namespace, labels and spec for the
 * reachability engine; owner references, so an object that lost the operator's label still wakes its
 * owner; annotations as well on the operator's own, which writes compare.
 * Same options everywhere, so SharedInformers runs a single list and watch for them.
 */
export const NETWORK_POLICIES: InformerOptions = {
  resource: 'networkpolicies',
  path: `${NETWORK_POLICY_API}/networkpolicies`,
  trim: (obj) => {
    obj.metadata = only(obj.metadata ?? {}, isManaged(obj) ? KEPT_METADATA : KEPT_METADATA_OTHERS);
    if (obj.status !== undefined) delete obj.status;
  },
};

function isManaged(np: KubeObject): boolean {
  return np.metadata?.labels?.[LABEL_MANAGED_BY] === MANAGED_BY;
}

/** What writes read of the NetworkPolicies the operator wrote (labelled as its own). */
export interface ManagedNetworkPolicies {
  get(name: string, namespace: string): KubeObject | undefined;
  list(): KubeObject[];
  /**
   * Events of every NetworkPolicy, labelled or not: one that lost the operator's label must still
   * wake its owner, which puts the label back. Handlers pick their own by owner reference.
   */
  on(handlers: InformerHandlers<KubeObject>): void;
}

/** The operator's NetworkPolicies, a view of the shared informer; its size is what appnetpol_managed_objects reports. */
export function managedNetworkPolicies(ctx: ControllerContext): ManagedNetworkPolicies {
  const informer = ctx.informers.for<KubeObject>(NETWORK_POLICIES);
  const view: ManagedNetworkPolicies = {
    get: (name, namespace) => {
      const np = informer.get(name, namespace);
      return np && isManaged(np) ? np : undefined;
    },
    list: () => informer.list().filter(isManaged),
    on: (handlers) => informer.on(handlers),
  };
  ctx.metrics.countManagedObjects('NetworkPolicy', () => view.list().length);
  return view;
}

export function networkPolicyCollection(namespace: string): string {
  return `${NETWORK_POLICY_API}/namespaces/${namespace}/networkpolicies`;
}

/** Name of the object of `kind` that controls `object`, if one does. */
export function controllerOwnerName(object: KubeObject, kind: string): string | undefined {
  return object.metadata?.ownerReferences?.find((r) => r.controller && r.kind === kind)?.name;
}

/** Whether `owner` is among the owners of `object` (by uid: a re-created owner is a different owner). */
export function ownedBy(object: KubeObject, owner: KubeObject): boolean {
  return (object.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.metadata!.uid);
}

export type WriteResult = { outcome: ApplyOutcome; object?: KubeObject } | { outcome: 'conflict'; message: string };

/**
 * Writes `desired` for `owner` when the cached object differs. A same-named object that `owner`
 * does not own is never taken over: the result says so and the caller reports it. `drifted`: the
 * owner's wish did not change since it was last written, so an update undoes somebody else's change
 * and is reported with an Event (a user's own spec change is not news to them).
 */
export async function writeOwnedNetworkPolicy(
  ctx: ControllerContext,
  cache: ManagedNetworkPolicies,
  owner: KubeObject,
  desired: KubeObject,
  log: Logger,
  drifted = true,
): Promise<WriteResult> {
  const { name, namespace } = desired.metadata as { name: string; namespace: string };
  const collectionPath = networkPolicyCollection(namespace);
  let live = cache.get(name, namespace);
  if (live && isUpToDate(desired, live)) return { outcome: 'unchanged' };
  if (!live) {
    // The cache holds only objects labelled as ours: a same-named object may exist without the label.
    const found = await createUnlessExists(ctx.client, collectionPath, desired);
    if ('created' in found) return written(ctx, owner, desired, log, { outcome: 'created', object: found.created }, drifted);
    live = found.existing;
  }
  if (live && !ownedBy(live, owner)) {
    return { outcome: 'conflict', message: `NetworkPolicy ${namespace}/${name} already exists and is not managed by this ${owner.kind}; rename or remove it` };
  }
  const result = await applyIfChanged({ client: ctx.client, collectionPath, desired, live });
  return result.outcome === 'unchanged' ? result : written(ctx, owner, desired, log, result, drifted);
}

/** Counts, logs and (for a correction) reports a write. */
async function written(ctx: ControllerContext, owner: KubeObject, desired: KubeObject, log: Logger, result: { outcome: ApplyOutcome; object?: KubeObject }, drifted: boolean): Promise<WriteResult> {
  const { name, namespace } = desired.metadata as { name: string; namespace: string };
  ctx.metrics.apiRequests.inc({ kind: 'NetworkPolicy', verb: result.outcome === 'created' ? 'create' : 'apply' });
  log.info({ reason: result.outcome, networkPolicy: name }, `NetworkPolicy ${result.outcome}`);
  if (result.outcome === 'updated' && drifted) await ctx.events.record(owner, 'Normal', 'Updated', `NetworkPolicy ${namespace}/${name} was brought back to the desired state`);
  return result;
}
