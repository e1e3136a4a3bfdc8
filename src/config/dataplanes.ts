/**
 * The dataplanes that enforce NetworkPolicy, as data: each is known by a DaemonSet in a namespace and,
 * where enforcement is optional, by evidence in that DaemonSet that it is on. The operator
 * configuration adds entries for CNIs this list does not know, or states the answer outright.
 */

/** What shows that an optional enforcement is on: a container of the DaemonSet, and how it runs. */
export interface EnforcementEvidence {
  container: string;
  /** An exact argument (in `command` or `args`), such as --enable-network-policy=true. */
  arg?: string;
  /** The image tag must sort at or after this one (date-stamped tags such as v20240813-…). */
  minImageTag?: string;
}

export interface DataplaneSignature {
  /** What the Enforced condition calls it. */
  name: string;
  namespace: string;
  daemonSet: string;
  evidence?: EnforcementEvidence;
}

/** `detect` looks for the signatures; the others state the answer and skip detection. */
export type Enforcement = 'detect' | 'enforced' | 'not-enforced';

export interface DataplaneConfig {
  enforcement: Enforcement;
  /** Signatures added to the known ones. */
  additional: DataplaneSignature[];
}

export const DEFAULT_DATAPLANE: DataplaneConfig = { enforcement: 'detect', additional: [] };

const kubeSystem = (name: string, daemonSet: string, evidence?: EnforcementEvidence): DataplaneSignature => ({ name, namespace: 'kube-system', daemonSet, ...(evidence ? { evidence } : {}) });

export const KNOWN_DATAPLANES: readonly DataplaneSignature[] = [
  kubeSystem('Calico', 'calico-node'),
  // The Tigera operator installs Calico into its own namespace.
  { name: 'Calico (Tigera operator)', namespace: 'calico-system', daemonSet: 'calico-node' },
  kubeSystem('Canal', 'canal'),
  kubeSystem('Cilium', 'cilium'),
  // GKE Dataplane V2 (Cilium-based); the only dataplane of GKE Autopilot.
  kubeSystem('GKE Dataplane V2', 'anetd'),
  kubeSystem('Antrea', 'antrea-agent'),
  kubeSystem('kube-router', 'kube-router'),
  kubeSystem('Weave Net', 'weave-net', { container: 'weave-npc' }),
  kubeSystem('kube-network-policies', 'kube-network-policies'),
  kubeSystem('Romana', 'romana-agent'),
  kubeSystem('Azure Network Policy Manager', 'azure-npm'),
  kubeSystem('Kube-OVN', 'kube-ovn-cni'),
  // kind's kindnet enforces NetworkPolicy from kind v0.24 on, whose kindnetd image is v20240813-c6f155d6.
  kubeSystem('kindnet', 'kindnet', { container: 'kindnet-cni', minImageTag: 'v20240813' }),
  // The AWS VPC CNI enforces only with its network policy agent switched on.
  kubeSystem('AWS VPC CNI network policy agent', 'aws-node', { container: 'aws-eks-nodeagent', arg: '--enable-network-policy=true' }),
  { name: 'OVN-Kubernetes (OpenShift)', namespace: 'openshift-ovn-kubernetes', daemonSet: 'ovnkube-node' },
  { name: 'OVN-Kubernetes', namespace: 'ovn-kubernetes', daemonSet: 'ovnkube-node' },
  { name: 'OpenShift SDN', namespace: 'openshift-sdn', daemonSet: 'sdn' },
];

const name = { type: 'string', minLength: 1 };
export const DATAPLANE_CONFIG_SCHEMA = {
  type: 'object',
  properties: {
    enforcement: { enum: ['detect', 'enforced', 'not-enforced'] },
    additional: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'namespace', 'daemonSet'],
        properties: {
          name,
          namespace: name,
          daemonSet: name,
          evidence: {
            type: 'object',
            required: ['container'],
            properties: { container: name, arg: name, minImageTag: name },
            additionalProperties: false,
          },
        },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;
