/** What the planners know about the cluster: gathered by controllers, passed in as plain data. */

export interface ApiServerEndpoints {
  /** Live addresses of the default/kubernetes endpoints. */
  addresses: string[];
  ports: { port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }[];
}

export type DataplaneState = 'Detected' | 'NotDetected';

export interface ClusterFacts {
  /** Names of namespaces (Spaces) that exist; undefined when not observed (offline rendering). */
  namespaces?: ReadonlySet<string>;
  /**
   * Kf App names per namespace; undefined when the apps.kf.dev CRD is not installed, in which case
   * app references cannot be checked and are taken as resolved.
   */
  apps?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Undefined until the endpoints have been observed. */
  apiServer?: ApiServerEndpoints;
  /** Whether a NetworkPolicy-enforcing dataplane was detected, and what was seen; undefined offline. */
  dataplane?: { state: DataplaneState; detail: string };
}
