/**
 * The NetworkPolicy semantics engine: whether a flow gets through the `networking.k8s.io/v1`
 * NetworkPolicies in play, and why.
 *
 * Kubernetes semantics, per direction (egress on the source pod, ingress on the destination pod):
 * - A pod is isolated for a direction when some policy in its namespace selects it (podSelector) and
 *   lists that direction in `policyTypes`. Absent `policyTypes` defaults as the API server does:
 *   Ingress always, Egress when the policy has egress rules. A pod nobody isolates allows everything.
 * - An isolated direction allows exactly the union of its selecting policies' rules. A rule without
 *   peers admits every peer, one without ports every port. A peer is an ipBlock (cidr minus except,
 *   matched against pod IPs and outside addresses alike), or pods: podSelector (absent = all pods) in
 *   the namespaces of namespaceSelector (absent = the policy's own namespace, empty = all namespaces);
 *   both given means both must hold.
 * - Ports: protocol defaults to TCP; no port means every port of the protocol; `endPort` makes a range;
 *   a named port is resolved on the destination pod (its container port of that name and protocol).
 * - An address outside the cluster has no policies: its side of the flow is always open.
 * - Both directions must allow a flow between two pods.
 *
 * Policies are indexed by namespace, selectors compiled once, and the policies selecting each pod cached,
 * so evaluating a flow looks only at the rules of the policies that select its two ends. Policies and
 * namespaces can be replaced one at a time (the controller keeps one engine current from its
 * informers); only the caches they affect are recomputed.
 */
