/** The NetworkPolicies the operator writes, watched through one informer shared by every controller. */
import { LABEL_MANAGED_BY, MANAGED_BY } from '../api/types.js';
import { applyIfChanged, createUnlessExists, isUpToDate, type ApplyOutcome } from '../runtime/apply.js';
import type { ControllerContext } from '../runtime/controller.js';
import type { Informer, InformerOptions } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';

export const NETWORK_POLICY_API = '/apis/networking.k8s.io/v1';

/** Same options everywhere, so SharedInformers runs a single list and watch for them. */
export const MANAGED_NETWORK_POLICIES: InformerOptions = {
  resource: 'networkpolicies',
  path: `${NETWORK_POLICY_API}/networkpolicies`,
  labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}`,
};

/** The shared informer of the NetworkPolicies the operator writes; its size is what appnetpol_managed_objects reports. */
export function managedNetworkPolicies(ctx: ControllerContext): Informer<KubeObject> {
  const informer = ctx.informers.for<KubeObject>(MANAGED_NETWORK_POLICIES);
  ctx.metrics.countManagedObjects('NetworkPolicy', () => informer.list().length);
  return informer;
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
  cache: Informer<KubeObject>,
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
