/**
 * Benchmark of the cf-api at Cloud Foundry's published scale: loads 20,000 Kf Apps and 60,000 policies
 * through the API into a real local control plane, then drives `GET /policies?id=<200 GUIDs>` (what the
 * cf CLI sends) at rising constant rates with vegeta (test/tools/cf-api-load) and prints the highest rate
 * held with p99 < 50 ms, the
 * service's RSS and heap, and the policy load time beside the time a plain client takes to write the
 * very objects the service ends up with (the baseline, measured in the same run). It also times one
 * PUT of an object with the most rules a direction may hold, named and unnamed, which is what the
 * CRD's rule-name check costs. `--smoke` runs the same code at a tiny scale.
 *
 *   node dist/test/bench/cf-api.js [--apps 20000] [--policies 60000] [--rates 100,200,...] [--step-seconds 10]
 *     [--service-node-options='--cpu-prof --cpu-prof-dir=/tmp/prof'] [--smoke]
 *
 * The service runs with the environment of config/manager/cf-api.yaml's container (NODE_OPTIONS,
 * MALLOC_ARENA_MAX); --service-node-options is appended to its NODE_OPTIONS.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { API_VERSION, KIND, LABEL_MANAGED_BY, MANAGED_BY, POLICIES_PATH, type AppNetworkPolicy, type EgressRule, type IngressRule } from '../../src/api/types.js';
import { LIMITS } from '../../src/api/appnetworkpolicy-schema.js';
import type { AppLocation } from '../../src/cfapi/policy-index.js';
import { CF_API_SELECTOR, halvesOf, LABEL_SOURCE, objectName, SOURCE_CF_API } from '../../src/cfapi/storage.js';
import type { KubeClient, KubeObject } from '../../src/runtime/kube-client.js';
import { grantCfAdmin, startCfApi } from '../support/cf-api.js';
import { goTool } from '../support/go-tool.js';
import { createNamespaces, deploymentEnv, difference, imageEnv, inPool, median, onFreshCluster, writeResults, type BenchCluster } from './harness.js';

export interface CfApiBenchPlan {
  apps: number;
  policies: number;
  namespaces: number;
  /** Requests per second to try, in order; the run stops at the first rate not held. */
  rates: number[];
  stepSeconds: number;
  /** GUIDs per list request (the cf CLI's batch size). */
  guidsPerRequest: number;
  /** Writes in flight for the plain-client baseline and the app creates. */
  plainConcurrency: number;
}

