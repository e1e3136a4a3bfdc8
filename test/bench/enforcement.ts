/**
 * Time to enforcement on a real dataplane: from `kubectl apply` of an AppNetworkPolicy that opens a flow
 * to the first connection that gets through kube-router's firewall, repeated; and, for comparison, from
 * creating the equivalent NetworkPolicy directly (the dataplane alone). `--smoke` runs the same code with
 * a few tries. Needs root (network namespaces), like the dataplane tests.
 *
 *   node dist/test/bench/enforcement.js [--tries 30] [--smoke]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { stringify } from 'yaml';
import type { KubeClient, KubeObject } from '../../src/runtime/kube-client.js';
import { eventually } from '../support/cluster.js';
import { Dataplane, prepareDataplane, type Endpoint } from '../support/dataplane/dataplane.js';
import { startOperator } from '../support/operator.js';
import { percentile, startBenchCluster } from './harness.js';

const PORT = 5080;
const SPACES = '/apis/kf.dev/v1alpha1/spaces';
const NETPOL = '/apis/networking.k8s.io/v1';
/** How often the client tries to connect while waiting; a denied attempt returns at once (kube-router rejects). */
const POLL_MS = 2;
/** A denied attempt fails at once (the node answers every rejection); this only bounds a lost packet. */
const ATTEMPT_MS = 50;

export interface Series {
  samplesMs: number[];
  p50Ms: number;
  p99Ms: number;
}

export interface EnforcementResult {
  /** `kubectl apply` of the AppNetworkPolicy until the first connection gets through. */
  applyToConnection: Series;
  /** How long `kubectl apply` itself took (process start to exit), part of the above. */
  kubectl: Series;
  /** Creating the equivalent NetworkPolicy through the API until the first connection gets through. */
  dataplaneAlone: Series;
}

export interface EnforcementSetup {
  admin: KubeClient;
  kubeconfig: string;
  dataplane: Dataplane;
}

const execFileAsync = promisify(execFile);

function series(samplesMs: number[]): Series {
  return { samplesMs, p50Ms: percentile(samplesMs, 50), p99Ms: percentile(samplesMs, 99) };
}

/**
 * In a Space whose app ingress is DenyAll, `server` admits `client` (from a namespace without policies) on
 * TCP 5080 only while a policy says so. Each try opens the flow, times the first connection, removes the
 * policy and waits until the flow is closed again. (Client and server are in different namespaces because
 * kube-router v2.1.0 lets the Space's egress PermitAll admit traffic between pods of the same Space.)
 */
export async function measureEnforcement(setup: EnforcementSetup, tries: number, log: (line: string) => void = () => undefined): Promise<EnforcementResult> {
  const { admin, dataplane } = setup;
  const namespace = `enforce-${randomBytes(3).toString('hex')}`;
  const clientNamespace = `${namespace}-client`;
  for (const name of [namespace, clientNamespace]) await admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await admin.create(SPACES, { apiVersion: 'kf.dev/v1alpha1', kind: 'Space', metadata: { name: namespace }, spec: { networkConfig: { appNetworkPolicy: { ingress: 'DenyAll' } } } });
  const pod = (ns: string, name: string) => dataplane.addPod({ namespace: ns, name, labels: { 'app.kubernetes.io/name': name, 'kf.dev/networkpolicy': 'app' }, tcp: [PORT] });
  const client = await pod(clientNamespace, 'client');
  const server = await pod(namespace, 'server');
  const dir = mkdtempSync(join(tmpdir(), 'appnetpol-enforcement-'));
  try {
    await waitClosed(dataplane, client, server);
    const manifest = join(dir, 'policy.yaml');
    writeFileSync(manifest, stringify(appNetworkPolicy(namespace, clientNamespace)));
    const applied: number[] = [];
    const kubectlMs: number[] = [];
    for (let i = 0; i < tries; i++) {
      const started = performance.now();
      const kubectl = execFileAsync('kubectl', ['--kubeconfig', setup.kubeconfig, 'apply', '-f', manifest]).then(() => kubectlMs.push(performance.now() - started));
      applied.push(await untilOpen(dataplane, client, server, started));
      await kubectl;
      log(`apply -> connection ${i + 1}/${tries}: ${applied.at(-1)!.toFixed(0)} ms`);
      await admin.delete(`/apis/networking.kf.dev/v1alpha1/namespaces/${namespace}/appnetworkpolicies/server`);
      await waitClosed(dataplane, client, server);
    }
    const direct: number[] = [];
    for (let i = 0; i < tries; i++) {
      const started = performance.now();
      const created = admin.create(`${NETPOL}/namespaces/${namespace}/networkpolicies`, networkPolicy(namespace, clientNamespace));
      direct.push(await untilOpen(dataplane, client, server, started));
      await created;
      log(`NetworkPolicy -> connection ${i + 1}/${tries}: ${direct.at(-1)!.toFixed(0)} ms`);
      await admin.delete(`${NETPOL}/namespaces/${namespace}/networkpolicies/direct`);
      await waitClosed(dataplane, client, server);
    }
    return { applyToConnection: series(applied), kubectl: series(kubectlMs), dataplaneAlone: series(direct) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await admin.delete(`${SPACES}/${namespace}`);
    for (const name of [namespace, clientNamespace]) await admin.delete(`/api/v1/namespaces/${name}`);
  }
}

function appNetworkPolicy(namespace: string, clientNamespace: string): KubeObject {
  return {
    apiVersion: 'networking.kf.dev/v1alpha1',
    kind: 'AppNetworkPolicy',
    metadata: { name: 'server', namespace },
    spec: { app: 'server', ingress: [{ from: [{ app: 'client', space: clientNamespace }], ports: [{ protocol: 'TCP', port: PORT }] }] },
  };
}

/** What the operator renders for the AppNetworkPolicy above, written by hand. */
function networkPolicy(namespace: string, clientNamespace: string): KubeObject {
  const appPods = (name: string) => ({ matchLabels: { 'app.kubernetes.io/name': name, 'kf.dev/networkpolicy': 'app' } });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'direct', namespace },
    spec: {
      podSelector: appPods('server'),
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: appPods('client'), namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': clientNamespace } } }], ports: [{ protocol: 'TCP', port: PORT }] }],
    },
  };
}

