/**
 * Benchmark scenarios, each against a real control plane: cold convergence against the API server's
 * own write ceiling, idle cost, update latency under churn, memory, and Spaces switched to DenyAll.
 */
import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { Informer } from '../../src/runtime/informer.js';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { apiServerWrites, cpuSeconds, createNamespaces, difference, inPool, peakRssMiB, percentile, secondsUntil, startMeter, type BenchCluster, type Measured } from './harness.js';

export interface ScaleOptions {
  policies: number;
  /** Environment of the operator's process (the Deployment's V8 and malloc settings); undefined: Node's defaults. */
  operatorEnv?: Record<string, string>;
  namespaces: number;
  concurrency: number;
  resyncSeconds: number;
}

const POLICIES = '/apis/networking.kf.dev/v1alpha1';
const NETPOL = '/apis/networking.k8s.io/v1';
const MANAGED = 'app.kubernetes.io/managed-by=appnetpol';
const silent = pino({ level: 'silent' });

function policy(index: number, namespace: string, port = 8080): KubeObject {
  return {
    apiVersion: 'networking.kf.dev/v1alpha1',
    kind: 'AppNetworkPolicy',
    metadata: { name: `app-${index}`, namespace },
    spec: {
      app: `app-${index}`,
      ingress: [{ from: [{ app: `client-${index}`, space: namespace }], ports: [{ protocol: 'TCP', port }] }],
      egress: [{ to: [{ app: `backend-${index % 50}`, space: namespace }], ports: [{ protocol: 'TCP', port: 5555 }] }],
    },
  };
}

/** The NetworkPolicy the operator generates for `policy(index)`, written by a plain client. */
function plainNetworkPolicy(index: number, namespace: string): KubeObject {
  const pods = (app: string) => ({ matchLabels: { 'app.kubernetes.io/name': app, 'kf.dev/networkpolicy': 'app' } });
  const peer = (app: string) => ({ podSelector: pods(app), namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `appnetpol-app-${index}`, namespace, labels: { 'app.kubernetes.io/managed-by': 'ceiling' } },
    spec: {
      podSelector: pods(`app-${index}`),
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [peer(`client-${index}`)], ports: [{ protocol: 'TCP', port: 8080 }] }],
      egress: [{ to: [peer(`backend-${index % 50}`)], ports: [{ protocol: 'TCP', port: 5555 }] }],
    },
  };
}

const spread = (count: number, namespaces: readonly string[]) => Array.from({ length: count }, (_, i) => ({ index: i, namespace: namespaces[i % namespaces.length] }));

/** A plain client writing the same NetworkPolicies at the same concurrency. */
export async function writeCeiling(cluster: BenchCluster, options: ScaleOptions, prefix: string): Promise<Measured> {
  const namespaces = Array.from({ length: options.namespaces }, (_, i) => `${prefix}-ceiling-${i}`);
  await createNamespaces(cluster.admin, namespaces);
  const meter = startMeter(cluster);
  await inPool(spread(options.policies, namespaces), options.concurrency, ({ index, namespace }) => cluster.admin.create(`${NETPOL}/namespaces/${namespace}/networkpolicies`, plainNetworkPolicy(index, namespace)));
  return meter();
}

export interface ConvergenceResult {
  seconds: number;
  /** Seconds from starting the operator's process to the first status it wrote, seen through a watch. */
  firstStatusSeconds: number;
  /** Seconds a plain client needs for the N status writes that make policies Ready, at the same concurrency. */
  statusCeilingSeconds: number;
  /** The operator's own count of time spent on Reachable (evaluations and engine upkeep) while converging. */
  reachableSeconds: number;
  /** Writes the API server served on the operator's resources from its start until convergence, by verb and resource. */
  writes: Record<string, number>;
  /** CPU seconds the operator process used from its start until convergence. */
  cpuSeconds: number;
  /** CPU seconds the API server and etcd used from the operator's start until convergence. */
  controlPlaneCpuSeconds: number;
  /** CPU seconds the benchmark's own process used meanwhile (the watches that see convergence). */
  benchCpuSeconds: number;
  /** AppNetworkPolicy reconciles from the operator's start until convergence. */
  reconciles: number;
  /** The operator's V8 heap in use when every policy was Ready (live objects and garbage not yet collected). */
  heapUsedMiB: number;
  operator: OperatorProcess;
  namespaces: string[];
}

