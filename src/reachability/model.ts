/**
 * What the NetworkPolicy semantics engine evaluates: namespaces with their labels, pods with labels,
 * IPs and container ports, and flows between pods or between a pod and an address outside the cluster.
 * Plain data, so the controller, the CLI (live or offline) and the tests build it the same way.
 */
import type { V1LabelSelector, V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import type { Protocol } from '../api/types.js';

export type { Protocol };

export interface NamespaceFacts {
  name: string;
  labels: Record<string, string>;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  /** Default TCP, as in the Pod API. */
  protocol?: Protocol;
}

export interface PodFacts {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** May be empty (a pod not yet scheduled, or one stood in for by its Kf App offline). */
  ips: readonly string[];
  ports: readonly ContainerPort[];
}

/** A pod, or an address outside the cluster (which no NetworkPolicy selects). */
export type Endpoint = { pod: PodFacts } | { ip: string };

export interface Flow {
  from: Endpoint;
  to: Endpoint;
  protocol: Protocol;
  port: number;
}

export type PolicyDirection = 'ingress' | 'egress';

export function isPod(endpoint: Endpoint): endpoint is { pod: PodFacts } {
  return 'pod' in endpoint;
}

export function describeEndpoint(endpoint: Endpoint): string {
  return isPod(endpoint) ? `${endpoint.pod.namespace}/${endpoint.pod.name}` : endpoint.ip;
}

/** A `networking.k8s.io/v1` NetworkPolicy in its JSON shape (client-node calls `from` `_from`). */
export interface NetworkPolicyObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    podSelector?: V1LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: V1NetworkPolicyPeer[]; ports?: V1NetworkPolicyPort[] }[];
    egress?: { to?: V1NetworkPolicyPeer[]; ports?: V1NetworkPolicyPort[] }[];
  };
}
