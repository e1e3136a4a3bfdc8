/**
 * The Kubernetes network-policy e2e cases (test/e2e/network/netpol in kubernetes/kubernetes) as golden
 * tests of the engine: pods a, b, c in namespaces x, y, z, each policy set checked against the full
 * truth table of who reaches whom. Each case states its expectations the way the upstream cases do:
 * everything allowed, then the exceptions. Loopback (a pod to itself) is left out, as upstream does.
 */
import { describe, expect, it } from '@jest/globals';
import type { V1LabelSelector, V1NetworkPolicyPeer, V1NetworkPolicyPort } from '@kubernetes/client-node';
import { PolicyEngine } from '../../../src/reachability/engine.js';
import type { NetworkPolicyObject, PodFacts, Protocol } from '../../../src/reachability/model.js';

const NAMESPACES = ['x', 'y', 'z'];
const POD_NAMES = ['a', 'b', 'c'];
const SERVED = [80, 81, 82, 83];

function podIP(namespace: string, pod: string): string {
  return `10.1.${NAMESPACES.indexOf(namespace) + 1}.${POD_NAMES.indexOf(pod) + 1}`;
}

/** Each test pod serves every port on every protocol, under upstream's port names (serve-80-tcp, ...). */
const PODS: PodFacts[] = NAMESPACES.flatMap((namespace) =>
  POD_NAMES.map((name) => ({
    namespace,
    name,
    labels: { pod: name },
    ips: [podIP(namespace, name)],
    ports: SERVED.flatMap((port) =>
      (['TCP', 'UDP', 'SCTP'] as const).map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol })),
    ),
  })),
);

const podKey = (p: PodFacts) => `${p.namespace}/${p.name}`;

interface PeerPattern {
  namespace?: string;
  pod?: string;
}

/** Upstream's Reachability: a matrix of expectations over every pod pair, everything allowed to start with. */
class Truth {
  private readonly allowed = new Map<string, boolean>();

  constructor() {
    for (const from of PODS) for (const to of PODS) this.allowed.set(`${podKey(from)}->${podKey(to)}`, true);
  }

  peer(from: PeerPattern, to: PeerPattern, allowed: boolean): this {
    const matches = (p: PodFacts, pattern: PeerPattern) =>
      (pattern.namespace === undefined || p.namespace === pattern.namespace) && (pattern.pod === undefined || p.name === pattern.pod);
    for (const a of PODS) for (const b of PODS) if (matches(a, from) && matches(b, to)) this.allowed.set(`${podKey(a)}->${podKey(b)}`, allowed);
    return this;
  }

  pair(from: string, to: string, allowed: boolean): this {
    const [fromNs, fromPod] = from.split('/');
    const [toNs, toPod] = to.split('/');
    return this.peer({ namespace: fromNs, pod: fromPod }, { namespace: toNs, pod: toPod }, allowed);
  }

  allIngress(to: string, allowed: boolean): this {
    const [namespace, pod] = to.split('/');
    return this.peer({}, { namespace, pod }, allowed);
  }

  allEgress(from: string, allowed: boolean): this {
    const [namespace, pod] = from.split('/');
    return this.peer({ namespace, pod }, {}, allowed);
  }

  expected(from: PodFacts, to: PodFacts): boolean {
    return this.allowed.get(`${podKey(from)}->${podKey(to)}`)!;
  }
}

/** The cells where the engine disagrees with the expectation, as `x/a -> y/b: expected allowed`. */
function disagreements(policies: NetworkPolicyObject[], protocol: Protocol, port: number, truth: Truth): string[] {
  const engine = new PolicyEngine({ namespaces: NAMESPACES.map((name) => ({ name, labels: { ns: name } })), networkPolicies: policies });
  const wrong: string[] = [];
  for (const from of PODS) {
    for (const to of PODS) {
      if (from === to) continue;
      const expected = truth.expected(from, to);
      const actual = engine.evaluate({ from: { pod: from }, to: { pod: to }, protocol, port }).allowed;
      if (actual !== expected) wrong.push(`${podKey(from)} -> ${podKey(to)} ${protocol}/${port}: expected ${expected ? 'allowed' : 'denied'}`);
    }
  }
  return wrong;
}