type Policy = KubeObject & { status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } };

const isReady = (p: Policy) => p.status?.observedGeneration === p.metadata?.generation && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/**
 * Watches (rather than polls) AppNetworkPolicies and managed NetworkPolicies, so observing the
 * convergence adds no list load to the API server the operator is measured against. `firstStatusAt`
 * is when the first status for a policy's current generation arrived: the operator's first reconcile
 * that wrote (the seeded status has observedGeneration 0).
 */
async function watchConvergence(cluster: BenchCluster, policies: number, namespaces: readonly string[]): Promise<{ done: () => Promise<boolean>; firstStatusAt: () => number | undefined; stop: () => Promise<void> }> {
  const ready = new Informer<Policy>(cluster.admin, { resource: 'bench-policies', path: `${POLICIES}/appnetworkpolicies` }, silent);
  const generated = new Informer<KubeObject>(cluster.admin, { resource: 'bench-networkpolicies', path: `${NETPOL}/networkpolicies`, labelSelector: MANAGED }, silent);
  // Only the scenario's own namespaces count: a shared test cluster holds other Ready policies.
  const ours = new Set(namespaces);
  const inScenario = <T extends KubeObject>(objects: readonly T[]) => objects.filter((o) => ours.has(o.metadata!.namespace!));
  let firstStatusAt: number | undefined;
  ready.on({
    update: (p) => {
      if (firstStatusAt === undefined && ours.has(p.metadata!.namespace!) && p.status?.observedGeneration === p.metadata?.generation) firstStatusAt = Date.now();
    },
  });
  await Promise.all([ready.start(), generated.start()]);
  return {
    done: async () => inScenario(generated.list()).length >= policies && inScenario(ready.list()).filter(isReady).length >= policies,
    firstStatusAt: () => firstStatusAt,
    stop: async () => void (await Promise.all([ready.stop(), generated.stop()])),
  };
}

async function seedPolicies(cluster: BenchCluster, options: ScaleOptions, prefix: string): Promise<string[]> {
  const namespaces = Array.from({ length: options.namespaces }, (_, i) => `${prefix}-${i}`);
  await createNamespaces(cluster.admin, namespaces);
  await inPool(spread(options.policies, namespaces), 16, ({ index, namespace }) => cluster.admin.create(`${POLICIES}/namespaces/${namespace}/appnetworkpolicies`, policy(index, namespace)));
  return namespaces;
}

/**
 * The second write of a Ready policy, its status, costs the API server more than a NetworkPolicy; a
 * plain client writes an empty status to each seeded policy (the operator then writes the real one).
 */
async function statusCeiling(cluster: BenchCluster, options: ScaleOptions, namespaces: readonly string[]): Promise<number> {
  const started = Date.now();
  await inPool(spread(options.policies, namespaces), options.concurrency, ({ index, namespace }) =>
    cluster.admin.mergePatch(`${POLICIES}/namespaces/${namespace}/appnetworkpolicies/app-${index}/status`, { status: { observedGeneration: 0 } }),
  );
  return (Date.now() - started) / 1000;
}

/**
 * The status ceiling again, but with the statuses the operator wrote (its eight conditions and messages)
 * instead of a one-field one: what the content of its status costs the API server, apart from the
 * operator. Run with the operator stopped, like the other ceilings. Each policy is first put back to the
 * seeded status, untimed, so every timed write makes the step the operator's first status write made.
 */
export async function ownStatusCeiling(cluster: BenchCluster, options: ScaleOptions, namespaces: readonly string[]): Promise<Measured> {
  const ours = new Set(namespaces);
  const policies = (await cluster.admin.list<Policy>(`${POLICIES}/appnetworkpolicies`)).items.filter((p) => ours.has(p.metadata!.namespace!));
  const statusPath = (p: Policy) => `${POLICIES}/namespaces/${p.metadata!.namespace}/appnetworkpolicies/${p.metadata!.name}/status`;
  await inPool(policies, options.concurrency, (p) => cluster.admin.mergePatch(statusPath(p), { status: { observedGeneration: 0, conditions: null } }));
  const meter = startMeter(cluster);
  await inPool(policies, options.concurrency, (p) => cluster.admin.mergePatch(statusPath(p), { status: p.status }));
  return meter();
}

