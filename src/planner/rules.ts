/**
 * Spec rules -> NetworkPolicy rules, in spec order.
 *
 * A rule without ports takes, per peer, the ports that peer implies: an entity's own ports when it is
 * the destination (egress), every port otherwise. Ingress from an entity keeps every port because the
 * ports of an ingress rule are those of our own pods, not the entity's. Peers implying different ports
 * are split into one NetworkPolicy rule per port set (first appearance first), because one rule with
 * the union of peers and ports would allow flows nobody asked for.
 *
 * A rule whose peers all expand to nothing (kube-apiserver with no live address) is dropped: an
 * emitted rule without peers would allow everyone.
 */
import type { V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import type { AppNetworkPolicySpec, Peer, PortSpec } from '../api/types.js';
import { expandPeer, type PeerContext } from './peers.js';
import { canonicalPorts } from './selectors.js';

export type Direction = 'ingress' | 'egress';

export interface SpecRule {
  name?: string;
  peers?: Peer[];
  ports?: PortSpec[];
}

export interface PlannedRule {
  /** Undefined: every port. */
  ports?: V1NetworkPolicyPort[];
  /** Undefined: every peer (the spec rule named none). */
  peers?: V1NetworkPolicyPeer[];
}

export interface PlannedRules {
  rules: PlannedRule[];
  /** One message per entity that could not be expanded, naming the rule. */
  unknownEntities: string[];
}

/** The directions the spec lists, in NetworkPolicy order, with `from` / `to` both called `peers`. */
export function specRulesByDirection(spec: AppNetworkPolicySpec): { direction: Direction; rules: SpecRule[] }[] {
  const directions: { direction: Direction; rules: SpecRule[] }[] = [];
  if (spec.ingress) {
    directions.push({ direction: 'ingress', rules: spec.ingress.map((r) => ({ name: r.name, peers: r.from, ports: r.ports })) });
  }
  if (spec.egress) {
    directions.push({ direction: 'egress', rules: spec.egress.map((r) => ({ name: r.name, peers: r.to, ports: r.ports })) });
  }
  return directions;
}

/** How a rule is named in messages: `ingress rule "from-billing"` when named, else `ingress[0]`. */
export function ruleLocation(direction: Direction, index: number, name: string | undefined): string {
  return name ? `${direction} rule "${name}"` : `${direction}[${index}]`;
}

export function planRules(direction: Direction, specRules: readonly SpecRule[], context: PeerContext): PlannedRules {
  const rules: PlannedRule[] = [];
  const unknownEntities: string[] = [];
  specRules.forEach((specRule, index) => {
    const listedPorts = canonicalPorts(specRule.ports);
    if (!specRule.peers?.length) {
      rules.push(listedPorts ? { ports: listedPorts } : {});
      return;
    }
    const byPorts = new Map<string, PlannedRule & { peers: V1NetworkPolicyPeer[] }>();
    for (const peer of specRule.peers) {
      const expansion = expandPeer(peer, context);
      if ('unknownEntity' in expansion) {
        unknownEntities.push(`${ruleLocation(direction, index, specRule.name)}: ${expansion.unknownEntity}`);
        continue;
      }
      if (!expansion.peers.length) continue;
      const ports = listedPorts ?? (direction === 'egress' ? expansion.ownPorts : undefined);
      const key = JSON.stringify(ports ?? null);
      const group = byPorts.get(key) ?? { ...(ports ? { ports } : {}), peers: [] };
      group.peers.push(...expansion.peers);
      byPorts.set(key, group);
    }
    rules.push(...byPorts.values());
  });
  return { rules, unknownEntities };
}
