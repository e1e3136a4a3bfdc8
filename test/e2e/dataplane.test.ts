/**
 * Real packets: the operator's NetworkPolicies enforced by kube-router's firewall on pods that are network
 * namespaces (test/support/dataplane). A flow is open when the listener's answer comes back; denied
 * means no answer within a second (kube-router rejects, so it is usually immediate).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { createNamespace, eventually, testCluster } from '../support/cluster.js';
import { Dataplane, prepareDataplane, type Endpoint, type Peer, type PodSpec } from '../support/dataplane/dataplane.js';
import { expectFlows, flow } from '../support/dataplane/flows.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { measureEnforcement } from '../bench/enforcement.js';
import { waitReady } from '../support/policies.js';

const NETPOL = '/apis/networking.k8s.io/v1';
const APPNETPOL = '/apis/networking.kf.dev/v1alpha1';
/** Every app pod answers on these, so a closed port is closed by policy, not for want of a listener. */
const APP_TCP = [5080, 5081, 5555, 5556];
const APP_UDP = [5080];
/** Outside every cluster range of the operator's default configuration: `world`. */
const WORLD_IP = '203.0.113.10';
const DNS_NAME = 'partner-api.example.test';
const DNS_ANSWER = '192.0.2.80';

const prepared = prepareDataplane();
if ('unsupported' in prepared) console.warn(`Skipping the dataplane tests: ${prepared.unsupported}`);
const kubeRouter = 'kubeRouter' in prepared ? prepared.kubeRouter : undefined;

type NetworkConfig = Record<string, Record<string, string>>;

let dataplane: Dataplane;
let operator: OperatorProcess;
let dns: Peer;
let world: Peer;
/** A pod in a namespace without any policy: free to send, and a stranger to every policy. */
let stranger: Endpoint;
const spaces: string[] = [];

async function appPod(namespace: string, name: string, workload: 'app' | 'build' = 'app', extra: Partial<PodSpec> = {}): Promise<Endpoint> {
  return dataplane.addPod({
    namespace,
    name: workload === 'app' ? name : `${name}-build`,
    labels: { 'app.kubernetes.io/name': name, 'kf.dev/networkpolicy': workload },
    tcp: APP_TCP,
    udp: APP_UDP,
    ...extra,
  });
}

/** A Kf Space for an existing namespace of the same name; waits until its policies are written. */
async function createSpace(name: string, networkConfig: NetworkConfig): Promise<void> {
  const { admin } = testCluster();
  await admin.create('/apis/kf.dev/v1alpha1/spaces', { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name }, spec: { networkConfig } });
  spaces.push(name);
  await waitForSpacePolicies(name, networkConfig);
}

async function setNetworkConfig(name: string, networkConfig: NetworkConfig): Promise<void> {
  await testCluster().admin.mergePatch(`/apis/kf.dev/v1alpha1/spaces/${name}`, { spec: { networkConfig } });
  await waitForSpacePolicies(name, networkConfig);
}

/** The app baseline carries the config's rules once the operator has written it. */
async function waitForSpacePolicies(name: string, networkConfig: NetworkConfig): Promise<void> {
  const app = networkConfig.appNetworkPolicy ?? {};
  await eventually(async () => {
    const baseline = await testCluster().admin.get<KubeObject & { spec: { ingress?: unknown[]; egress?: unknown[] } }>(`${NETPOL}/namespaces/${name}/networkpolicies/appnetpol-space-app`);
    expect({ ingress: baseline.spec.ingress !== undefined, egress: baseline.spec.egress !== undefined }).toEqual({
      ingress: app.ingress !== 'DenyAll',
      egress: app.egress !== 'DenyAll',
    });
  });
}

async function applyPolicy(namespace: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await testCluster().admin.apply(
    `${APPNETPOL}/namespaces/${namespace}/appnetworkpolicies/${name}`,
    { apiVersion: 'networking.kf.dev/v1alpha1', kind: 'AppNetworkPolicy', metadata: { name, namespace }, spec },
    'dataplane-test',
  );
  await waitReady(namespace, name);
}

/** Kf's own DenyAll for app pods, exactly as Kf's Space controller writes it: both directions, no rules. */
async function createKfDenyAll(namespace: string): Promise<void> {
  await testCluster().admin.create(`${NETPOL}/namespaces/${namespace}/networkpolicies`, {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'space-app-policy', namespace, labels: { 'app.kubernetes.io/managed-by': 'kf' } },
    spec: { podSelector: { matchLabels: { 'kf.dev/networkpolicy': 'app' } }, policyTypes: ['Ingress', 'Egress'] },
  });
}

const describeDataplane = kubeRouter ? describe : describe.skip;

