/**
 * Who wrote a NetworkPolicy, told from its labels and name: a Space baseline or essentials policy
 * (appnetpol's Space controller), Kf's own Space policy, the NetworkPolicy of an AppNetworkPolicy, or
 * someone else. Messages name the Space setting or the AppNetworkPolicy a person would change.
 */
import { LABEL_MANAGED_BY, LABEL_POLICY, LABEL_SPACE, LABEL_WORKLOAD, MANAGED_BY } from '../api/types.js';
import { SPACE_POLICY_NAMES } from '../planner/names.js';
import type { PolicyRef } from './engine.js';
import type { NetworkPolicyObject, PolicyDirection } from './model.js';

export type PolicyOrigin =
  | { kind: 'space-baseline'; space: string; workload: 'app' | 'build' }
  | { kind: 'space-essentials'; space: string; workload: 'app' | 'build' }
  | { kind: 'kf-space'; space: string; workload: 'app' | 'build' }
  | { kind: 'appnetworkpolicy'; namespace: string; name: string }
  | { kind: 'other' };

const KF_SPACE_POLICY = /^space-(app|build)-policy$/;

export function policyOrigin(ref: PolicyRef): PolicyOrigin {
  const labels = ref.labels;
  const workload = labels[LABEL_WORKLOAD] === 'build' ? 'build' : 'app';
  const kf = KF_SPACE_POLICY.exec(ref.name);
  if (kf) return { kind: 'kf-space', space: ref.namespace, workload: kf[1] as 'app' | 'build' };
  if (labels[LABEL_MANAGED_BY] !== MANAGED_BY) return { kind: 'other' };
  if (labels[LABEL_SPACE] !== undefined) {
    const names = SPACE_POLICY_NAMES[workload];
    if (ref.name === names.baseline) return { kind: 'space-baseline', space: ref.namespace, workload };
    if (ref.name === names.essentials) return { kind: 'space-essentials', space: ref.namespace, workload };
  }
  if (labels[LABEL_POLICY] !== undefined) return { kind: 'appnetworkpolicy', namespace: ref.namespace, name: labels[LABEL_POLICY] };
  return { kind: 'other' };
}

/** `NetworkPolicy ns/name (Space ns baseline for apps)` and the like. */
export function describePolicy(ref: PolicyRef): string {
  const origin = policyOrigin(ref);
  const base = `NetworkPolicy ${ref.namespace}/${ref.name}`;
  switch (origin.kind) {
    case 'space-baseline':
      return `${base} (Space ${origin.space} baseline for ${origin.workload} pods)`;
    case 'space-essentials':
      return `${base} (Space ${origin.space} platform essentials for ${origin.workload} pods)`;
    case 'kf-space':
      return `${base} (Kf's own policy of Space ${origin.space})`;
    case 'appnetworkpolicy':
      return `${base} (AppNetworkPolicy ${origin.namespace}/${origin.name})`;
    case 'other':
      return base;
  }
}

/**
 * The Space setting a baseline policy stands for in one direction: DenyAll when it isolates the
 * direction with no rule (how both appnetpol and Kf write DenyAll), otherwise PermitAll.
 */
export function spaceSetting(policy: NetworkPolicyObject | undefined, direction: PolicyDirection): 'PermitAll' | 'DenyAll' | undefined {
  if (!policy?.spec) return undefined;
  const types = policy.spec.policyTypes ?? [];
  if (!types.includes(direction === 'ingress' ? 'Ingress' : 'Egress')) return 'PermitAll';
  return policy.spec[direction]?.length ? 'PermitAll' : 'DenyAll';
}

/** `spec.networkConfig.appNetworkPolicy.ingress` */
export function spaceSettingField(workload: 'app' | 'build', direction: PolicyDirection): string {
  return `spec.networkConfig.${workload}NetworkPolicy.${direction}`;
}
