/** Operator configuration for Istio output (see docs/istio.md). */

export interface MeshConfig {
  /** Write Istio objects where Istio's CRDs are installed; off writes none even then. */
  enabled: boolean;
  /** First part of every source principal: `<trustDomain>/ns/<space>/sa/<serviceAccount>`. */
  trustDomain: string;
  /**
   * Hosts every Sidecar lists besides the allowed apps, as `<namespace>/<host>`. The mesh control
   * plane's namespace (`entities.meshControlPlane.namespace`) is always added, configured here or not.
   */
  defaultEgressHosts: string[];
  /** Write a `default` PeerAuthentication with mTLS STRICT in each Space. */
  peerAuthentication: boolean;
}

export const DEFAULT_MESH: MeshConfig = {
  enabled: true,
  trustDomain: 'cluster.local',
  defaultEgressHosts: ['istio-system/*'],
  peerAuthentication: true,
};

export const MESH_CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    enabled: { type: 'boolean' },
    trustDomain: { type: 'string', pattern: '^[A-Za-z0-9][-A-Za-z0-9.]*$' },
    // Istio's Sidecar host form: namespace (or * or .) / DNS name (or *-prefixed wildcard).
    defaultEgressHosts: { type: 'array', items: { type: 'string', pattern: '^[^/\\s]+/[^/\\s]+$' } },
    peerAuthentication: { type: 'boolean' },
  },
  additionalProperties: false,
} as const;