export interface RateStep {
  rate: number;
  /** Requests answered with 200 in the step, and per second from the first request to the last answer. */
  answered: number;
  answeredPerSecond: number;
  /** Response body bytes per second. */
  bytesPerSecond: number;
  /** The service's CPU time (user + system) per answered request: its cost, apart from the machine's load. */
  serviceCpuMsPerRequest: number;
  /** Connection errors, timeouts and answers other than 200; and their distinct messages. */
  errors: number;
  errorMessages: string[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** p99 under the target, no errors, and at least 95% of the rate answered. */
  held: boolean;
}

export interface CfApiBenchResult {
  appsSeconds: number;
  /** Plain client writing the AppNetworkPolicies the service ends up with, one create each. */
  plainWriteSeconds: number;
  /** All the policies through `POST /policies` (apps existing already). */
  policyLoadSeconds: number;
  /** policyLoadSeconds ÷ plainWriteSeconds. */
  loadRatio: number;
  /** The service's requests to the API server while loading, by method (the baseline: one POST per object). */
  loadApiRequests: Record<string, number>;
  objects: number;
  /** One PUT of an object with LIMITS.rulesPerDirection rules each way, median of a few. */
  putNamedRulesMs: number;
  putUnnamedRulesMs: number;
  steps: RateStep[];
  /** Highest rate held (0 when none). */
  highestHeldRate: number;
  /** Service RSS and V8 heap in use once everything is loaded, before the list load. */
  rssAfterLoadMiB: number;
  heapAfterLoadMiB: number;
  /** Service RSS after the rate steps. */
  rssMiB: number;
  /** Load average of the machine (1, 5, 15 minutes) when the run finished: the machine may be shared. */
  loadAverage: number[];
}

const P99_TARGET_MS = 50;
const POLICIES_PER_REQUEST = 100;
const V1 = '/networking/v1/external';

const WARM_UP_SECONDS = 2;
/** A request not answered by then counts as an error (it would otherwise stretch the step). */
const REQUEST_TIMEOUT_SECONDS = 10;
const PUT_SAMPLES = 5;

export const FULL_PLAN: CfApiBenchPlan = { apps: 20_000, policies: 60_000, namespaces: 200, rates: [100, 200, 400, 600, 800, 1000, 1200, 1600, 2000], stepSeconds: 10, guidsPerRequest: 200, plainConcurrency: 32 };
export const SMOKE_PLAN: CfApiBenchPlan = { apps: 200, policies: 600, namespaces: 4, rates: [20], stepSeconds: 2, guidsPerRequest: 200, plainConcurrency: 32 };

/** Policy i: app (i mod N) to a spread-out partner, each on its own port, so no app exceeds the CRD's rule limits. */
function policyBody(guids: string[], from: number, to: number) {
  return {
    policies: Array.from({ length: to - from }, (_, k) => {
      const i = from + k;
      const source = i % guids.length;
      const round = Math.floor(i / guids.length);
      return { source: { id: guids[source] }, destination: { id: guids[(source + 1 + round * 97) % guids.length], protocol: 'tcp', ports: { start: 8080 + round, end: 8080 + round } } };
    }),
  };
}

/** A latency as printed: whole milliseconds below 10 ms would hide the difference between 1 and 9.4. */
function ms(value: number): string {
  return value < 10 ? value.toFixed(1) : value.toFixed(0);
}

/** CPU time a process has used so far, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : 0;
}

/** Prometheus text's value of a metric without labels. */
async function metricValue(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** The service's requests to the API server so far, by method (its rest_client_requests_total). */
async function apiRequestsByMethod(metricsUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, labels, value] of text.matchAll(/^rest_client_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const method = /method="([A-Z]+)"/.exec(labels)?.[1] ?? '?';
    counts[method] = (counts[method] ?? 0) + Number(value);
  }
  return counts;
}

/** What test/tools/cf-api-load reports for one step. */
interface LoadReport {
  requests: number;
  seconds: number;
  bytesIn: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statusCodes: Record<string, number>;
  errors: string[];
}

/** Runs the vegeta-based generator for one step: its plan on stdin, its report on stdout. */
function runLoad(binary: string, input: object): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadReport) : reject(new Error(`cf-api-load exited with ${code}`))));
    child.stdin.end(JSON.stringify(input));
  });
}

/**
 * `rate` requests per second, evenly spaced (open loop), for the step; every request asks for a fresh
 * random set of GUIDs.
 */
async function driveRate(load: string, url: string, pid: number, token: string, guids: string[], plan: CfApiBenchPlan, rate: number): Promise<RateStep> {
  const cpuBefore = cpuMs(pid);
  const report = await runLoad(load, { url: `${url}${V1}/policies`, token, guids, guidsPerRequest: plan.guidsPerRequest, rate, durationSeconds: plan.stepSeconds, timeoutSeconds: REQUEST_TIMEOUT_SECONDS });
  const answered = report.statusCodes['200'] ?? 0;
  const errors = report.requests - answered;
  const answeredPerSecond = answered / report.seconds;
  const p99Ms = answered ? report.p99Ms : Infinity;
  return {
    rate,
    answered,
    answeredPerSecond,
    bytesPerSecond: report.bytesIn / report.seconds,
    serviceCpuMsPerRequest: answered ? (cpuMs(pid) - cpuBefore) / answered : Infinity,
    errors,
    errorMessages: report.errors,
    p50Ms: answered ? report.p50Ms : Infinity,
    p99Ms,
    maxMs: report.maxMs,
    held: errors === 0 && p99Ms < P99_TARGET_MS && answeredPerSecond >= 0.95 * rate,
  };
}