type Rule = { peers?: V1NetworkPolicyPeer[]; ports?: V1NetworkPolicyPort[] };

function policy(
  namespace: string,
  name: string,
  podSelector: V1LabelSelector,
  rules: { ingress?: Rule[]; egress?: Rule[]; policyTypes?: string[] },
): NetworkPolicyObject {
  const types = rules.policyTypes ?? [...(rules.ingress ? ['Ingress'] : []), ...(rules.egress ? ['Egress'] : [])];
  return {
    metadata: { namespace, name },
    spec: {
      podSelector,
      ...(types.length ? { policyTypes: types } : {}),
      ...(rules.ingress ? { ingress: rules.ingress.map((r) => ({ ...(r.peers ? { from: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })) } : {}),
      ...(rules.egress ? { egress: rules.egress.map((r) => ({ ...(r.peers ? { to: r.peers } : {}), ...(r.ports ? { ports: r.ports } : {}) })) } : {}),
    },
  };
}

const podLabel = (pod: string): V1LabelSelector => ({ matchLabels: { pod } });
const nsNamed = (ns: string): V1LabelSelector => ({ matchLabels: { 'kubernetes.io/metadata.name': ns } });
const tcp = (port: number | string, endPort?: number): V1NetworkPolicyPort => ({ protocol: 'TCP', port, ...(endPort ? { endPort } : {}) });

interface Case {
  name: string;
  policies: NetworkPolicyObject[];
  checks: { protocol?: Protocol; port: number; truth: Truth }[];
}

const CASES: Case[] = [
  {
    name: "default-deny-ingress",
    policies: [policy('x', 'deny-ingress', {}, { ingress: [] })],
    checks: [{ port: 80, truth: new Truth().peer({}, { namespace: 'x' }, false) }],
  },
  {
    name: "default-deny-all",
    policies: [policy('x', 'deny-all', {}, { ingress: [], egress: [] })],
    checks: [{ port: 80, truth: new Truth().peer({}, { namespace: 'x' }, false).peer({ namespace: 'x' }, {}, false) }],
  },
  {
    name: 'ingress from pods within the namespace by podSelector',
    policies: [policy('x', 'x-a-allows-x-b', podLabel('a'), { ingress: [{ peers: [{ podSelector: podLabel('b') }] }] })],
    checks: [{ port: 80, truth: new Truth().allIngress('x/a', false).pair('x/b', 'x/a', true) }],
  },
  {
    name: 'ingress allowed for one target over a namespace deny (empty podSelector AND empty namespaceSelector)',
    policies: [
      policy('x', 'deny-all', {}, { ingress: [] }),
      policy('x', 'allow-all-to-a', podLabel('a'), { ingress: [{ peers: [{ podSelector: {}, namespaceSelector: {} }] }] }),
    ],
    checks: [{ port: 80, truth: new Truth().peer({}, { namespace: 'x' }, false).allIngress('x/a', true) }],
  },
  {
    name: 'ingress from pods in all namespaces (empty namespaceSelector, no podSelector)',
    policies: [policy('x', 'allow-from-another-ns', podLabel('a'), { ingress: [{ peers: [{ namespaceSelector: { matchLabels: {} } }] }] })],
    checks: [{ port: 80, truth: new Truth() }],
  },
  {
    name: 'ingress only from a different namespace by namespaceSelector',
    policies: [policy('x', 'allow-client-a-via-ns-selector', podLabel('a'), { ingress: [{ peers: [{ namespaceSelector: nsNamed('y') }] }] })],
    checks: [{ port: 80, truth: new Truth().peer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).peer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false) }],
  },
  {
    name: 'podSelector with matchExpressions',
    policies: [
      policy('x', 'x-a-allows-x-b', podLabel('a'), {
        ingress: [{ peers: [{ podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b'] }] } }] }],
      }),
    ],
    checks: [{ port: 80, truth: new Truth().allIngress('x/a', false).pair('x/b', 'x/a', true) }],
  },
  {
    name: 'namespaceSelector with matchExpressions',
    policies: [
      policy('x', 'allow-ns-y-match-selector', podLabel('a'), {
        ingress: [{ peers: [{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['y'] }] } }] }],
      }),
    ],
    checks: [{ port: 80, truth: new Truth().peer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).peer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false) }],
  },
  {
    name: 'podSelector OR namespaceSelector (two peers)',
    policies: [
      policy('x', 'allow-ns-y-match-selector', podLabel('a'), {
        ingress: [
          {
            peers: [
              { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }] } },
              { podSelector: podLabel('b') },
            ],
          },
        ],
      }),
    ],
    checks: [{ port: 80, truth: new Truth().pair('x/c', 'x/a', false) }],
  },
  {
    name: 'podSelector AND namespaceSelector (one peer)',
    policies: [
      policy('x', 'allow-ns-y-podselector-and-nsselector', podLabel('a'), {
        ingress: [
          {
            peers: [
              {
                namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }] },
                podSelector: podLabel('b'),
              },
            ],
          },
        ],
      }),
    ],
    checks: [{ port: 80, truth: new Truth().allIngress('x/a', false).pair('y/b', 'x/a', true).pair('z/b', 'x/a', true) }],
  },
  {
    name: 'multiple podSelectors and namespaceSelectors',
    policies: [
      policy('x', 'allow-ns-y-z-pod-b-c', podLabel('a'), {
        ingress: [
          {
            peers: [
              {
                namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }] },
                podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['b', 'c'] }] },
              },
            ],
          },
        ],
      }),
    ],
    checks: [{ port: 80, truth: new Truth().peer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).pair('y/a', 'x/a', false).pair('z/a', 'x/a', false) }],
  },
  {
    name: 'any of several podSelectors',
    policies: [policy('x', 'allow-ns-x-pod-b-c', podLabel('a'), { ingress: [{ peers: [{ podSelector: podLabel('b') }, { podSelector: podLabel('c') }] }] })],
    checks: [{ port: 80, truth: new Truth().allIngress('x/a', false).pair('x/b', 'x/a', true).pair('x/c', 'x/a', true) }],
  },
  {
    name: 'only a pod in a different namespace, by podSelector and namespaceSelector',
    policies: [
      policy('x', 'allow-ns-y-pod-a-via-namespace-pod-selector', podLabel('a'), {
        ingress: [{ peers: [{ namespaceSelector: nsNamed('y'), podSelector: podLabel('a') }] }],
      }),
    ],
    checks: [{ port: 80, truth: new Truth().allIngress('x/a', false).pair('y/a', 'x/a', true) }],
  },
  {
    name: 'ports: one port from one namespace',
    policies: [policy('x', 'allow-client-a-via-ns-selector', podLabel('a'), { ingress: [{ peers: [{ namespaceSelector: nsNamed('y') }], ports: [tcp(81)] }] })],
    checks: [
      { port: 81, truth: new Truth().peer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).peer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false) },
      { port: 80, truth: new Truth().allIngress('x/a', false) },
    ],
  },
  {
    name: 'stacked policies with overlapping podSelectors (union)',
    policies: [
      policy('x', 'allow-client-a-via-ns-selector', podLabel('a'), { ingress: [{ peers: [{ namespaceSelector: nsNamed('y') }], ports: [tcp(81)] }] }),
      policy('x', 'allow-client-a-via-ns-selector-80', podLabel('a'), { ingress: [{ peers: [{ namespaceSelector: nsNamed('y') }], ports: [tcp(80)] }] }),
    ],
    checks: [80, 81].map((port) => ({
      port,
      truth: new Truth().peer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).peer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false),
    })),
  },
  {
    name: 'allow-all ingress rule',
    policies: [policy('x', 'allow-all', {}, { ingress: [{}] })],
    checks: [{ port: 80, truth: new Truth() }, { port: 81, truth: new Truth() }],
  },
  {
    name: 'ingress on one named port',
    policies: [policy('x', 'allow-all', {}, { ingress: [{ ports: [{ port: 'serve-81-tcp' }] }] })],
    checks: [
      { port: 81, truth: new Truth() },
      { port: 80, truth: new Truth().peer({}, { namespace: 'x' }, false) },
    ],
  },
  {
    name: 'ingress from a namespace on one named port',
    policies: [
      policy('x', 'allow-client-a-via-ns-selector-80', podLabel('a'), { ingress: [{ peers: [{ namespaceSelector: nsNamed('y') }], ports: [tcp('serve-80-tcp')] }] }),
    ],
    checks: [
      { port: 80, truth: new Truth().peer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, false).peer({ namespace: 'z' }, { namespace: 'x', pod: 'a' }, false) },
      { port: 81, truth: new Truth().allIngress('x/a', false) },
    ],
  },
  {
    name: 'egress on one named port (resolved on the destination pod)',
    policies: [policy('x', 'allow-egress', {}, { egress: [{ ports: [{ port: 'serve-80-tcp' }] }] })],
    checks: [
      { port: 80, truth: new Truth() },
      { port: 81, truth: new Truth().peer({ namespace: 'x' }, {}, false) },
    ],
  },
  {
    name: 'default-deny-egress',
    policies: [policy('x', 'deny-egress-ns-x', {}, { egress: [] })],
    checks: [{ port: 80, truth: new Truth().peer({ namespace: 'x' }, {}, false) }],
  },
  {
    name: 'ingress and egress in one policy',
    policies: [
      policy('x', 'allow-client-a-via-pod-selector', podLabel('a'), {
        ingress: [{ peers: [{ podSelector: podLabel('b') }] }],
        egress: [{ ports: [{ port: 80 }] }],
        policyTypes: ['Egress', 'Ingress'],
      }),
    ],
    checks: [
      { port: 80, truth: new Truth().allIngress('x/a', false).pair('x/b', 'x/a', true) },
      { port: 81, truth: new Truth().allIngress('x/a', false).allEgress('x/a', false).pair('x/b', 'x/a', true) },
    ],
  },
  {
    name: 'egress denied on the client side although the server allows it',
    policies: [
      policy('x', 'allow-to-ns-y-pod-a', podLabel('a'), { egress: [{ peers: [{ namespaceSelector: nsNamed('y'), podSelector: podLabel('a') }] }] }),
      policy('y', 'allow-from-xa-on-ya-match-selector', podLabel('a'), { ingress: [{ peers: [{ namespaceSelector: nsNamed('x'), podSelector: podLabel('a') }] }] }),
      policy('y', 'allow-from-xa-on-yb-match-selector', podLabel('b'), { ingress: [{ peers: [{ namespaceSelector: nsNamed('x'), podSelector: podLabel('a') }] }] }),
    ],
    checks: [
      {
        port: 80,
        truth: new Truth()
          .allEgress('x/a', false)
          .allIngress('y/a', false)
          .pair('x/a', 'y/a', true)
          .allIngress('y/b', false),
      },
    ],
  },
  {
    name: 'ingress on any port of one protocol',
    policies: [policy('x', 'allow-ingress-by-proto', podLabel('a'), { ingress: [{ ports: [{ protocol: 'TCP' }] }] })],
    checks: [
      { port: 80, truth: new Truth() },
      { protocol: 'UDP', port: 80, truth: new Truth().allIngress('x/a', false) },
    ],
  },
  {
    name: 'allow-all ingress takes precedence over a narrower policy',
    policies: [policy('x', 'allow-ingress-port-80', {}, { ingress: [{ ports: [{ port: 80 }] }] }), policy('x', 'allow-ingress', {}, { ingress: [{}] })],
    checks: [{ port: 81, truth: new Truth() }],
  },
  {
    name: 'a narrower ingress policy alone',
    policies: [policy('x', 'allow-ingress-port-80', {}, { ingress: [{ ports: [{ port: 80 }] }] })],
    checks: [{ port: 81, truth: new Truth().peer({}, { namespace: 'x' }, false) }],
  },
  {
    name: 'allow-all egress takes precedence over a narrower policy',
    policies: [policy('x', 'allow-egress-port-80', {}, { egress: [{ ports: [{ port: 80 }] }] }), policy('x', 'allow-egress', {}, { egress: [{}] })],
    checks: [{ port: 81, truth: new Truth() }],
  },
  {
    name: 'egress to a server in a CIDR block (pod IP)',
    policies: [policy('x', 'allow-client-a-via-cidr-egress-rule', podLabel('a'), { egress: [{ peers: [{ ipBlock: { cidr: `${podIP('y', 'b')}/32` } }] }] })],
    checks: [{ port: 80, truth: new Truth().allEgress('x/a', false).pair('x/a', 'y/b', true) }],
  },
  {
    name: 'except clause of a CIDR block',
    policies: [
      policy('x', 'deny-client-a-via-except-cidr-egress-rule', podLabel('a'), {
        egress: [{ peers: [{ ipBlock: { cidr: '10.1.0.0/16', except: [`${podIP('x', 'b')}/32`] } }] }],
      }),
    ],
    checks: [{ port: 80, truth: new Truth().pair('x/a', 'x/b', false) }],
  },
  {
    name: 'endPort: a port range',
    policies: [policy('x', 'allow-ingress-port-range', podLabel('a'), { ingress: [{ peers: [{ namespaceSelector: nsNamed('y') }], ports: [tcp(81, 82)] }] })],
    checks: [
      { port: 80, truth: new Truth().allIngress('x/a', false) },
      { port: 81, truth: new Truth().allIngress('x/a', false).peer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true) },
      { port: 82, truth: new Truth().allIngress('x/a', false).peer({ namespace: 'y' }, { namespace: 'x', pod: 'a' }, true) },
      { port: 83, truth: new Truth().allIngress('x/a', false) },
    ],
  },
  {
    name: 'SCTP port',
    policies: [policy('x', 'allow-only-sctp', podLabel('a'), { ingress: [{ ports: [{ protocol: 'SCTP', port: 80 }] }] })],
    checks: [
      { protocol: 'SCTP', port: 80, truth: new Truth() },
      { protocol: 'TCP', port: 80, truth: new Truth().allIngress('x/a', false) },
    ],
  },
  {
    name: 'UDP named port',
    policies: [policy('x', 'allow-only-udp', podLabel('a'), { ingress: [{ ports: [{ protocol: 'UDP', port: 'serve-81-udp' }] }] })],
    checks: [
      { protocol: 'UDP', port: 81, truth: new Truth() },
      { protocol: 'UDP', port: 80, truth: new Truth().allIngress('x/a', false) },
      { protocol: 'TCP', port: 81, truth: new Truth().allIngress('x/a', false) },
    ],
  },
  {
    name: 'policyTypes defaulted: egress rules make the policy isolate egress too',
    policies: [policy('x', 'defaulted', podLabel('a'), { egress: [{ peers: [{ podSelector: podLabel('b') }] }], policyTypes: [] })],
    checks: [{ port: 80, truth: new Truth().allIngress('x/a', false).allEgress('x/a', false).pair('x/a', 'x/b', true) }],
  },
  {
    name: 'empty podSelector without namespaceSelector: every pod of the policy namespace only',
    policies: [policy('x', 'same-namespace', podLabel('a'), { ingress: [{ peers: [{ podSelector: {} }] }] })],
    checks: [{ port: 80, truth: new Truth().allIngress('x/a', false).peer({ namespace: 'x' }, { namespace: 'x', pod: 'a' }, true) }],
  },
  {
    name: 'namespaceSelector by a custom label',
    policies: [policy('y', 'from-ns-z', {}, { ingress: [{ peers: [{ namespaceSelector: { matchLabels: { ns: 'z' } } }] }] })],
    checks: [{ port: 80, truth: new Truth().peer({}, { namespace: 'y' }, false).peer({ namespace: 'z' }, { namespace: 'y' }, true) }],
  },
];

