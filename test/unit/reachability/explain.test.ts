/** `explain` and `reach` over the partner-api scenario, offline: verdicts, reasons, fixes and the matrix. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { readManifests } from '../../../src/cli/reachability.js';
import { parseEndpoint, parsePort, resolveEndpoint } from '../../../src/reachability/endpoints.js';
import { explainFlow, formatExplanation } from '../../../src/reachability/explain.js';
import { formatTable, reachMatrix, toDot } from '../../../src/reachability/matrix.js';
import { ClusterSnapshot } from '../../../src/reachability/snapshot.js';

const SCENARIO = ['docs/examples/partner-scenario.yaml', 'config/samples/partner-api.yaml'];
const read = (file: string) => readFileSync(file, 'utf8');

function snapshotOf(files: string[], without?: string): ClusterSnapshot {
  const warnings: string[] = [];
  const input = readManifests(files, read, (w) => warnings.push(w));
  expect(warnings).toEqual([]);
  return new ClusterSnapshot({ ...input, networkPolicies: input.networkPolicies.filter((np) => np.metadata?.name !== without) });
}

function explain(snapshot: ClusterSnapshot, from: string, to: string, port: string) {
  const source = resolveEndpoint(snapshot, parseEndpoint(from));
  const destination = resolveEndpoint(snapshot, parseEndpoint(to));
  return explainFlow(snapshot, { from: source.endpoint, to: destination.endpoint, ...parsePort(port) }, { from: source.name, to: destination.name });
}

describe('explain', () => {
  it('answers "can billing-backend reach partner-api on 5080?" with the rules that admit it', () => {
    const e = explain(snapshotOf(SCENARIO), 'billing-cp/billing-backend', 'partner-cp/partner-api', '5080');
    expect(e.allowed).toBe(true);
    expect(e.egress.admittedBy).toEqual(['NetworkPolicy billing-cp/appnetpol-billing-backend (AppNetworkPolicy billing-cp/billing-backend) egress[0] to[0]']);
    expect(e.ingress.admittedBy).toEqual(['NetworkPolicy partner-cp/appnetpol-partner-api (AppNetworkPolicy partner-cp/partner-api) ingress[0] from[0]']);
    expect(formatExplanation(e)).toMatch(/^ALLOWED: billing-cp\/billing-backend -> partner-cp\/partner-api on TCP 5080\n/);
  });

  it('names the Space setting that isolates a one-sided flow, and the rule that would admit it', () => {
    const e = explain(snapshotOf(SCENARIO, 'appnetpol-auth'), 'partner-cp/partner-api', 'global-auth/auth', 'TCP/5555');
    expect(e.allowed).toBe(false);
    expect(e.egress.allowed).toBe(true);
    expect(e.ingress.blockedBy).toBe(
      'global-auth is DenyAll for ingress (Space global-auth spec.networkConfig.appNetworkPolicy.ingress) and nothing there admits partner-cp/partner-api on TCP 5555',
    );
    expect(e.ingress.fix).toBe("add an ingress rule to auth's AppNetworkPolicy global-auth/auth: {from: [{app: partner-api, space: partner-cp}], ports: [{protocol: TCP, port: 5555}]}");
    expect(formatExplanation(e)).toMatch(/^DENIED: /);
  });

  it('denies another port and says no policy of the app admits it', () => {
    const e = explain(snapshotOf(SCENARIO), 'billing-cp/billing-backend', 'partner-cp/partner-api', '8080');
    expect(e.allowed).toBe(false);
    expect(e.egress.fix).toBe("add an egress rule to billing-backend's AppNetworkPolicy billing-cp/billing-backend: {to: [{app: partner-api, space: partner-cp}], ports: [{protocol: TCP, port: 8080}]}");
  });

  it('treats an address outside the cluster as never isolated', () => {
    const e = explain(snapshotOf(SCENARIO), '203.0.113.9', 'global-auth/auth', '5555');
    expect(e.egress.outside).toBe(true);
    expect(e.ingress.fix).toContain('{from: [{cidr: 203.0.113.9/32}]');
  });

  it.each([
    ['billing-cp', 'endpoint "billing-cp" is not SPACE/APP, NAMESPACE/pod/NAME or an IP address'],
    ['a/b/c', 'endpoint "a/b/c" is not SPACE/APP, NAMESPACE/pod/NAME or an IP address'],
  ])('rejects the endpoint %j', (text, message) => {
    expect(() => parseEndpoint(text)).toThrow(message);
  });

  it.each(['0', '65536', 'TCP/', 'HTTP/80', 'tcp/80x', '80-90'])('rejects the port %j', (text) => {
    expect(() => parsePort(text)).toThrow(`port "${text}" is not [TCP|UDP|SCTP/]PORT with PORT 1-65535`);
  });

  it('accepts a protocol in any case', () => {
    expect(parsePort('udp/53')).toEqual({ protocol: 'UDP', port: 53 });
  });

  it('rejects an unknown app and an unknown pod', () => {
    const snapshot = snapshotOf(SCENARIO);
    expect(() => resolveEndpoint(snapshot, parseEndpoint('billing-cp/nope'))).toThrow(
      'no app "nope" in space "billing-cp": no Kf App of that name and no pod labelled app.kubernetes.io/name=nope',
    );
    expect(() => resolveEndpoint(snapshot, parseEndpoint('billing-cp/pod/nope'))).toThrow('no pod "nope" in namespace "billing-cp"');
  });
});

describe('reach', () => {
  it('lists the allowed flows of the scenario with their ports', () => {
    const snapshot = snapshotOf(SCENARIO);
    const table = formatTable(reachMatrix(snapshot, snapshot.appList()));
    expect(table).toContain('billing-cp/billing-backend  partner-cp/partner-api   TCP 5080');
    expect(table).toContain('partner-cp/partner-api      global-auth/auth         TCP 5555');
    expect(table).toContain('4 apps: 3 flows allowed, 9 denied');
  });

  it('narrows to the ports asked about and draws Spaces as boxes', () => {
    const snapshot = snapshotOf(SCENARIO);
    const matrix = reachMatrix(snapshot, snapshot.appList(), [parsePort('5555')]);
    expect(matrix.flows.filter((f) => f.ports !== 'all' && f.ports.length)).toEqual([
      { from: 'partner-cp/partner-api', to: 'global-auth/auth', ports: [{ protocol: 'TCP', from: 5555, to: 5555 }] },
    ]);
    const dot = toDot(matrix);
    expect(dot).toContain('label="global-auth"');
    expect(dot).toContain('"partner-cp/partner-api" -> "global-auth/auth" [label="TCP 5555"');
  });

  it('shows a Space without policies as open', () => {
    const snapshot = new ClusterSnapshot({
      namespaces: [],
      pods: [],
      apps: [{ metadata: { name: 'a', namespace: 's' } }, { metadata: { name: 'b', namespace: 's' } }],
      appNetworkPolicies: [],
      networkPolicies: [],
    });
    expect(reachMatrix(snapshot, snapshot.appList('s')).flows.map((f) => f.ports)).toEqual(['all', 'all']);
  });
});
