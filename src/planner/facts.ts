/** What the planners know about the cluster: gathered by controllers, passed in as plain data. */

export interface ApiServerEndpoints {
  /** Live addresses of the default/kubernetes endpoints. */
  addresses: string[];
  ports: { port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }[];
}

/** NotEnforced: the operator configuration says NetworkPolicy is not enforced. */
export type DataplaneState = 'Detected' | 'NotDetected' | 'NotEnforced';

export interface DataplaneFact {
  state: DataplaneState;
  /** What was found and where (or what was looked for), for the Enforced message. */
  detail: string;
}

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
  dataplane?: DataplaneFact;
}
