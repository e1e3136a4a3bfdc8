import { describe, expect, it } from '@jest/globals';
import { DEFAULT_DATAPLANE, KNOWN_DATAPLANES, type DataplaneConfig } from '../../../src/config/dataplanes.js';
import { dataplaneNamespaces, detectDataplane, type DaemonSetView } from '../../../src/planner/dataplane.js';

function daemonSet(namespace: string, name: string, containers: { name: string; image?: string; args?: string[]; command?: string[] }[] = [{ name: 'agent' }]): DaemonSetView {
  return { metadata: { namespace, name }, spec: { template: { spec: { containers } } } };
}

const awsNode = (args: string[]) =>
  daemonSet('kube-system', 'aws-node', [
    { name: 'aws-node', image: 'amazon-k8s-cni:v1.19.0' },
    { name: 'aws-eks-nodeagent', image: 'aws-network-policy-agent:v1.2.0', args },
  ]);
const kindnet = (image: string) => daemonSet('kube-system', 'kindnet', [{ name: 'kindnet-cni', image }]);

describe('detectDataplane', () => {
  it.each(KNOWN_DATAPLANES.filter((s) => !s.evidence).map((s) => [s.name, s] as const))('recognises %s by its DaemonSet', (_name, signature) => {
    expect(detectDataplane([daemonSet(signature.namespace, signature.daemonSet)], DEFAULT_DATAPLANE)).toEqual({
      state: 'Detected',
      detail: `NetworkPolicy is enforced by ${signature.name} (DaemonSet ${signature.namespace}/${signature.daemonSet})`,
    });
  });

  it('takes the AWS VPC CNI only with its network policy agent switched on', () => {
    expect(detectDataplane([awsNode(['--enable-network-policy=true'])], DEFAULT_DATAPLANE)).toEqual({
      state: 'Detected',
      detail: 'NetworkPolicy is enforced by AWS VPC CNI network policy agent (DaemonSet kube-system/aws-node, container aws-eks-nodeagent runs with --enable-network-policy=true)',
    });
    const off = detectDataplane([awsNode(['--enable-network-policy=false'])], DEFAULT_DATAPLANE);
    expect(off.state).toBe('NotDetected');
    expect(off.detail).toMatch(
      /^found AWS VPC CNI network policy agent \(DaemonSet kube-system\/aws-node: container aws-eks-nodeagent does not run with --enable-network-policy=true, so enforcement is off\); no DaemonSet of a NetworkPolicy-enforcing dataplane was found in /,
    );
  });

  it('takes kindnet from kind v0.24 on, and no older one', () => {
    expect(detectDataplane([kindnet('docker.io/kindest/kindnetd:v20240813-c6f155d6')], DEFAULT_DATAPLANE).state).toBe('Detected');
    expect(detectDataplane([kindnet('docker.io/kindest/kindnetd:v20250512-df8de77b@sha256:abc')], DEFAULT_DATAPLANE).state).toBe('Detected');
    // kind v0.33.0, what hack/kind-up.sh builds.
    expect(detectDataplane([kindnet('docker.io/kindest/kindnetd:v20260820-69b56db7')], DEFAULT_DATAPLANE).state).toBe('Detected');
    const old = detectDataplane([kindnet('docker.io/kindest/kindnetd:v20240513-cd2ac642')], DEFAULT_DATAPLANE);
    expect(old.state).toBe('NotDetected');
    expect(old.detail).toContain('kindnet (DaemonSet kube-system/kindnet: container kindnet-cni runs image docker.io/kindest/kindnetd:v20240513-cd2ac642, older than v20240813');
  });

  it('takes Weave Net only with its policy controller', () => {
    expect(detectDataplane([daemonSet('kube-system', 'weave-net', [{ name: 'weave' }, { name: 'weave-npc' }])], DEFAULT_DATAPLANE).state).toBe('Detected');
    expect(detectDataplane([daemonSet('kube-system', 'weave-net', [{ name: 'weave' }])], DEFAULT_DATAPLANE).state).toBe('NotDetected');
  });

  it('ignores a known name in another namespace and says where it looked', () => {
    const fact = detectDataplane([daemonSet('default', 'calico-node'), daemonSet('kube-system', 'kube-proxy')], DEFAULT_DATAPLANE);
    expect(fact).toEqual({
      state: 'NotDetected',
      detail:
        'no DaemonSet of a NetworkPolicy-enforcing dataplane was found in calico-system, kube-system, openshift-ovn-kubernetes, openshift-sdn, ovn-kubernetes. ' +
        'If the CNI enforces NetworkPolicy, add it to dataplane.additional in the operator configuration or set dataplane.enforcement: enforced',
    });
  });

  it('recognises configured dataplanes, and looks in their namespaces', () => {
    const config: DataplaneConfig = { enforcement: 'detect', additional: [{ name: 'Acme CNI', namespace: 'acme-net', daemonSet: 'acme-agent', evidence: { container: 'policy', arg: '--policy' } }] };
    expect(dataplaneNamespaces(config)).toContain('acme-net');
    expect(detectDataplane([daemonSet('acme-net', 'acme-agent', [{ name: 'policy', command: ['/agent', '--policy'] }])], config)).toEqual({
      state: 'Detected',
      detail: 'NetworkPolicy is enforced by Acme CNI (DaemonSet acme-net/acme-agent, container policy runs with --policy)',
    });
  });

  it('lets the configuration state the answer outright', () => {
    const calico = [daemonSet('kube-system', 'calico-node')];
    expect(detectDataplane([], { enforcement: 'enforced', additional: [] })).toEqual({
      state: 'Detected',
      detail: 'the operator configuration states that NetworkPolicy is enforced (dataplane.enforcement: enforced)',
    });
    expect(detectDataplane(calico, { enforcement: 'not-enforced', additional: [] })).toEqual({
      state: 'NotEnforced',
      detail: 'the operator configuration states that NetworkPolicy is not enforced (dataplane.enforcement: not-enforced)',
    });
  });
});
