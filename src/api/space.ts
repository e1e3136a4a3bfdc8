/** TypeScript view of the Kf Space (kf.dev/v1alpha1, cluster-scoped): only the fields appnetpol reads. */
import type { ObjectMeta } from './types.js';

export const KF_API_VERSION = 'kf.dev/v1alpha1';
export const SPACE_KIND = 'Space';
export const SPACES_PATH = `/apis/${KF_API_VERSION}/spaces`;

/** Kf's two values; empty or absent means PermitAll, anything else is invalid. */
export type NetworkPolicyValue = 'PermitAll' | 'DenyAll';

/**
 * One workload's baseline. Kf's CRD types each direction as a free string, so the values are left
 * `unknown` here: the planner, not the type, decides what is valid.
 */
export interface WorkloadNetworkConfig {
  ingress?: unknown;
  egress?: unknown;
}

export interface SpaceNetworkConfig {
  appNetworkPolicy?: WorkloadNetworkConfig;
  buildNetworkPolicy?: WorkloadNetworkConfig;
}

export interface Space {
  apiVersion: typeof KF_API_VERSION;
  kind: typeof SPACE_KIND;
  /** The Space's namespace has the Space's name. */
  metadata: ObjectMeta;
  spec?: { networkConfig?: SpaceNetworkConfig };
}

export function isSpace(object: unknown): object is Space {
  if (typeof object !== 'object' || object === null) return false;
  const { apiVersion, kind } = object as Record<string, unknown>;
  return apiVersion === KF_API_VERSION && kind === SPACE_KIND;
}