/** Milliseconds from `since` until `client` first reaches `server`. */
async function untilOpen(dataplane: Dataplane, client: Endpoint, server: Endpoint, since: number): Promise<number> {
  const deadline = since + 60_000;
  while (!(await dataplane.connects(client, server, PORT, 'TCP', ATTEMPT_MS))) {
    if (performance.now() > deadline) throw new Error(`${client.name} did not reach ${server.name} within 60 s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return performance.now() - since;
}

async function waitClosed(dataplane: Dataplane, client: Endpoint, server: Endpoint): Promise<void> {
  await eventually(async () => {
    if (await dataplane.connects(client, server, PORT)) throw new Error(`${client.name} still reaches ${server.name}`);
  }, 60_000, 50);
}

export function formatEnforcement(tries: number, result: EnforcementResult): string {
  const row = (what: string, s: Series) => `| ${what} | ${s.p50Ms.toFixed(0)} | ${s.p99Ms.toFixed(0)} | ${Math.min(...s.samplesMs).toFixed(0)} |`;
  return [
    `time to enforcement, ${tries} tries each`,
    '| from | to the first allowed connection, p50 ms | p99 ms | min ms |',
    '|---|---|---|---|',
    row('`kubectl apply` of the AppNetworkPolicy', result.applyToConnection),
    row('creating the equivalent NetworkPolicy (dataplane alone)', result.dataplaneAlone),
    `kubectl apply itself: p50 ${result.kubectl.p50Ms.toFixed(0)} ms, p99 ${result.kubectl.p99Ms.toFixed(0)} ms`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, tries: { type: 'string' } } });
  const tries = Number(values.tries ?? (values.smoke ? 3 : 30));
  const prepared = prepareDataplane();
  if ('unsupported' in prepared) throw new Error(`this machine cannot run the dataplane: ${prepared.unsupported}`);
  const cluster = await startBenchCluster();
  const logDir = join(cluster.plane.dir, 'logs');
  let dataplane: Dataplane | undefined;
  const operator = await startOperator({ kubeconfig: cluster.plane.kubeconfig, logDir });
  try {
    dataplane = await Dataplane.start({ plane: cluster.plane, admin: cluster.admin, logDir }, prepared.kubeRouter);
    const result = await measureEnforcement({ admin: cluster.admin, kubeconfig: cluster.plane.kubeconfig, dataplane }, tries, (line) => console.error(`bench: ${line}`));
    console.log(formatEnforcement(tries, result));
  } finally {
    await operator.stop();
    await dataplane?.stop();
    cluster.stop();
  }
}
