/** Operator configuration for the essentials policies of Spaces with a DenyAll direction. */
import type { PortSpec } from '../api/types.js';

/**
 * What a Space's DenyAll must not cut off, written as a separate "essentials" NetworkPolicy next to
 * the baseline: cluster DNS and the mesh control plane for app and build pods, ingress from the ingress
 * gateway for app pods, and `buildEgress` for build pods (registries, source hosts). Endpoints come from
 * `entities`.
 */
export interface EssentialsConfig {
  /** Write essentials policies at all; off leaves a DenyAll Space with exactly what its baseline says. */
  enabled: boolean;
  /** Extra egress for build pods whose egress is DenyAll; no ports means every port. */
  buildEgress: { cidr: string; ports?: PortSpec[] }[];
}

export const DEFAULT_ESSENTIALS: EssentialsConfig = { enabled: true, buildEgress: [] };
