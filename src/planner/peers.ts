/**
 * One spec peer -> NetworkPolicy peers, plus the ports the peer implies when its rule lists none.
 *
 * - {app, space}: the app's `kf.dev/networkpolicy=app` pods (apps talk to apps, not to builds) in the
 *   space, which defaults to the policy's namespace and is always pinned by `kubernetes.io/metadata.name`.
 * - {selector, namespaceSelector}: as given; without a namespaceSelector, the policy's own namespace (pinned).
 * - {cidr, except}: an ipBlock.
 * - {entity}: expanded from the operator's entity configuration and the observed API server endpoints.
 */
import type { V1IPBlock, V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import type { Peer } from '../api/types.js';
import type { EntityConfig, PodEntity } from '../config/entities.js';
import type { ApiServerEndpoints } from './facts.js';
import { compareText } from './names.js';
import { appPodSelector, canonicalPorts, canonicalSelector, namespaceNamed } from './selectors.js';

export interface PeerContext {
  /** The AppNetworkPolicy's namespace. */
  namespace: string;
  entities: EntityConfig;
  apiServer: ApiServerEndpoints | undefined;
}

export type PeerExpansion =
  | {
      peers: V1NetworkPolicyPeer[];
      /** Ports the peer listens on, used for egress rules without ports; undefined: every port. */
      ownPorts?: V1NetworkPolicyPort[];
    }
  | { unknownEntity: string };

const POD_ENTITIES = {
  dns: 'dns',
  'ingress-gateway': 'ingressGateway',
  'mesh-control-plane': 'meshControlPlane',
} as const satisfies Record<string, keyof EntityConfig>;

const ENTITY_NAMES = [...Object.keys(POD_ENTITIES), 'kube-apiserver', 'world', 'cluster'];

/**
 * Where no cluster range of an address family is configured, `world` still leaves out that family's
 * private ranges, so a dual-stack cluster is not opened up by a config written for one family.
 */
const PRIVATE_RANGES = {
  ipv4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
  ipv6: ['fc00::/7'],
};

function isIPv6(addressOrCidr: string): boolean {
  return addressOrCidr.includes(':');
}

function ipBlock(cidr: string, except: readonly string[] | undefined): V1IPBlock {
  return { cidr, ...(except?.length ? { except: [...except] } : {}) };
}

export function expandPeer(peer: Peer, context: PeerContext): PeerExpansion {
  if (peer.entity !== undefined) return expandEntity(peer.entity, context);
  if (peer.cidr !== undefined) return { peers: [{ ipBlock: ipBlock(peer.cidr, peer.except) }] };
  if (peer.app !== undefined) {
    const namespaceSelector = namespaceNamed(peer.space ?? context.namespace);
    return { peers: [{ podSelector: appPodSelector(peer.app, 'App'), namespaceSelector }] };
  }
  const namespaceSelector = peer.namespaceSelector ? canonicalSelector(peer.namespaceSelector) : namespaceNamed(context.namespace);
  return { peers: [{ podSelector: canonicalSelector(peer.selector), namespaceSelector }] };
}

function expandEntity(entity: string, context: PeerContext): PeerExpansion {
  if (Object.hasOwn(POD_ENTITIES, entity)) {
    const key = POD_ENTITIES[entity as keyof typeof POD_ENTITIES];
    // Configuration loaded from a file may lack an entry even though the type requires it.
    const config: PodEntity | undefined = context.entities[key];
    if (config === undefined) {
      return { unknownEntity: `entity "${entity}" is not configured (the operator's entity configuration has no "${key}")` };
    }
    return {
      peers: [{ podSelector: canonicalSelector(config.podSelector), namespaceSelector: namespaceNamed(config.namespace) }],
      ownPorts: canonicalPorts(config.ports),
    };
  }
  switch (entity) {
    case 'kube-apiserver':
      return apiServerPeers(context.apiServer);
    case 'world':
      return { peers: worldPeers(context.entities.clusterCIDRs) };
    case 'cluster':
      return { peers: [{ namespaceSelector: {} }] };
    default:
      return { unknownEntity: `entity "${entity}" is not one of ${ENTITY_NAMES.join(', ')}` };
  }
}

/**
 * One ipBlock per live address. Addresses and ports are sorted and de-duplicated because endpoints
 * may list them in any order, and a reordering must not cause a rewrite.
 */
function apiServerPeers(apiServer: ApiServerEndpoints | undefined): PeerExpansion {
  if (apiServer === undefined) {
    return {
      unknownEntity:
        'entity "kube-apiserver" cannot be expanded before the addresses of the default/kubernetes endpoints ' +
        'are observed (evaluated again as soon as they are)',
    };
  }
  const addresses = [...new Set(apiServer.addresses)].sort();
  const ports = [...new Map(apiServer.ports.map((p) => [`${p.protocol}/${p.port}`, p])).values()].sort(
    (a, b) => compareText(a.protocol, b.protocol) || a.port - b.port,
  );
  return {
    peers: addresses.map((address) => ({ ipBlock: ipBlock(`${address}/${isIPv6(address) ? 128 : 32}`, undefined) })),
    ownPorts: canonicalPorts(ports),
  };
}

/** Everything outside the configured cluster ranges, per address family. */
function worldPeers(clusterCIDRs: readonly string[]): V1NetworkPolicyPeer[] {
  const ipv6 = clusterCIDRs.filter(isIPv6);
  const ipv4 = clusterCIDRs.filter((cidr) => !isIPv6(cidr));
  return [
    { ipBlock: ipBlock('0.0.0.0/0', ipv4.length ? ipv4 : PRIVATE_RANGES.ipv4) },
    { ipBlock: ipBlock('::/0', ipv6.length ? ipv6 : PRIVATE_RANGES.ipv6) },
  ];
}