describe('NetworkPolicy engine: the Kubernetes e2e truth tables', () => {
  it.each(CASES)('$name', ({ policies, checks }) => {
    for (const check of checks) expect(disagreements(policies, check.protocol ?? 'TCP', check.port, check.truth)).toEqual([]);
  });
});

describe('NetworkPolicy engine: addresses outside the cluster', () => {
  const engine = new PolicyEngine({
    namespaces: [],
    networkPolicies: [policy('x', 'egress-world', podLabel('a'), { egress: [{ peers: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [tcp(443)] }] })],
  });
  const xa = PODS[0];
  const yb = PODS[4];

  it('admits an external address inside the block and names the rule and peer', () => {
    const verdict = engine.evaluate({ from: { pod: xa }, to: { ip: '203.0.113.7' }, protocol: 'TCP', port: 443 });
    expect(verdict.allowed).toBe(true);
    expect(verdict.egress.admittedBy).toEqual([{ policy: { namespace: 'x', name: 'egress-world', labels: {} }, direction: 'egress', rule: 0, peer: 0 }]);
    expect(verdict.ingress.selectedBy).toEqual([]);
  });

  it('denies an excepted range, another port and an IPv6 address', () => {
    expect(engine.evaluate({ from: { pod: xa }, to: { pod: yb }, protocol: 'TCP', port: 443 }).allowed).toBe(false);
    expect(engine.evaluate({ from: { pod: xa }, to: { ip: '203.0.113.7' }, protocol: 'TCP', port: 80 }).allowed).toBe(false);
    expect(engine.evaluate({ from: { pod: xa }, to: { ip: '2001:db8::1' }, protocol: 'TCP', port: 443 }).allowed).toBe(false);
  });

  it('never isolates the external side', () => {
    const verdict = engine.evaluate({ from: { ip: '203.0.113.7' }, to: { pod: yb }, protocol: 'TCP', port: 80 });
    expect(verdict.allowed).toBe(true);
    expect(verdict.egress.selectedBy).toEqual([]);
  });

  it('reports the ports a pair may use, both directions intersected', () => {
    expect(engine.allowedPorts({ pod: xa }, { ip: '203.0.113.7' })).toEqual([{ protocol: 'TCP', from: 443, to: 443 }]);
    expect(engine.allowedPorts({ pod: xa }, { pod: yb })).toEqual([]);
    expect(engine.allowedPorts({ pod: yb }, { pod: xa })).toBe('all');
  });
});

