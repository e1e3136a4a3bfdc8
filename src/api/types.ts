/** TypeScript view of the resources appnetpol reads and writes (networking.kf.dev/v1alpha1). */

export const GROUP = 'networking.kf.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'AppNetworkPolicy';
export const PLURAL = 'appnetworkpolicies';
/** Collection path of AppNetworkPolicies in all namespaces. */
export const POLICIES_PATH = `/apis/${API_VERSION}/${PLURAL}`;

export const FIELD_MANAGER = 'appnetpol';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** Value of LABEL_MANAGED_BY on every object appnetpol writes. */
export const MANAGED_BY = 'appnetpol';
export const LABEL_POLICY = 'networking.kf.dev/policy';
export const LABEL_SPACE = 'networking.kf.dev/space';
export const LABEL_WORKLOAD = 'kf.dev/networkpolicy';
/** Kf labels an App's pods with the App name under this key. */
export const LABEL_APP_NAME = 'app.kubernetes.io/name';
/** Namespace peers match on this label only: the API server sets it and tenants cannot. */
export const LABEL_NAMESPACE_NAME = 'kubernetes.io/metadata.name';

export type Workload = 'App' | 'Build';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type EntityName = 'dns' | 'kube-apiserver' | 'ingress-gateway' | 'mesh-control-plane' | 'world' | 'cluster';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** Exactly one peer kind per peer: {app, space}, {selector, namespaceSelector}, {entity} or {cidr, except}. */
export interface Peer {
  app?: string;
  /** Space (= namespace) of the app; omitted means the policy's own namespace. */
  space?: string;
  selector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  entity?: EntityName;
  cidr?: string;
  except?: string[];
}

export interface PortSpec {
  protocol?: Protocol;
  /** A number 1-65535 or a named container port. */
  port?: number | string;
  endPort?: number;
}

export interface IngressRule {
  name?: string;
  from?: Peer[];
  ports?: PortSpec[];
}

export interface EgressRule {
  name?: string;
  to?: Peer[];
  ports?: PortSpec[];
}

export interface AppNetworkPolicySpec {
  app?: string;
  selector?: LabelSelector;
  workload?: Workload;
  ingress?: IngressRule[];
  egress?: EgressRule[];
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';
export type ConditionType = 'Accepted' | 'ResolvedRefs' | 'Programmed' | 'Enforced' | 'Ready' | 'Reachable' | 'Reconciling' | 'Stalled';

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface AppNetworkPolicyStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

/** Object metadata as far as appnetpol reads it (the API server sends more). */
export interface ObjectMetadata {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

/** Metadata of an object that has its name. */
export type ObjectMeta = ObjectMetadata & { name: string };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface AppNetworkPolicy {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: AppNetworkPolicySpec;
  status?: AppNetworkPolicyStatus;
}
