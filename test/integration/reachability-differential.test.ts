/**
 * Randomized differential test: the engine against cyclonus' matcher (an independent implementation,
 * built from its pinned Go module by hack/build-go-tool.sh netpol-oracle), over random policy sets and probes
 * in the x, y, z / a, b, c universe of the Kubernetes e2e tests. Every disagreement fails the test with
 * the seed that reproduces it: APPNETPOL_DIFF_SEED=<seed> runs the same cases again.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { PolicyEngine } from '../../src/reachability/engine.js';
import type { Endpoint, NetworkPolicyObject, PodFacts, Protocol } from '../../src/reachability/model.js';
import { askOracle, buildOracle, type OracleCase, type OracleEndpoint } from '../support/netpol-oracle.js';

const CASES = 1500;
const PROBES_PER_CASE = 40;
const NAMESPACES = ['x', 'y', 'z'];
const POD_NAMES = ['a', 'b', 'c'];
const PROTOCOLS: Protocol[] = ['TCP', 'UDP', 'SCTP'];
const EXTERNAL = ['8.8.8.8', '10.9.9.9', '192.168.3.4', '2001:db8::1'];

const PODS: PodFacts[] = NAMESPACES.flatMap((namespace, n) =>
  POD_NAMES.map((name, p) => ({
    namespace,
    name,
    labels: { pod: name, ...(p === 2 ? {} : { tier: p === 0 ? 'web' : 'db' }) },
    ips: [`10.1.${n + 1}.${p + 1}`],
    // Pods serve different ports under different names, so a named port resolves differently per pod.
    ports: [
      { name: 'http', containerPort: 80 + p, protocol: 'TCP' as const },
      { name: 'dns', containerPort: 53, protocol: 'UDP' as const },
      { name: `serve-81-${p === 1 ? 'udp' : 'tcp'}`, containerPort: 81, protocol: p === 1 ? ('UDP' as const) : ('TCP' as const) },
    ],
  })),
);

const CIDRS = [
  ...PODS.map((p) => `${p.ips[0]}/32`),
  '10.1.0.0/16',
  '10.1.2.0/24',
  '0.0.0.0/0',
  '8.8.0.0/16',
  '::/0',
  '2001:db8::/64',
];

const oneOf = <T>(...values: T[]) => fc.constantFrom(...values);

const labelSelector = fc.oneof(
  fc.constant({}),
  oneOf(...POD_NAMES).map((pod) => ({ matchLabels: { pod } })),
  oneOf('web', 'db').map((tier) => ({ matchLabels: { tier } })),
  fc.record({
    matchExpressions: fc.array(
      fc.oneof(
        fc.record({ key: oneOf('pod', 'tier'), operator: fc.constant('In'), values: fc.subarray(['a', 'b', 'web', 'db'], { minLength: 1 }) }),
        // NotIn only on a key every pod has: cyclonus takes an absent key as no match, where Kubernetes'
        // label selectors (and the engine) match it; the unit tests cover that case.
        fc.record({ key: fc.constant('pod'), operator: fc.constant('NotIn'), values: fc.subarray(POD_NAMES, { minLength: 1 }) }),
      ),
      { minLength: 1, maxLength: 2 },
    ),
  }),
  oneOf('Exists', 'DoesNotExist').map((operator) => ({ matchExpressions: [{ key: 'tier', operator }] })),
);

const namespaceSelector = fc.oneof(
  fc.constant({}),
  oneOf(...NAMESPACES).map((ns) => ({ matchLabels: { 'kubernetes.io/metadata.name': ns } })),
  oneOf('prod', 'dev').map((env) => ({ matchLabels: { env } })),
  fc.record({ matchExpressions: fc.constant([{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['x'] }]) }),
);

const peer = fc.oneof(
  fc.record({ podSelector: labelSelector }),
  fc.record({ namespaceSelector }),
  fc.record({ podSelector: labelSelector, namespaceSelector }),
  fc.record({ ipBlock: oneOf(...CIDRS).chain((cidr) => (cidr === '10.1.0.0/16' || cidr === '0.0.0.0/0' ? fc.record({ cidr: fc.constant(cidr), except: fc.subarray(['10.1.1.0/24', '10.1.2.2/32', '10.0.0.0/8'].filter((e) => cidr === '0.0.0.0/0' || e.startsWith('10.1.')), { minLength: 1 }) }) : fc.constant({ cidr }))) }),
);

const port = fc.oneof(
  fc.record({ protocol: oneOf(...PROTOCOLS) }, { requiredKeys: [] }),
  fc.record({ protocol: oneOf(...PROTOCOLS), port: oneOf(53, 80, 81, 82) }, { requiredKeys: ['port'] }),
  fc.record({ protocol: oneOf(...PROTOCOLS), port: oneOf(80, 81), endPort: oneOf(81, 82, 90) }, { requiredKeys: ['port', 'endPort'] }),
  fc.record({ protocol: oneOf(...PROTOCOLS), port: oneOf('http', 'dns', 'serve-81-tcp', 'serve-81-udp', 'unknown') }, { requiredKeys: ['port'] }),
);

/** A list that is absent, empty, or has a few items: the three mean different things in NetworkPolicy. */
const optionalList = <T>(item: fc.Arbitrary<T>) => fc.option(fc.array(item, { maxLength: 3 }), { nil: undefined });