describe('NetworkPolicy engine: updated in place', () => {
  const xa = PODS[0];
  const xb = PODS[1];
  const flow = { from: { pod: xb }, to: { pod: xa }, protocol: 'TCP' as const, port: 80 };

  it('re-selects pods when a policy is added, replaced or removed', () => {
    const engine = new PolicyEngine();
    expect(engine.evaluate(flow).allowed).toBe(true);
    engine.setPolicy(policy('x', 'deny', {}, { ingress: [] }));
    expect(engine.evaluate(flow).allowed).toBe(false);
    engine.setPolicy(policy('x', 'deny', podLabel('c'), { ingress: [] }));
    expect(engine.evaluate(flow).allowed).toBe(true);
    engine.setPolicy(policy('x', 'deny', {}, { ingress: [] }));
    engine.removePolicy('x', 'deny');
    expect(engine.evaluate(flow).allowed).toBe(true);
  });

  it('matches namespaceSelectors against changed namespace labels', () => {
    const engine = new PolicyEngine({ namespaces: [{ name: 'x', labels: { team: 'a' } }], networkPolicies: [policy('x', 'team-a', {}, { ingress: [{ peers: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }] })] });
    expect(engine.evaluate(flow).allowed).toBe(true);
    engine.setNamespace({ name: 'x', labels: { team: 'b' } });
    expect(engine.evaluate(flow).allowed).toBe(false);
  });
});
