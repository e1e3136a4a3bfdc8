/** Shared pieces of the benchmarks: a local control plane with the CRDs, bounded concurrency, statistics. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestContext, HttpMethod } from '@kubernetes/client-node';
import { fetch } from 'undici';
import { parseAllDocuments } from 'yaml';
import { startControlPlane, stopControlPlane, type ControlPlane } from '../../hack/control-plane.js';
import { KubeClient, isConflict } from '../../src/runtime/kube-client.js';

export interface BenchCluster {
  plane: ControlPlane;
  admin: KubeClient;
  stop(): void;
}

/**
 * By default Spaces but not Kf Apps: without the Apps CRD app references are not checked, so the operator
 * benchmark's policies are Ready without 10,000 App objects and no AppNotFound Events inflate the writes.
 */
export async function startBenchCluster(crds: string[] = ['crds', 'crds/kf/spaces.kf.dev.yaml']): Promise<BenchCluster> {
  const plane = await startControlPlane({ crds });
  return { plane, admin: KubeClient.fromFile(plane.kubeconfig), stop: () => stopControlPlane(plane) };
}

/** Runs `run` on a control plane of its own, torn down afterwards whatever happens. */
export async function onFreshCluster<T>(run: (cluster: BenchCluster) => Promise<T>, crds?: string[]): Promise<T> {
  const cluster = await startBenchCluster(crds);
  try {
    return await run(cluster);
  } finally {
    cluster.stop();
  }
}

/**
 * Writes one run's figures as JSON (one file per run, so runs can be compared by a program) under
 * $APPNETPOL_BENCH_RESULTS, else the system's temporary directory; returns the file's path.
 */
export function writeResults(benchmark: string, results: unknown): string {
  const dir = process.env.APPNETPOL_BENCH_RESULTS ?? join(tmpdir(), 'appnetpol-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${benchmark}-${new Date().toISOString().replaceAll(':', '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark, finishedAt: new Date().toISOString(), node: process.version, cpus: os.cpus().length, results }, null, 2)}\n`);
  return file;
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function inPool<T>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export async function createNamespaces(admin: KubeClient, names: readonly string[]): Promise<void> {
  await inPool(names, 16, (name) =>
    admin.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }).catch((e: unknown) => (isConflict(e) ? undefined : Promise.reject(e))),
  );
}

/** Polls `done` every `intervalMs` until it holds; returns the seconds it took since `since`. */
export async function secondsUntil(since: number, done: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<number> {
  const deadline = since + timeoutMs;
  for (;;) {
    if (await done()) return (Date.now() - since) / 1000;
    if (Date.now() > deadline) throw new Error(`not done after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The environment values (plain `value`s) a Deployment's container ships with: its V8 and malloc settings among them. */
export function deploymentEnv(file: string, containerName: string): Record<string, string> {
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = document.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: { name: string; env?: { name: string; value?: string }[] }[] } } } };
    if (object?.kind !== 'Deployment') continue;
    const container = object.spec?.template?.spec?.containers?.find((c) => c.name === containerName);
    if (container) return Object.fromEntries((container.env ?? []).flatMap((e) => (e.value === undefined ? [] : [[e.name, e.value]])));
  }
  throw new Error(`${file}: no Deployment with a container ${containerName}`);
}

/**
 * What the image adds to a Deployment's environment: Node's compile cache, filled by the Dockerfile's own step
 * (dist/bundle/compile-cache.js), here in a directory of this run.
 */
export function imageEnv(): Record<string, string> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'appnetpol-compile-cache-'));
  execFileSync(process.execPath, ['dist/bundle/compile-cache.js'], { env: { ...process.env, NODE_COMPILE_CACHE: cacheDir }, stdio: 'ignore' });
  return { NODE_COMPILE_CACHE: cacheDir };
}

/** Peak resident set size of a process, from the kernel's own high-water mark. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** CPU seconds (user and system) a process has used so far, from the kernel's accounting. */
export function cpuSeconds(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name's closing parenthesis.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds the control plane's API server and etcd have used so far: the work a client's requests cost it. */
function controlPlaneCpuSeconds(cluster: BenchCluster): number {
  return cpuSeconds(cluster.plane.processes['kube-apiserver'].pid) + cpuSeconds(cluster.plane.processes.etcd.pid);
}

/** CPU seconds this benchmark process has used so far (its client requests and watches). */
function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Starts a meter: calling it gives the wall-clock seconds, and the CPU seconds of the control plane and of this process, since. */
export function startMeter(cluster: BenchCluster): () => Measured {
  const controlPlaneBefore = controlPlaneCpuSeconds(cluster);
  const ownBefore = ownCpuSeconds();
  const started = Date.now();
  return () => ({ seconds: (Date.now() - started) / 1000, controlPlaneCpuSeconds: controlPlaneCpuSeconds(cluster) - controlPlaneBefore, benchCpuSeconds: ownCpuSeconds() - ownBefore });
}

export interface Measured {
  seconds: number;
  controlPlaneCpuSeconds: number;
  benchCpuSeconds: number;
}

/** What the operator writes for its own work; its leader-election Lease renewals are not counted here. */
const OPERATOR_RESOURCES = new Set(['networkpolicies', 'appnetworkpolicies', 'events', 'sidecars', 'authorizationpolicies', 'peerauthentications']);

/** Mutating requests the API server has served so far to the operator's resources, by verb and resource. */
export async function apiServerWrites(admin: KubeClient): Promise<Record<string, number>> {
  const url = `${admin.server}/metrics`;
  const context = new RequestContext(url, HttpMethod.GET);
  await admin.config.applySecurityAuthentication(context);
  const text = await (await fetch(url, { headers: context.getHeaders(), dispatcher: context.getDispatcher() })).text();
  const writes: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1];
    const resource = /resource="([a-z]+)"/.exec(line)?.[1];
    if (!verb || !['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY'].includes(verb) || !resource || !OPERATOR_RESOURCES.has(resource)) continue;
    const key = `${verb} ${resource}`;
    writes[key] = (writes[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return writes;
}

export function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [verb, count] of Object.entries(after)) {
    const delta = count - (before[verb] ?? 0);
    if (delta > 0) out[verb] = delta;
  }
  return out;
}