/** The AppNetworkPolicies the service writes for these policies, built with its own code (halvesOf). */
function objectsFor(policies: ReturnType<typeof policyBody>['policies'], apps: Map<string, AppLocation>): (AppNetworkPolicy & KubeObject)[] {
  const objects = new Map<AppLocation, { egress: EgressRule[]; ingress: IngressRule[] }>();
  for (const p of policies) {
    const policy = { source: p.source.id, destination: p.destination.id, protocol: 'tcp' as const, start: p.destination.ports.start, end: p.destination.ports.end };
    for (const half of halvesOf(policy, apps.get(policy.source)!, apps.get(policy.destination)!)) {
      let rules = objects.get(half.app);
      if (!rules) objects.set(half.app, (rules = { egress: [], ingress: [] }));
      rules[half.direction].push(half.rule);
    }
  }
  return [...objects].map(([app, rules]) => ({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: objectName(app.name), namespace: app.namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SOURCE]: SOURCE_CF_API } },
    spec: { app: app.name, ...(rules.egress.length ? { egress: rules.egress } : {}), ...(rules.ingress.length ? { ingress: rules.ingress } : {}) },
  }));
}

/** The baseline: a plain client creates the objects; they are removed again before the service starts. */
async function plainWrite(admin: KubeClient, objects: (AppNetworkPolicy & KubeObject)[], namespaces: string[], concurrency: number): Promise<number> {
  const started = Date.now();
  await inPool(objects, concurrency, (obj) => admin.create(`/apis/networking.kf.dev/v1alpha1/namespaces/${obj.metadata.namespace}/appnetworkpolicies`, obj));
  const seconds = (Date.now() - started) / 1000;
  await inPool(namespaces, 16, (ns) => admin.request('DELETE', `/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies`, { query: { labelSelector: CF_API_SELECTOR } }));
  const left = await admin.list(POLICIES_PATH, { labelSelector: CF_API_SELECTOR });
  if (left.items.length) throw new Error(`${left.items.length} baseline objects left after deleting them`);
  return seconds;
}

/** Median time of one PUT of an object with the most rules per direction, with or without rule names. */
async function timePut(admin: KubeClient, namespace: string, named: boolean): Promise<number> {
  const rule = (i: number) => ({ ...(named ? { name: `rule-${i}` } : {}), ports: [{ protocol: 'TCP' as const, port: 1000 + i }] });
  const name = `put-timing-${named ? 'named' : 'unnamed'}`;
  const path = `/apis/networking.kf.dev/v1alpha1/namespaces/${namespace}/appnetworkpolicies`;
  const spec = (round: number) => ({ app: `app-${round}`, egress: Array.from({ length: LIMITS.rulesPerDirection }, (_, i) => rule(i)), ingress: Array.from({ length: LIMITS.rulesPerDirection }, (_, i) => rule(i)) });
  let current = await admin.create<KubeObject>(path, { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, spec: spec(0) });
  const samples: number[] = [];
  for (let round = 1; round <= PUT_SAMPLES; round++) {
    const started = performance.now();
    current = await admin.replace<KubeObject>(`${path}/${name}`, { ...current, spec: spec(round) });
    samples.push(performance.now() - started);
  }
  await admin.request('DELETE', `${path}/${name}`);
  return median(samples);
}

/**
 * The whole benchmark as `npm run bench:cf-api` runs it: a fresh control plane with the Kf App CRD (app
 * GUIDs are App uids), the run, teardown. The smoke test calls this too, so the command cannot rot.
 */
export function benchCfApi(plan: CfApiBenchPlan, log: (line: string) => void = () => undefined, serviceNodeOptions?: string): Promise<CfApiBenchResult> {
  return onFreshCluster((cluster) => runCfApiBench(cluster, plan, log, serviceNodeOptions), ['crds', 'crds/kf']);
}