describeDataplane('enforcement on a real dataplane (kube-router firewall)', () => {
  beforeAll(async () => {
    const { admin, plane } = testCluster();
    dataplane = await Dataplane.start({ plane, admin, logDir: `${plane.dir}/logs` }, kubeRouter!);
    dns = await dataplane.addDnsServer({ [DNS_NAME]: DNS_ANSWER });
    world = dataplane.addExternalHost('world', WORLD_IP, [443, 8443]);
    stranger = await appPod(await createNamespace('dp-stranger'), 'stranger');
    operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'dataplane' });
  }, 300_000);

  afterAll(async () => {
    const { admin } = testCluster();
    try {
      await operator?.stop();
      for (const space of spaces) await admin.delete(`/apis/kf.dev/v1alpha1/spaces/${space}`);
    } finally {
      await dataplane?.stop();
    }
  });

  it('partner-api: the two-sided flows connect once both halves are declared, and nothing around them does', async () => {
    const billing = await createNamespace('dp-billing');
    const partner = await createNamespace('dp-partner');
    const auth = await createNamespace('dp-auth');
    const denyAll = { appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } };
    for (const space of [billing, partner, auth]) await createSpace(space, denyAll);
    const backend = await appPod(billing, 'billing-backend');
    const billingOther = await appPod(billing, 'billing-reports');
    const api = await appPod(partner, 'partner-api');
    const partnerOther = await appPod(partner, 'partner-admin');
    const authPod = await appPod(auth, 'auth');

    await applyPolicy(partner, 'partner-api', {
      app: 'partner-api',
      ingress: [{ from: [{ app: 'billing-backend', space: billing }], ports: [{ protocol: 'TCP', port: 5080 }] }],
      egress: [{ to: [{ app: 'auth', space: auth }], ports: [{ protocol: 'TCP', port: 5555 }] }],
    });
    // One half each: the sender's egress (billing) and the receiver's ingress (auth) are still missing.
    await expectFlows(dataplane, [], [flow(backend, api, 5080), flow(api, authPod, 5555)]);

    await applyPolicy(billing, 'billing-backend', { app: 'billing-backend', egress: [{ to: [{ app: 'partner-api', space: partner }], ports: [{ protocol: 'TCP', port: 5080 }] }] });
    await applyPolicy(auth, 'auth', { app: 'auth', ingress: [{ from: [{ app: 'partner-api', space: partner }], ports: [{ protocol: 'TCP', port: 5555 }] }] });
    await expectFlows(
      dataplane,
      [flow(backend, api, 5080), flow(api, authPod, 5555)],
      [
        // other apps, on either side
        flow(billingOther, api, 5080),
        flow(stranger, api, 5080),
        flow(backend, partnerOther, 5080),
        flow(partnerOther, authPod, 5555),
        flow(stranger, authPod, 5555),
        // other ports
        flow(backend, api, 5081),
        flow(api, authPod, 5556),
        // the other direction
        flow(api, backend, 5080),
        flow(authPod, api, 5555),
        // the other protocol
        flow(backend, api, 5080, 'UDP'),
        // everything else the Spaces deny
        flow(backend, stranger, 5080),
        flow(api, world, 443),
      ],
    );
  });

  it("DenyAll with the essentials resolves names, where Kf's plain DenyAll breaks DNS", async () => {
    const space = await createNamespace('dp-dns');
    const web = await appPod(space, 'web');
    const peer = await appPod(space, 'peer');
    const resolves = async () => ({ udp: await dataplane.resolve(web, dns, DNS_NAME, 'UDP'), tcp: await dataplane.resolve(web, dns, DNS_NAME, 'TCP') });
    await eventually(async () => expect(await resolves()).toEqual({ udp: [DNS_ANSWER], tcp: [DNS_ANSWER] }));

    // Kf's warning: a DenyAll Space blocks DNS for its apps.
    await createKfDenyAll(space);
    await eventually(async () => {
      const broken = await resolves();
      expect(broken.udp).toEqual(expect.any(String));
      expect(broken.tcp).toEqual(expect.any(String));
    });
    await expectFlows(dataplane, [], [flow(web, peer, 5080), flow(web, world, 443)]);

    // appnetpol's DenyAll for the same Space adds the essentials: DNS works, and it is still a DenyAll.
    await createSpace(space, { appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } });
    await eventually(async () => expect(await resolves()).toEqual({ udp: [DNS_ANSWER], tcp: [DNS_ANSWER] }));
    await expectFlows(dataplane, [], [flow(web, peer, 5080), flow(web, world, 443), flow(stranger, web, 5080)]);
  });

  it('PermitAll lets everything through, and a toggle to DenyAll closes only what it names', async () => {
    const space = await createNamespace('dp-permit');
    const app = await appPod(space, 'open-app');
    await createSpace(space, { appNetworkPolicy: { ingress: 'PermitAll', egress: 'PermitAll' } });
    await expectFlows(dataplane, [flow(stranger, app, 5080), flow(stranger, app, 5080, 'UDP'), flow(app, stranger, 5555), flow(app, world, 443)], []);

    await setNetworkConfig(space, { appNetworkPolicy: { ingress: 'DenyAll', egress: 'PermitAll' } });
    await expectFlows(dataplane, [flow(app, stranger, 5555), flow(app, world, 443)], [flow(stranger, app, 5080), flow(stranger, app, 5080, 'UDP')]);

    await setNetworkConfig(space, { appNetworkPolicy: { ingress: 'PermitAll', egress: 'PermitAll' } });
    await expectFlows(dataplane, [flow(stranger, app, 5080), flow(app, world, 443)], []);
  });

  it('a port range (endPort) opens exactly its ports', async () => {
    const space = await createNamespace('dp-range');
    const client = await appPod(space, 'client');
    // The server lives outside the client's Space: kube-router v2.1.0 also runs a policy's ingress rules on
    // the outbound traffic of the pods it selects, so a PermitAll ingress in the same Space would let
    // the client's denied egress through to its neighbours (docs/dataplane.md).
    const serverSpace = await createNamespace('dp-range-server');
    const server = await appPod(serverSpace, 'server', 'app', { tcp: [5999, 6000, 6001, 6002, 6003], udp: [6001] });
    await createSpace(space, { appNetworkPolicy: { ingress: 'PermitAll', egress: 'DenyAll' } });
    await applyPolicy(space, 'client', { app: 'client', egress: [{ to: [{ app: 'server', space: serverSpace }], ports: [{ protocol: 'TCP', port: 6000, endPort: 6002 }] }] });
    await expectFlows(
      dataplane,
      [flow(client, server, 6000), flow(client, server, 6001), flow(client, server, 6002)],
      [flow(client, server, 5999), flow(client, server, 6003), flow(client, server, 6001, 'UDP')],
    );
  });

  it('build pods and app pods follow their own Space policies and AppNetworkPolicies', async () => {
    const space = await createNamespace('dp-build');
    const app = await appPod(space, 'web');
    const build = await appPod(space, 'web', 'build');
    await createSpace(space, { appNetworkPolicy: { ingress: 'PermitAll', egress: 'PermitAll' }, buildNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } });
    await expectFlows(dataplane, [flow(app, world, 443), flow(app, stranger, 5080), flow(stranger, app, 5080)], [flow(build, world, 443), flow(build, stranger, 5080), flow(stranger, build, 5080), flow(app, build, 5080)]);
    // The build essentials cover DNS.
    await eventually(async () => expect(await dataplane.resolve(build, dns, DNS_NAME, 'UDP')).toEqual([DNS_ANSWER]));

    // An AppNetworkPolicy for the app's builds opens the registry for them, and for nothing else.
    await applyPolicy(space, 'web-build', { app: 'web', workload: 'Build', egress: [{ to: [{ entity: 'world' }], ports: [{ protocol: 'TCP', port: 443 }] }] });
    await expectFlows(dataplane, [flow(build, world, 443), flow(app, world, 8443)], [flow(build, world, 8443), flow(build, stranger, 5080)]);
  });

  it('world egress reaches addresses outside the cluster ranges, and no pod', async () => {
    const space = await createNamespace('dp-world');
    const fetcher = await appPod(space, 'fetcher');
    await createSpace(space, { appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } });
    await applyPolicy(space, 'fetcher', { app: 'fetcher', egress: [{ to: [{ entity: 'world' }], ports: [{ protocol: 'TCP', port: 443 }] }] });
    await expectFlows(dataplane, [flow(fetcher, world, 443)], [flow(fetcher, world, 8443), flow(fetcher, stranger, 5080)]);
  });

  it('a generated NetworkPolicy deleted by hand stops the traffic only until the operator puts it back', async () => {
    const { admin } = testCluster();
    const space = await createNamespace('dp-drift');
    const fetcher = await appPod(space, 'fetcher');
    await createSpace(space, { appNetworkPolicy: { ingress: 'DenyAll', egress: 'DenyAll' } });
    await applyPolicy(space, 'fetcher', { app: 'fetcher', egress: [{ to: [{ entity: 'world' }], ports: [{ protocol: 'TCP', port: 443 }] }] });
    await expectFlows(dataplane, [flow(fetcher, world, 443)], []);
    const generated = await admin.list(`${NETPOL}/namespaces/${space}/networkpolicies`, { labelSelector: 'networking.kf.dev/policy=fetcher' });
    expect(generated.items).toHaveLength(1);
    const { name, uid } = generated.items[0].metadata!;

    // Paused, the operator cannot put it back at once: the deletion's effect on the traffic shows.
    operator.process.kill('SIGSTOP');
    try {
      await admin.delete(`${NETPOL}/namespaces/${space}/networkpolicies/${name}`);
      await expectFlows(dataplane, [], [flow(fetcher, world, 443)], 5_000);
    } finally {
      operator.process.kill('SIGCONT');
    }
    await eventually(async () => expect((await admin.get(`${NETPOL}/namespaces/${space}/networkpolicies/${name}`)).metadata!.uid).not.toBe(uid));
    await expectFlows(dataplane, [flow(fetcher, world, 443)], []);
  });

  it('the time-to-enforcement benchmark runs (a few tries, so its code cannot rot)', async () => {
    const { admin, plane } = testCluster();
    const result = await measureEnforcement({ admin, kubeconfig: plane.kubeconfig, dataplane }, 3);
    for (const series of [result.applyToConnection, result.kubectl, result.dataplaneAlone]) {
      expect(series.samplesMs).toHaveLength(3);
      expect(series.p99Ms).toBeGreaterThanOrEqual(series.p50Ms);
    }
  });
});