const rule = (peersKey: 'from' | 'to') =>
  fc.record({ [peersKey]: optionalList(peer), ports: optionalList(port) }).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));

const policy = fc
  .record({
    namespace: oneOf(...NAMESPACES),
    podSelector: labelSelector,
    policyTypes: fc.option(fc.subarray(['Ingress', 'Egress'], { minLength: 1 }), { nil: undefined }),
    ingress: optionalList(rule('from')),
    egress: optionalList(rule('to')),
  })
  .map((p, ): NetworkPolicyObject => ({
    metadata: { namespace: p.namespace, name: 'p' },
    spec: {
      podSelector: p.podSelector,
      ...(p.policyTypes ? { policyTypes: p.policyTypes } : {}),
      ...(p.ingress ? { ingress: p.ingress } : {}),
      ...(p.egress ? { egress: p.egress } : {}),
    },
  }));

const endpoint = fc.oneof({ weight: 5, arbitrary: fc.nat(PODS.length - 1).map((i): Endpoint => ({ pod: PODS[i] })) }, { weight: 1, arbitrary: oneOf(...EXTERNAL).map((ip): Endpoint => ({ ip })) });

const probe = fc.record({ from: endpoint, to: endpoint, protocol: oneOf(...PROTOCOLS), port: oneOf(53, 80, 81, 82, 85) });

const scenario = fc.record({
  envs: fc.array(oneOf('prod', 'dev'), { minLength: 3, maxLength: 3 }),
  policies: fc.array(policy, { minLength: 1, maxLength: 5 }),
  probes: fc.array(probe, { minLength: PROBES_PER_CASE, maxLength: PROBES_PER_CASE }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function oracleEndpoint(e: Endpoint): OracleEndpoint {
  return 'pod' in e ? { namespace: e.pod.namespace, labels: e.pod.labels, ip: e.pod.ips[0], ports: [...e.pod.ports] } : { ip: e.ip };
}

function namespacesOf(s: Scenario) {
  return NAMESPACES.map((name, i) => ({ name, labels: { 'kubernetes.io/metadata.name': name, env: s.envs[i] } }));
}

function toOracle(s: Scenario): OracleCase {
  return {
    namespaces: Object.fromEntries(namespacesOf(s).map((n) => [n.name, n.labels])),
    // Each policy gets its own name, as the API server would require.
    policies: s.policies.map((p, i) => ({ ...p, metadata: { ...p.metadata, name: `p${i}` } })),
    probes: s.probes.map((p) => ({ from: oracleEndpoint(p.from), to: oracleEndpoint(p.to), protocol: p.protocol, port: p.port })),
  };
}

const describeEndpoint = (e: Endpoint) => ('pod' in e ? `${e.pod.namespace}/${e.pod.name}` : e.ip);

describe('NetworkPolicy engine vs cyclonus (randomized)', () => {
  let oracle: string;
  beforeAll(() => {
    oracle = buildOracle();
  }, 15 * 60_000);

  it(`agrees on ${CASES} random policy sets with ${PROBES_PER_CASE} probes each`, () => {
    const seed = Number(process.env.APPNETPOL_DIFF_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const scenarios = fc.sample(scenario, { seed, numRuns: CASES });
    const expected = askOracle(oracle, scenarios.map(toOracle));
    const disagreements: string[] = [];
    scenarios.forEach((s, i) => {
      const engine = new PolicyEngine({ namespaces: namespacesOf(s), networkPolicies: toOracle(s).policies as NetworkPolicyObject[] });
      s.probes.forEach((p, j) => {
        const allowed = engine.evaluate(p).allowed;
        if (allowed === expected[i][j]) return;
        disagreements.push(
          `seed ${seed} case ${i} probe ${j}: ${describeEndpoint(p.from)} -> ${describeEndpoint(p.to)} ${p.protocol}/${p.port}: ` +
            `engine ${allowed ? 'allows' : 'denies'}, cyclonus ${expected[i][j] ? 'allows' : 'denies'}; policies ${JSON.stringify(toOracle(s).policies)}`,
        );
      });
    });
    expect({ seed, disagreements: disagreements.slice(0, 5), count: disagreements.length }).toEqual({ seed, disagreements: [], count: 0 });
  });
});
