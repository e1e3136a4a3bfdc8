/** The shape of every NetworkPolicy the planners generate: labels, the controller owner reference, rules. */
import type {
  V1LabelSelector,
  V1NetworkPolicy,
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicySpec,
  V1ObjectMeta,
} from '@kubernetes/client-node';
import { LABEL_MANAGED_BY, MANAGED_BY } from '../api/types.js';
import type { PlannedRule } from './rules.js';
import { sortedRecord } from './selectors.js';

export interface DesiredNetworkPolicy extends V1NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: V1ObjectMeta & { name: string; namespace: string; labels: Record<string, string> };
  spec: V1NetworkPolicySpec & { podSelector: V1LabelSelector; policyTypes: ('Ingress' | 'Egress')[] };
}

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** The object a generated NetworkPolicy belongs to; the garbage collector deletes the policy with it. */
export interface PolicyOwner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string | undefined;
}

export function ownedNetworkPolicy(
  owner: PolicyOwner,
  metadata: { name: string; namespace: string; labels: Record<string, string> },
  spec: DesiredNetworkPolicy['spec'],
): DesiredNetworkPolicy {
  const { apiVersion, kind, name, uid } = owner;
  if (!uid) throw new Error(`${kind} ${name} has no metadata.uid; an owner reference needs it`);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      labels: sortedRecord({ ...metadata.labels, [LABEL_MANAGED_BY]: MANAGED_BY }),
      ownerReferences: [{ apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

export function ingressRule(rule: PlannedRule): V1NetworkPolicyIngressRule {
  return { ...(rule.ports ? { ports: rule.ports } : {}), ...(rule.peers ? { from: rule.peers } : {}) };
}

export function egressRule(rule: PlannedRule): V1NetworkPolicyEgressRule {
  return { ...(rule.ports ? { ports: rule.ports } : {}), ...(rule.peers ? { to: rule.peers } : {}) };
}