import type { V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { LABEL_NAMESPACE_NAME } from '../api/types.js';
import { isPod, type Endpoint, type Flow, type NamespaceFacts, type NetworkPolicyObject, type PodFacts, type PolicyDirection, type Protocol } from './model.js';
import { intersectPorts, isEmptyPortSet, MAX_PORT, normalizePorts, NO_PORTS, portsInclude, unionPorts, type PortRange, type PortSet } from './ports.js';
import { compileSelector, type LabelMatcher } from './selectors.js';

export interface PolicyRef {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** A rule that admits a flow: its position in the policy, and the peer that matched (none: the rule names no peers). */
export interface RuleRef {
  policy: PolicyRef;
  direction: PolicyDirection;
  rule: number;
  peer?: number;
}

export interface DirectionVerdict {
  direction: PolicyDirection;
  /** The end this direction is about: the source for egress, the destination for ingress. */
  subject: Endpoint;
  /** Policies selecting the subject for this direction; empty: not isolated, everything allowed. */
  selectedBy: PolicyRef[];
  admittedBy: RuleRef[];
  allowed: boolean;
}

export interface Verdict {
  allowed: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
}

export interface EngineInput {
  namespaces: readonly NamespaceFacts[];
  networkPolicies: readonly NetworkPolicyObject[];
}

interface CompiledPeer {
  index: number;
  matches(endpoint: Endpoint): boolean;
}

interface CompiledPort {
  protocol: Protocol;
  /** Absent with `name` absent: every port of the protocol. */
  from?: number;
  to?: number;
  name?: string;
}

interface CompiledRule {
  index: number;
  /** Undefined: every peer. */
  peers?: CompiledPeer[];
  /** Undefined: every port. */
  ports?: CompiledPort[];
  /** Whether a port is named: the rule's ports then depend on the destination pod. */
  namedPorts: boolean;
  /** The rule's ports when none is named, resolved on first use (most compiled rules are never evaluated). */
  fixedPorts?: PortSet;
}

interface CompiledPolicy {
  ref: PolicyRef;
  podSelector: LabelMatcher;
  /** Undefined: the policy does not list the direction. */
  ingress?: CompiledRule[];
  egress?: CompiledRule[];
}

type Selecting = Record<PolicyDirection, CompiledPolicy[]>;

export class PolicyEngine implements NamespaceLabels {
  private readonly namespaceLabels = new Map<string, Readonly<Record<string, string>>>();
  private readonly policiesByNamespace = new Map<string, Map<string, CompiledPolicy>>();
  /** Per namespace, bumped when its policies change: cached selections of older versions are stale. */
  private readonly policyVersions = new Map<string, number>();
  /** Bumped when any namespace's labels change: cached namespaceSelector matches are stale. */
  private namespaceLabelsVersion = 0;
  private readonly selecting = new WeakMap<PodFacts, Selecting & { version: number }>();

  constructor(input: EngineInput = { namespaces: [], networkPolicies: [] }) {
    input.namespaces.forEach((ns) => this.setNamespace(ns));
    input.networkPolicies.forEach((policy) => this.setPolicy(policy));
  }

  /** Adds or replaces a namespace's labels. */
  setNamespace(namespace: NamespaceFacts): void {
    this.namespaceLabels.set(namespace.name, { ...namespace.labels, [LABEL_NAMESPACE_NAME]: namespace.name });
    this.namespaceLabelsVersion++;
  }

  removeNamespace(name: string): void {
    if (this.namespaceLabels.delete(name)) this.namespaceLabelsVersion++;
  }

  /** Adds or replaces a NetworkPolicy (by namespace and name). */
  setPolicy(policy: NetworkPolicyObject): void {
    const compiled = this.compilePolicy(policy);
    const { namespace, name } = compiled.ref;
    let policies = this.policiesByNamespace.get(namespace);
    if (!policies) this.policiesByNamespace.set(namespace, (policies = new Map()));
    policies.set(name, compiled);
    this.policyVersions.set(namespace, (this.policyVersions.get(namespace) ?? 0) + 1);
  }

  /** Which pods a policy selects (its podSelector), while it is known. */
  podSelectorOf(namespace: string, name: string): LabelMatcher | undefined {
    return this.policiesByNamespace.get(namespace)?.get(name)?.podSelector;
  }

  removePolicy(namespace: string, name: string): void {
    if (!this.policiesByNamespace.get(namespace)?.delete(name)) return;
    this.policyVersions.set(namespace, (this.policyVersions.get(namespace) ?? 0) + 1);
  }

  /** Changes whenever a namespace's labels do. */
  get namespaceVersion(): number {
    return this.namespaceLabelsVersion;
  }

  hasNamespace(name: string): boolean {
    return this.namespaceLabels.has(name);
  }

  /** Labels of a namespace; one not described has only the name label the API server sets on every namespace. */
  labelsOfNamespace(namespace: string): Readonly<Record<string, string>> {
    return this.namespaceLabels.get(namespace) ?? { [LABEL_NAMESPACE_NAME]: namespace };
  }

  /** The flow's verdict with, per direction, the policies that select its subject and the rules that admit it. */
  evaluate(flow: Flow): Verdict {
    const egress = this.evaluateDirection('egress', flow.from, flow.to, flow);
    const ingress = this.evaluateDirection('ingress', flow.to, flow.from, flow);
    return { allowed: egress.allowed && ingress.allowed, egress, ingress };
  }

  /** Every port and protocol on which `from` may reach `to`: the intersection of what each direction admits. */
  allowedPorts(from: Endpoint, to: Endpoint): PortSet {
    const egress = this.admittedPorts('egress', from, to, to);
    if (isEmptyPortSet(egress)) return NO_PORTS;
    return intersectPorts(egress, this.admittedPorts('ingress', to, from, to));
  }

  /** Policies in the pod's namespace that select it for `direction`. */
  policiesSelecting(pod: PodFacts, direction: PolicyDirection): PolicyRef[] {
    return this.selectingPolicies(pod)[direction].map((p) => p.ref);
  }

  private evaluateDirection(direction: PolicyDirection, subject: Endpoint, peer: Endpoint, flow: Flow): DirectionVerdict {
    const policies = isPod(subject) ? this.selectingPolicies(subject.pod)[direction] : [];
    const admittedBy: RuleRef[] = [];
    for (const policy of policies) {
      for (const rule of policy[direction]!) {
        const peerIndex = matchingPeer(rule, peer);
        if (peerIndex === false) continue;
        if (!portsInclude(rulePorts(rule, flow.to), flow.protocol, flow.port)) continue;
        admittedBy.push({ policy: policy.ref, direction, rule: rule.index, ...(peerIndex === undefined ? {} : { peer: peerIndex }) });
      }
    }
    const selectedBy = policies.map((p) => p.ref);
    return { direction, subject, selectedBy, admittedBy, allowed: !policies.length || admittedBy.length > 0 };
  }

  private admittedPorts(direction: PolicyDirection, subject: Endpoint, peer: Endpoint, destination: Endpoint): PortSet {
    if (!isPod(subject)) return 'all';
    const policies = this.selectingPolicies(subject.pod)[direction];
    if (!policies.length) return 'all';
    const admitted: PortSet[] = [];
    for (const policy of policies) {
      for (const rule of policy[direction]!) {
        if (matchingPeer(rule, peer) === false) continue;
        const ports = rulePorts(rule, destination);
        if (ports === 'all') return 'all';
        admitted.push(ports);
      }
    }
    return admitted.length ? unionPorts(admitted) : NO_PORTS;
  }

  private selectingPolicies(pod: PodFacts): Selecting {
    const version = this.policyVersions.get(pod.namespace) ?? 0;
    let cached = this.selecting.get(pod);
    if (!cached || cached.version !== version) {
      cached = { ingress: [], egress: [], version };
      for (const policy of this.policiesByNamespace.get(pod.namespace)?.values() ?? []) {
        if (!policy.podSelector.matches(pod.labels)) continue;
        if (policy.ingress) cached.ingress.push(policy);
        if (policy.egress) cached.egress.push(policy);
      }
      this.selecting.set(pod, cached);
    }
    return cached;
  }

  private compilePolicy(policy: NetworkPolicyObject): CompiledPolicy {
    const namespace = policy.metadata?.namespace ?? 'default';
    const ref: PolicyRef = { namespace, name: policy.metadata?.name ?? '', labels: policy.metadata?.labels ?? {} };
    const spec = policy.spec;
    const types = spec?.policyTypes?.length ? spec.policyTypes : ['Ingress', ...(spec?.egress?.length ? ['Egress'] : [])];
    const compileRules = (rules: { ports?: V1NetworkPolicyPort[]; peers?: V1NetworkPolicyPeer[] }[]) =>
      rules.map((rule, index) => this.compileRule(index, rule.peers, rule.ports, namespace));
    return {
      ref,
      // An absent podSelector decodes as the empty one in the API: every pod of the namespace.
      podSelector: compileSelector(spec?.podSelector ?? {}),
      ...(types.includes('Ingress') ? { ingress: compileRules((spec?.ingress ?? []).map((r) => ({ ports: r.ports, peers: r.from }))) } : {}),
      ...(types.includes('Egress') ? { egress: compileRules((spec?.egress ?? []).map((r) => ({ ports: r.ports, peers: r.to }))) } : {}),
    };
  }

  private compileRule(index: number, peers: V1NetworkPolicyPeer[] | undefined, ports: V1NetworkPolicyPort[] | undefined, namespace: string): CompiledRule {
    const rule: CompiledRule = {
      index,
      ...(peers?.length ? { peers: peers.map((peer, i) => this.compilePeer(i, peer, namespace)) } : {}),
      ...(ports?.length ? { ports: ports.map(compilePort) } : {}),
      namedPorts: false,
    };
    rule.namedPorts = rule.ports?.some((p) => p.name !== undefined) ?? false;
    return rule;
  }

  private compilePeer(index: number, peer: V1NetworkPolicyPeer, policyNamespace: string): CompiledPeer {
    if (peer.ipBlock) return { index, matches: ipBlockMatcher(peer.ipBlock.cidr, peer.ipBlock.except ?? []) };
    // A peer naming nothing is rejected by the API server; here it admits nobody.
    if (!peer.podSelector && !peer.namespaceSelector) return { index, matches: () => false };
    const pods = peer.podSelector ? compileSelector(peer.podSelector) : undefined;
    const namespaces = peer.namespaceSelector ? compileSelector(peer.namespaceSelector) : undefined;
    return new PodPeer(index, this, policyNamespace, pods, namespaces);
  }
}

/** What a pod peer reads of the engine: namespace labels, and whether they changed since it last looked. */
interface NamespaceLabels {
  readonly namespaceVersion: number;
  labelsOfNamespace(namespace: string): Readonly<Record<string, string>>;
}

/**
 * A podSelector / namespaceSelector peer. A class rather than closures: every generated NetworkPolicy
 * has such peers, and the engine keeps all of them compiled.
 */
class PodPeer implements CompiledPeer {
  /** Made on the first evaluation: most compiled policies never select a pod that is evaluated. */
  private namespaceMatches?: Map<string, boolean>;
  private matchedAtVersion = 0;

  constructor(
    readonly index: number,
    private readonly engine: NamespaceLabels,
    private readonly policyNamespace: string,
    private readonly pods: LabelMatcher | undefined,
    private readonly namespaces: LabelMatcher | undefined,
  ) {}

  matches(endpoint: Endpoint): boolean {
    return isPod(endpoint) && this.inNamespace(endpoint.pod.namespace) && (!this.pods || this.pods.matches(endpoint.pod.labels));
  }

  private inNamespace(namespace: string): boolean {
    if (!this.namespaces) return namespace === this.policyNamespace;
    if (!this.namespaceMatches || this.matchedAtVersion !== this.engine.namespaceVersion) {
      this.namespaceMatches = new Map();
      this.matchedAtVersion = this.engine.namespaceVersion;
    }
    let matched = this.namespaceMatches.get(namespace);
    if (matched === undefined) this.namespaceMatches.set(namespace, (matched = this.namespaces.matches(this.engine.labelsOfNamespace(namespace))));
    return matched;
  }
}

/** Index of the first peer of `rule` matching `endpoint`; undefined when the rule names no peers (all match); false when none does. */
function matchingPeer(rule: CompiledRule, endpoint: Endpoint): number | undefined | false {
  if (!rule.peers) return undefined;
  for (const peer of rule.peers) if (peer.matches(endpoint)) return peer.index;
  return false;
}

/** The ports a rule admits towards `destination`, named ports resolved on the destination pod. */
function rulePorts(rule: CompiledRule, destination: Endpoint): PortSet {
  if (rule.namedPorts) return resolvePorts(rule, destination);
  return (rule.fixedPorts ??= resolvePorts(rule, undefined));
}

function resolvePorts(rule: CompiledRule, destination: Endpoint | undefined): PortSet {
  if (!rule.ports) return 'all';
  const ranges: PortRange[] = [];
  for (const port of rule.ports) {
    if (port.name === undefined) {
      ranges.push({ protocol: port.protocol, from: port.from ?? 1, to: port.to ?? MAX_PORT });
      continue;
    }
    if (!destination || !isPod(destination)) continue;
    for (const container of destination.pod.ports) {
      if (container.name === port.name && (container.protocol ?? 'TCP') === port.protocol) {
        ranges.push({ protocol: port.protocol, from: container.containerPort, to: container.containerPort });
      }
    }
  }
  return normalizePorts(ranges);
}

function compilePort(port: V1NetworkPolicyPort): CompiledPort {
  const protocol = (port.protocol ?? 'TCP') as Protocol;
  const value = port.port as number | string | undefined;
  if (value === undefined) return { protocol };
  // A numeric string is a number to the API server (IntOrString); anything else names a container port.
  if (typeof value === 'string' && !/^[0-9]+$/.test(value)) return { protocol, name: value };
  const from = Number(value);
  return { protocol, from, to: port.endPort !== undefined && port.endPort >= from ? port.endPort : from };
}

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  return isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
}

/** cidr minus except, per address family (an IPv4 address never matches an IPv6 range, nor the reverse). */
function ipBlockMatcher(cidr: string, except: readonly string[]): (endpoint: Endpoint) => boolean {
  const subnet = (text: string) => {
    const [address, prefix] = text.split('/');
    const family = familyOf(address);
    return family && prefix !== undefined && /^[0-9]+$/.test(prefix) ? { address, prefix: Number(prefix), family } : undefined;
  };
  const range = subnet(cidr);
  if (!range) return () => false; // The API server rejects an invalid CIDR; here it matches nothing.
  const included = new BlockList();
  const excluded = new BlockList();
  try {
    included.addSubnet(range.address, range.prefix, range.family);
    for (const e of except.map(subnet)) if (e?.family === range.family) excluded.addSubnet(e.address, e.prefix, e.family);
  } catch {
    return () => false;
  }
  const matchesAddress = (ip: string) => familyOf(ip) === range.family && included.check(ip, range.family) && !excluded.check(ip, range.family);
  return (endpoint) => (isPod(endpoint) ? endpoint.pod.ips.some(matchesAddress) : matchesAddress(endpoint.ip));
}
