/**
 * Status conditions: building, merging (keeping transition times), the Ready summary, kstatus's
 * Reconciling and Stalled, change detection.
 */
import type { AppNetworkPolicyStatus, Condition, ConditionStatus, ConditionType } from '../api/types.js';
import { compareText } from './names.js';

export const Reason = {
  Accepted: 'Accepted',
  InvalidSpec: 'InvalidSpec',
  UnknownEntity: 'UnknownEntity',
  ResolvedRefs: 'ResolvedRefs',
  AppNotFound: 'AppNotFound',
  SpaceNotFound: 'SpaceNotFound',
  /** Unknown: references could not be checked (offline, or the spec is invalid). */
  RefsNotChecked: 'RefsNotChecked',
  Programmed: 'Programmed',
  ApplyFailed: 'ApplyFailed',
  Conflict: 'Conflict',
  Enforced: 'Enforced',
  NoEnforcingDataplaneDetected: 'NoEnforcingDataplaneDetected',
  /** False: the operator configuration says NetworkPolicy is not enforced. */
  NotEnforced: 'NotEnforced',
  Ready: 'Ready',
  Reachable: 'Reachable',
  /** False: a declared flow is blocked by the policies of one side. */
  BlockedByPeer: 'BlockedByPeer',
  /** Unknown: the pods of the policy's app or of a peer app are not known. */
  PodsUnknown: 'PodsUnknown',
  /** Unknown: the current generation has not been fully evaluated and written yet. */
  Reconciling: 'Reconciling',
} as const;

/** kstatus's conditions: abnormal-true, so present only while True. */
export const KSTATUS_TYPES = ['Reconciling', 'Stalled'] as const satisfies readonly ConditionType[];

/** metav1.Condition caps messages at 32768 characters; longer ones would be rejected by the API server. */
export const MAX_MESSAGE_LENGTH = 32768;

const CONDITION_ORDER: readonly string[] = ['Accepted', 'ResolvedRefs', 'Programmed', 'Enforced', 'Ready', 'Reachable'];

export function condition(
  type: ConditionType,
  status: ConditionStatus,
  reason: string,
  message: string,
  observedGeneration?: number,
): Condition {
  const fitted = message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 3)}...` : message;
  return {
    type,
    status,
    reason,
    message: fitted,
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
  };
}

function orderOf(type: string): number {
  const index = CONDITION_ORDER.indexOf(type);
  return index === -1 ? CONDITION_ORDER.length : index;
}

/** Stable order (Accepted, ResolvedRefs, Programmed, Enforced, Ready, Reachable, then others by name), so writes are deterministic. */
export function sortConditions(conditions: readonly Condition[]): Condition[] {
  return [...conditions].sort((a, b) => orderOf(a.type) - orderOf(b.type) || compareText(a.type, b.type));
}

/**
 * `updates` replace the existing conditions of the same type; other existing conditions stay, except
 * those of the `removed` types. `lastTransitionTime` is kept while a condition's status is unchanged
 * and set to `now` when it changes.
 */
export function mergeConditions(
  existing: readonly Condition[] | undefined,
  updates: readonly Condition[],
  now: string,
  removed: readonly ConditionType[] = [],
): Condition[] {
  const byType = new Map((existing ?? []).filter((c) => !removed.includes(c.type)).map((c) => [c.type, c]));
  for (const update of updates) {
    const previous = byType.get(update.type);
    const unchanged = previous?.status === update.status && previous.lastTransitionTime !== undefined;
    byType.set(update.type, { ...update, lastTransitionTime: unchanged ? previous.lastTransitionTime : now });
  }
  return sortConditions([...byType.values()]);
}

/** Ready = Accepted True and Programmed True, both for `generation`; otherwise says which one holds it back. */
export function readyCondition(conditions: readonly Condition[], generation: number | undefined): Condition {
  for (const type of ['Accepted', 'Programmed'] as const) {
    const current = conditions.find((c) => c.type === type);
    if (current === undefined || current.observedGeneration !== generation) {
      const message = `${type} has not been evaluated for generation ${generation} yet`;
      return condition('Ready', 'Unknown', Reason.Reconciling, message, generation);
    }
    if (current.status !== 'True') {
      return condition('Ready', current.status, current.reason, `${type} is ${current.status}: ${current.message}`, generation);
    }
  }
  return condition('Ready', 'True', Reason.Ready, 'the spec is accepted and every generated object is written', generation);
}

/**
 * kstatus's Stalled or Reconciling for `conditions` (Accepted and, once written, Programmed), or
 * neither when the generation is programmed. kstatus (Flux, Config Sync, kpt) reads these before
 * Ready, whose False it can only take for "in progress":
 * - Stalled: the generation cannot be programmed without someone's change (an invalid spec, an unknown
 *   entity, a same-named object it will not take over, a write the API server refuses).
 * - Reconciling: the operator is still working on it (not written yet, or a failed write it retries).
 * `retrying` says whether a failed write is one that may succeed on a retry alone.
 */
export function progressConditions(conditions: readonly Condition[], generation: number | undefined, retrying: boolean): Condition[] {
  const accepted = conditions.find((c) => c.type === 'Accepted');
  if (accepted && accepted.status !== 'True') return [condition('Stalled', 'True', accepted.reason, accepted.message, generation)];
  const programmed = conditions.find((c) => c.type === 'Programmed');
  if (!programmed || programmed.status === 'Unknown') {
    return [condition('Reconciling', 'True', Reason.Reconciling, `generation ${generation} is not programmed yet`, generation)];
  }
  if (programmed.status === 'True') return [];
  return retrying
    ? [condition('Reconciling', 'True', programmed.reason, `retrying: ${programmed.message}`, generation)]
    : [condition('Stalled', 'True', programmed.reason, programmed.message, generation)];
}

const COMPARED_FIELDS = ['status', 'reason', 'message', 'observedGeneration', 'lastTransitionTime'] as const;

/** Whether writing `desired` would change `current` (condition order does not matter). */
export function statusNeedsUpdate(current: AppNetworkPolicyStatus | undefined, desired: AppNetworkPolicyStatus): boolean {
  if (current?.observedGeneration !== desired.observedGeneration) return true;
  const currentByType = new Map((current?.conditions ?? []).map((c) => [c.type, c]));
  const wanted = desired.conditions ?? [];
  if (wanted.length !== (current?.conditions ?? []).length) return true;
  return wanted.some((c) => {
    const existing = currentByType.get(c.type);
    return existing === undefined || COMPARED_FIELDS.some((field) => existing[field] !== c[field]);
  });
}

/** Whether an object's Ready condition is True for its current generation (what `kubectl wait` and kstatus look for). */
export function isReady(object: { metadata?: { generation?: number }; status?: AppNetworkPolicyStatus }): boolean {
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && ready.observedGeneration === object.metadata?.generation;
}