/** Policies exist before the operator starts; seconds from its start until all are Ready with their NetworkPolicy. */
export async function coldConvergence(cluster: BenchCluster, options: ScaleOptions, prefix: string, logDir: string): Promise<ConvergenceResult> {
  const namespaces = await seedPolicies(cluster, options, prefix);
  const statusCeilingSeconds = await statusCeiling(cluster, options, namespaces);
  const convergence = await watchConvergence(cluster, options.policies, namespaces);
  const writesBefore = await apiServerWrites(cluster.admin);
  const meter = startMeter(cluster);
  const started = Date.now();
  const operator = await startOperator({
    kubeconfig: cluster.plane.kubeconfig,
    logDir,
    name: prefix,
    args: ['--concurrency', String(options.concurrency), '--resync-seconds', String(options.resyncSeconds), '--log-level', 'warn'],
    env: options.operatorEnv ?? {},
  });
  const seconds = await secondsUntil(started, convergence.done, 30 * 60_000, 100).finally(convergence.stop);
  const cpu = cpuSeconds(operator.process.pid!);
  const { controlPlaneCpuSeconds, benchCpuSeconds } = meter();
  const writes = difference(await apiServerWrites(cluster.admin), writesBefore);
  const firstStatusSeconds = (convergence.firstStatusAt()! - started) / 1000;
  const metrics = await operator.metrics();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
  const reachableSeconds = metric('appnetpol_reachability_seconds_total');
  const heapUsedMiB = metric('nodejs_heap_size_used_bytes') / 2 ** 20;
  const reconciles = [...metrics.matchAll(/^controller_runtime_reconcile_total\{controller="appnetworkpolicy",[^}]*\} (\S+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  return { seconds, firstStatusSeconds, statusCeilingSeconds, reachableSeconds, heapUsedMiB, writes, cpuSeconds: cpu, controlPlaneCpuSeconds, benchCpuSeconds, reconciles, operator, namespaces };
}

/** API writes during one full resync period after convergence (the goal is none). */
export async function idleWrites(cluster: BenchCluster, options: ScaleOptions): Promise<Record<string, number>> {
  // The API server's counters do not say who wrote: let the namespace controller finish emptying
  // namespaces being deleted first, so what is counted is the operator's.
  await secondsUntil(Date.now(), async () => !(await cluster.admin.list('/api/v1/namespaces')).items.some((n) => n.metadata?.deletionTimestamp), 300_000, 1000);
  // Converged means the operator has finished its work, including on objects the scenario did not
  // make (a shared test cluster holds others): wait until its writes have stopped for 3 s.
  let before = await apiServerWrites(cluster.admin);
  for (let settled = false; !settled; ) {
    await new Promise((r) => setTimeout(r, 3000));
    const now = await apiServerWrites(cluster.admin);
    settled = Object.keys(difference(now, before)).length === 0;
    before = now;
  }
  await new Promise((r) => setTimeout(r, (options.resyncSeconds + 5) * 1000));
  return difference(await apiServerWrites(cluster.admin), before);
}

/** Latency from a spec update's write to its NetworkPolicy carrying the change, under a fixed update rate. */
export async function churnLatency(cluster: BenchCluster, namespaces: readonly string[], options: ScaleOptions & { ratePerSecond: number; seconds: number }): Promise<{ p50: number; p99: number; updates: number }> {
  const pending = new Map<string, { port: number; at: number }>();
  const latencies: number[] = [];
  const watch = new Informer<KubeObject & { spec: { ingress?: { ports?: { port?: number }[] }[] } }>(cluster.admin, { resource: 'bench', path: `${NETPOL}/networkpolicies`, labelSelector: MANAGED }, silent);
  const seen = (np: KubeObject & { spec: { ingress?: { ports?: { port?: number }[] }[] } }) => {
    const key = `${np.metadata!.namespace}/${np.metadata!.name}`;
    const wanted = pending.get(key);
    if (wanted && np.spec.ingress?.[0]?.ports?.[0]?.port === wanted.port) {
      latencies.push(Date.now() - wanted.at);
      pending.delete(key);
    }
  };
  watch.on({ add: seen, update: seen });
  await watch.start();
  const total = options.ratePerSecond * options.seconds;
  const started = Date.now();
  for (let u = 0; u < total; u++) {
    const delay = started + (u * 1000) / options.ratePerSecond - Date.now();
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const index = (u * 7919) % options.policies;
    const namespace = namespaces[index % namespaces.length];
    const port = 10_000 + u;
    pending.set(`${namespace}/appnetpol-app-${index}`, { port, at: Date.now() });
    void cluster.admin.mergePatch(`${POLICIES}/namespaces/${namespace}/appnetworkpolicies/app-${index}`, { spec: { ingress: [{ from: [{ app: `client-${index}`, space: namespace }], ports: [{ protocol: 'TCP', port }] }] } });
  }
  await secondsUntil(Date.now(), async () => pending.size === 0, 120_000, 200).catch(() => undefined);
  await watch.stop();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), updates: latencies.length };
}

