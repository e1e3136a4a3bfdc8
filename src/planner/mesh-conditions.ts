/**
 * How mesh output shows in an AppNetworkPolicy's conditions. The AppNetworkPolicy controller stays the
 * only writer of its status: it passes its own conditions and what the mesh controller published for the
 * policy, and gets back the conditions to write.
 *
 * - Until the mesh controller has handled the policy's current generation there is nothing to write:
 *   the status keeps its older observedGeneration (kstatus: in progress) instead of flapping Programmed to
 *   Unknown and back, which after every restart would rewrite every policy.
 * - Programmed (when the NetworkPolicy is current) also requires every mesh object the policy contributes
 *   to to be written.
 * - ResolvedRefs turns False when an ingress source's service account is unknown: its principal is
 *   missing from the AuthorizationPolicy. Like a missing app, this does not hold back Ready.
 * - Enforced, with mesh output on, says whether the app's pods carry an Istio sidecar; with it off, why.
 */
import type { Condition } from '../api/types.js';
import { condition, Reason } from './conditions.js';
import type { MeshPolicyReport } from './mesh.js';

export const MeshReason = {
  ServiceAccountNotFound: 'ServiceAccountNotFound',
  SidecarsNotInjected: 'SidecarsNotInjected',
  NoPodsObserved: 'NoPodsObserved',
} as const;

/** Whether mesh output is written at all, and if not, why. */
export type MeshMode = { on: true } | { on: false; reason: string };

/** A mesh object that could not be written; `retrying`: a retry alone may succeed (not a refusal or conflict). */
export interface WriteProblem {
  reason: string;
  message: string;
  retrying: boolean;
}

/** What the mesh controller reports for one policy after writing: the plan's report plus write failures. */
export interface MeshResult extends MeshPolicyReport {
  writeProblems: WriteProblem[];
}

export interface MeshView {
  mode: MeshMode;
  /** Undefined until the mesh controller has handled the policy's namespace. */
  result?: MeshResult;
}

/**
 * `conditions` (Accepted, ResolvedRefs, Enforced, Programmed of the NetworkPolicy) with the mesh's part
 * added; undefined while mesh output is on and the mesh result for `generation` is not published yet.
 */
export function withMeshConditions(conditions: readonly Condition[], generation: number | undefined, view: MeshView | undefined): Condition[] | undefined {
  if (!view) return [...conditions];
  if (view.mode.on && view.result?.generation !== generation) return undefined;
  return conditions.map((c) => {
    switch (c.type) {
      case 'Programmed':
        return view.result ? meshProgrammed(c, generation, view.result) : c;
      case 'ResolvedRefs':
        return view.result?.missingServiceAccounts.length ? withMissingServiceAccounts(c, view.result.missingServiceAccounts) : c;
      case 'Enforced':
        return meshEnforced(c, view);
      default:
        return c;
    }
  });
}

function meshProgrammed(programmed: Condition, generation: number | undefined, result: MeshResult): Condition {
  if (programmed.status !== 'True') return programmed;
  if (result.writeProblems.length) {
    const message = result.writeProblems.map((p) => p.message).join('; ');
    return condition('Programmed', 'False', result.writeProblems[0].reason, message, generation);
  }
  const written = result.objects.length ? `; ${result.objects.join(', ')} current` : '; no mesh object applies';
  const notes = result.notes.length ? `. Not in the mesh objects: ${result.notes.join('; ')}` : '';
  return condition('Programmed', 'True', programmed.reason, `${programmed.message}${written}${notes}`, generation);
}

function withMissingServiceAccounts(resolvedRefs: Condition, missing: readonly string[]): Condition {
  const unique = [...new Set(missing)];
  const message =
    `the service account of ${unique.join(', ')} is not known (no Kf App status.serviceAccountName and no pod): ` +
    'the AuthorizationPolicy names no principal for it, so the mesh denies its requests until it is known';
  if (resolvedRefs.status === 'False') return { ...resolvedRefs, message: `${resolvedRefs.message} Also, ${message}.` };
  return condition('ResolvedRefs', 'False', MeshReason.ServiceAccountNotFound, `${message}.`, resolvedRefs.observedGeneration);
}

function meshEnforced(networkPolicy: Condition, view: MeshView): Condition {
  const generation = networkPolicy.observedGeneration;
  if (!view.mode.on) return { ...networkPolicy, message: `${networkPolicy.message}. Mesh output is off: ${view.mode.reason}` };
  const pods = view.result?.injection;
  if (!pods) return networkPolicy;
  const dataplane = `NetworkPolicy: ${networkPolicy.message}`;
  if (pods.pods === 0) {
    return condition('Enforced', 'Unknown', MeshReason.NoPodsObserved, `no pods of the app observed yet, so Istio sidecar injection cannot be checked. ${dataplane}`, generation);
  }
  if (pods.withoutSidecar.length) {
    const message = `${pods.withoutSidecar.length} of ${pods.pods} pods of the app have no Istio sidecar (${pods.withoutSidecar.join(', ')}), so the mesh objects do not apply to them. ${dataplane}`;
    return condition('Enforced', 'False', MeshReason.SidecarsNotInjected, message, generation);
  }
  return condition('Enforced', 'True', Reason.Enforced, `all ${pods.pods} pods of the app have an Istio sidecar that enforces the mesh objects. ${dataplane}`, generation);
}