async function runCfApiBench(cluster: Pick<BenchCluster, 'plane' | 'admin'>, plan: CfApiBenchPlan, log: (line: string) => void, serviceNodeOptions?: string): Promise<CfApiBenchResult> {
  const { plane, admin } = cluster;
  // Built first: a missing Go fails the run before minutes of loading.
  const load = goTool('cf-api-load');
  const run = randomBytes(3).toString('hex');
  await grantCfAdmin(admin, 'cf-admin', `bench-${run}`);
  const namespaces = Array.from({ length: plan.namespaces }, (_, i) => `cfb-${run}-${i}`);
  await createNamespaces(admin, namespaces);

  const appsStarted = Date.now();
  const guids: string[] = new Array<string>(plan.apps);
  const apps = new Map<string, AppLocation>();
  await inPool(Array.from({ length: plan.apps }, (_, i) => i), plan.plainConcurrency, async (i) => {
    const ns = namespaces[i % namespaces.length];
    const app = await admin.create<KubeObject>(`/apis/kf.dev/v1alpha1/namespaces/${ns}/apps`, { apiVersion: 'kf.dev/v1alpha1', kind: 'App', metadata: { name: `app-${i}`, namespace: ns }, spec: {} });
    guids[i] = app.metadata!.uid!;
    apps.set(guids[i], { namespace: ns, name: `app-${i}` });
  });
  const appsSeconds = (Date.now() - appsStarted) / 1000;
  log(`created ${plan.apps} apps in ${appsSeconds.toFixed(1)}s`);

  const objects = objectsFor(policyBody(guids, 0, plan.policies).policies, apps);
  const plainWriteSeconds = await plainWrite(admin, objects, namespaces, plan.plainConcurrency);
  log(`baseline: a plain client wrote the same AppNetworkPolicies in ${plainWriteSeconds.toFixed(1)}s`);
  const putNamedRulesMs = await timePut(admin, namespaces[0], true);
  const putUnnamedRulesMs = await timePut(admin, namespaces[0], false);
  log(`one PUT with ${LIMITS.rulesPerDirection} rules per direction: ${putNamedRulesMs.toFixed(0)} ms named, ${putUnnamedRulesMs.toFixed(0)} ms unnamed`);

  // The service runs as the image and the Deployment run it (compile cache, V8 and malloc settings); --service-node-options adds to them.
  const shipped = { ...imageEnv(), ...deploymentEnv('config/manager/cf-api.yaml', 'cf-api') };
  const nodeOptions = [shipped.NODE_OPTIONS, serviceNodeOptions].filter(Boolean).join(' ');
  const env = { ...shipped, APPNETPOL_LOG_LEVEL: 'warn', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
  log(`service environment: ${Object.entries(env).map(([name, value]) => `${name}=${value}`).join(' ')}`);
  const service = await startCfApi({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: `bench-${run}`, env });
  const token = plane.identities['cf-admin'].token;
  try {
    const requestsBefore = await apiRequestsByMethod(service.metricsUrl);
    const loadStarted = Date.now();
    const batches = Array.from({ length: Math.ceil(plan.policies / POLICIES_PER_REQUEST) }, (_, b) => [b * POLICIES_PER_REQUEST, Math.min(plan.policies, (b + 1) * POLICIES_PER_REQUEST)]);
    await inPool(batches, 8, async ([from, to]) => {
      for (let attempt = 0; ; attempt++) {
        const response = await service.call('POST', `${V1}/policies`, { token, body: policyBody(guids, from, to) });
        if (response.status === 200) return;
        // 403 "cannot be found": the service's app cache has not caught up with the creates yet.
        if (attempt > 60) throw new Error(`loading policies ${from}-${to} failed: ${response.status} ${response.text}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    });
    const policyLoadSeconds = (Date.now() - loadStarted) / 1000;
    const loadApiRequests = difference(await apiRequestsByMethod(service.metricsUrl), requestsBefore);
    const total = (await service.call('GET', `${V1}/policies`, { token })).json() as { total_policies: number };
    if (total.total_policies !== plan.policies) throw new Error(`expected ${plan.policies} policies, the API lists ${total.total_policies}`);
    const rssAfterLoadMiB = rssMiB(service.process.pid!);
    const heapAfterLoadMiB = (await metricValue(service.metricsUrl, 'nodejs_heap_size_used_bytes')) / 2 ** 20;
    log(`loaded ${plan.policies} policies in ${policyLoadSeconds.toFixed(1)}s (${(policyLoadSeconds / plainWriteSeconds).toFixed(2)}x the baseline); service RSS ${rssAfterLoadMiB.toFixed(0)} MiB, heap ${heapAfterLoadMiB.toFixed(0)} MiB`);

    // Unrecorded: the first answers run before the list path is compiled and the ranks are redone after the
    // load, which the first step would otherwise count as its CPU and latency.
    await driveRate(load, service.url, service.process.pid!, token, guids, { ...plan, stepSeconds: WARM_UP_SECONDS }, plan.rates[0]);
    const steps: RateStep[] = [];
    for (const rate of plan.rates) {
      const step = await driveRate(load, service.url, service.process.pid!, token, guids, plan, rate);
      steps.push(step);
      log(`rate ${rate}/s: ${step.answeredPerSecond.toFixed(0)}/s answered, ${(step.bytesPerSecond / 2 ** 20).toFixed(1)} MiB/s, service CPU ${step.serviceCpuMsPerRequest.toFixed(2)} ms/request, p50 ${ms(step.p50Ms)} ms, p99 ${ms(step.p99Ms)} ms, max ${ms(step.maxMs)} ms, errors ${step.errors}${step.errorMessages.length ? ` (${step.errorMessages.slice(0, 3).join('; ')})` : ''}${step.held ? '' : ' (not held)'}`);
      if (!step.held) break;
    }
    const held = steps.filter((s) => s.held);
    return {
      appsSeconds,
      plainWriteSeconds,
      policyLoadSeconds,
      loadRatio: policyLoadSeconds / plainWriteSeconds,
      loadApiRequests,
      objects: objects.length,
      putNamedRulesMs,
      putUnnamedRulesMs,
      steps,
      highestHeldRate: held.length ? held[held.length - 1].rate : 0,
      rssAfterLoadMiB,
      heapAfterLoadMiB,
      rssMiB: rssMiB(service.process.pid!),
      loadAverage: os.loadavg(),
    };
  } finally {
    await service.stop();
  }
}

export function formatCfApiBench(plan: CfApiBenchPlan, result: CfApiBenchResult): string {
  return [
    `cf-api: ${plan.apps} apps, ${plan.policies} policies, GET /policies?id=<${plan.guidsPerRequest} GUIDs>`,
    `apps created in ${result.appsSeconds.toFixed(1)} s`,
    `policy load: ${result.policyLoadSeconds.toFixed(1)} s through the API, ${result.plainWriteSeconds.toFixed(1)} s by a plain client writing the same objects: ${result.loadRatio.toFixed(2)}x`,
    `the service's API requests while loading: ${Object.entries(result.loadApiRequests).map(([method, n]) => `${n} ${method}`).join(', ')} (${result.objects} objects)`,
    `one PUT with ${LIMITS.rulesPerDirection} rules per direction: ${result.putNamedRulesMs.toFixed(0)} ms named, ${result.putUnnamedRulesMs.toFixed(0)} ms unnamed`,
    '| rate/s | answered/s | MiB/s | service CPU ms/request | errors | p50 ms | p99 ms | max ms | held |',
    '|---|---|---|---|---|---|---|---|---|',
    ...result.steps.map((s) => `| ${s.rate} | ${s.answeredPerSecond.toFixed(0)} | ${(s.bytesPerSecond / 2 ** 20).toFixed(1)} | ${s.serviceCpuMsPerRequest.toFixed(2)} | ${s.errors} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${ms(s.maxMs)} | ${s.held ? 'yes' : 'no'} |`),
    `highest rate held with p99 < ${P99_TARGET_MS} ms: ${result.highestHeldRate}/s`,
    `service: ${result.rssAfterLoadMiB.toFixed(0)} MiB RSS and ${result.heapAfterLoadMiB.toFixed(0)} MiB heap loaded and idle, ${result.rssMiB.toFixed(0)} MiB RSS after the rate steps`,
    `load average at the end: ${result.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      apps: { type: 'string' },
      policies: { type: 'string' },
      namespaces: { type: 'string' },
      rates: { type: 'string' },
      'step-seconds': { type: 'string' },
      'service-node-options': { type: 'string' },
    },
  });
  const base = values.smoke ? SMOKE_PLAN : FULL_PLAN;
  const plan: CfApiBenchPlan = {
    ...base,
    apps: Number(values.apps ?? base.apps),
    policies: Number(values.policies ?? base.policies),
    namespaces: Number(values.namespaces ?? base.namespaces),
    rates: values.rates ? values.rates.split(',').map(Number) : base.rates,
    stepSeconds: Number(values['step-seconds'] ?? base.stepSeconds),
  };
  const result = await benchCfApi(plan, (line) => console.error(`bench: ${line}`), values['service-node-options']);
  console.log(formatCfApiBench(plan, result));
  console.log(`results: ${writeResults('cf-api', { plan, result })}`);
}