/** Seconds from switching `count` Spaces to DenyAll until each has its DenyAll baselines and essentials. */
export async function spacesToDenyAll(cluster: BenchCluster, count: number, prefix: string): Promise<number> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-space-${i}`);
  await createNamespaces(cluster.admin, names);
  const space = (name: string, value: string) => ({
    apiVersion: 'kf.dev/v1alpha1',
    kind: 'Space',
    metadata: { name },
    spec: { networkConfig: { appNetworkPolicy: { ingress: value, egress: value }, buildNetworkPolicy: { ingress: value, egress: value } } },
  });
  await inPool(names, 16, (name) => cluster.admin.create('/apis/kf.dev/v1alpha1/spaces', space(name, 'PermitAll')));
  const managedIn = async () => {
    const byNamespace = new Map<string, KubeObject[]>();
    for (const np of (await cluster.admin.list<KubeObject & { spec: { ingress?: unknown[] } }>(`${NETPOL}/networkpolicies`, { labelSelector: MANAGED })).items) {
      if (!np.metadata!.labels?.['networking.kf.dev/space']) continue;
      const list = byNamespace.get(np.metadata!.namespace!) ?? [];
      list.push(np);
      byNamespace.set(np.metadata!.namespace!, list);
    }
    return byNamespace;
  };
  // Every Space first has its two PermitAll baselines.
  await secondsUntil(Date.now(), async () => [...(await managedIn()).values()].filter((objects) => objects.length === 2).length >= count, 10 * 60_000, 1000);
  const started = Date.now();
  await inPool(names, 16, (name) => cluster.admin.mergePatch(`/apis/kf.dev/v1alpha1/spaces/${name}`, space(name, 'DenyAll')));
  return secondsUntil(
    started,
    async () => {
      const byNamespace = await managedIn();
      return names.every((n) => {
        const objects = byNamespace.get(n) ?? [];
        const baselinesDeny = objects.filter((o) => /^appnetpol-space-(app|build)$/.test(o.metadata!.name!)).every((o) => !(o as { spec: { ingress?: unknown[] } }).spec.ingress);
        return objects.length === 4 && baselinesDeny;
      });
    },
    10 * 60_000,
    1000,
  );
}

/** The same cold convergence with the @dot-i/k8s-operator peer (test/bench/peer-operator.ts): seconds and peak RSS. */
export async function peerConvergence(cluster: BenchCluster, options: ScaleOptions, prefix: string): Promise<{ seconds: number; peakRssMiB: number }> {
  const namespaces = await seedPolicies(cluster, options, prefix);
  const convergence = await watchConvergence(cluster, options.policies, namespaces);
  const started = Date.now();
  const peer = spawn(process.execPath, ['dist/test/bench/peer-operator.js'], { env: { ...process.env, KUBECONFIG: cluster.plane.kubeconfig }, stdio: 'ignore' });
  try {
    const seconds = await secondsUntil(started, convergence.done, 30 * 60_000, 100);
    return { seconds, peakRssMiB: peakRssMiB(peer.pid!) };
  } finally {
    peer.kill('SIGKILL');
    await convergence.stop();
  }
}
