/** Operator configuration for the platform endpoints that `entity` peers name. */
import type { LabelSelector, PortSpec } from '../api/types.js';

/** An entity that lives in pods: selected by namespace name and pod labels. */
export interface PodEntity {
  namespace: string;
  podSelector: LabelSelector;
  ports: PortSpec[];
}

export interface EntityConfig {
  dns: PodEntity;
  ingressGateway: PodEntity;
  meshControlPlane: PodEntity;
  /** Address ranges of pods and services; `world` is everything outside them. */
  clusterCIDRs: string[];
  /** The cluster's DNS domain: Services are `<name>.<namespace>.svc.<clusterDomain>`. */
  clusterDomain: string;
}

export const DEFAULT_ENTITIES: EntityConfig = {
  dns: {
    namespace: 'kube-system',
    podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  },
  ingressGateway: {
    namespace: 'istio-system',
    podSelector: { matchLabels: { istio: 'ingressgateway' } },
    ports: [],
  },
  meshControlPlane: {
    namespace: 'istio-system',
    podSelector: { matchLabels: { app: 'istiod' } },
    ports: [
      { protocol: 'TCP', port: 15010 },
      { protocol: 'TCP', port: 15012 },
      { protocol: 'TCP', port: 15014 },
      { protocol: 'TCP', port: 15017 },
    ],
  },
  clusterCIDRs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
  clusterDomain: 'cluster.local',
};
