/**
 * Benchmark of the cf-api at Cloud Foundry's published scale: loads 20,000 Kf Apps and 60,000 policies
 * through the API into a real local control plane, then drives `GET /policies?id=<200 GUIDs>` (what the
 * cf CLI sends) from a loopback load generator at rising rates and prints the highest rate held with
 * p99 < 50 ms, the service's RSS and the load time. `--smoke` runs the same code at a tiny scale.
 *
 *   node dist/test/bench/cf-api.js [--apps 20000] [--policies 60000] [--rates 25,50,...] [--step-seconds 10] [--smoke]
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { grantCfAdmin, startCfApi } from '../support/cf-api.js';
import { createNamespaces, inPool, onFreshCluster, percentile, writeResults, type BenchCluster } from './harness.js';

export interface CfApiBenchPlan {
  apps: number;
  policies: number;
  namespaces: number;
  /** Requests per second to try, in order; the run stops at the first rate not held. */
  rates: number[];
  stepSeconds: number;
  /** GUIDs per list request (the cf CLI's batch size). */
  guidsPerRequest: number;
}

export interface RateStep {
  rate: number;
  sent: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  held: boolean;
}

export interface CfApiBenchResult {
  loadSeconds: number;
  steps: RateStep[];
  /** Highest rate with p99 under the target and no errors (0 when none). */
  highestHeldRate: number;
  /** Service RSS once everything is loaded, before the list load. */
  rssAfterLoadMiB: number;
  /** Service RSS after the rate steps (includes responses buffered while a rate was not held). */
  rssMiB: number;
}

const P99_TARGET_MS = 50;
const POLICIES_PER_REQUEST = 100;
const V1 = '/networking/v1/external';

export const FULL_PLAN: CfApiBenchPlan = { apps: 20_000, policies: 60_000, namespaces: 200, rates: [25, 50, 100, 200, 400, 800, 1600], stepSeconds: 10, guidsPerRequest: 200 };
export const SMOKE_PLAN: CfApiBenchPlan = { apps: 200, policies: 600, namespaces: 4, rates: [20], stepSeconds: 2, guidsPerRequest: 200 };

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

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : 0;
}

/** Open-loop load at `rate` for `seconds`: requests go out on schedule whether or not earlier ones returned. */
async function driveRate(pool: Pool, token: string, guids: string[], plan: CfApiBenchPlan, rate: number): Promise<RateStep> {
  const total = Math.round(rate * plan.stepSeconds);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const ids = Array.from({ length: plan.guidsPerRequest }, () => guids[Math.floor(Math.random() * guids.length)]).join(',');
    inFlight.push(
      pool.request({ method: 'GET', path: `${V1}/policies?id=${encodeURIComponent(ids)}`, headers: { authorization: `Bearer ${token}` } }).then(
        async (response) => {
          await response.body.text();
          if (response.statusCode !== 200) errors++;
          // Latency from when the request was due, so a generator that falls behind counts against the rate.
          latencies.push(performance.now() - due);
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inFlight);
  const p99Ms = latencies.length ? percentile(latencies, 99) : Infinity;
  return { rate, sent: total, errors, p50Ms: latencies.length ? percentile(latencies, 50) : Infinity, p99Ms, held: errors === 0 && p99Ms < P99_TARGET_MS };
}

/**
 * The whole benchmark as `npm run bench:cf-api` runs it: a fresh control plane with the Kf App CRD (app
 * GUIDs are App uids), the run, teardown. The smoke test calls this too, so the command cannot rot.
 */
export function benchCfApi(plan: CfApiBenchPlan, log: (line: string) => void = () => undefined): Promise<CfApiBenchResult> {
  return onFreshCluster((cluster) => runCfApiBench(cluster, plan, log), ['crds', 'crds/kf']);
}

async function runCfApiBench(cluster: Pick<BenchCluster, 'plane' | 'admin'>, plan: CfApiBenchPlan, log: (line: string) => void): Promise<CfApiBenchResult> {
  const { plane, admin } = cluster;
  const run = randomBytes(3).toString('hex');
  await grantCfAdmin(admin, 'cf-admin', `bench-${run}`);
  const namespaces = Array.from({ length: plan.namespaces }, (_, i) => `cfb-${run}-${i}`);
  await createNamespaces(admin, namespaces);

  const loadStarted = Date.now();
  const guids: string[] = new Array<string>(plan.apps);
  await inPool(Array.from({ length: plan.apps }, (_, i) => i), 32, async (i) => {
    const ns = namespaces[i % namespaces.length];
    const app = await admin.create<KubeObject>(`/apis/kf.dev/v1alpha1/namespaces/${ns}/apps`, { apiVersion: 'kf.dev/v1alpha1', kind: 'App', metadata: { name: `app-${i}`, namespace: ns }, spec: {} });
    guids[i] = app.metadata!.uid!;
  });
  log(`created ${plan.apps} apps in ${((Date.now() - loadStarted) / 1000).toFixed(1)}s`);

  const service = await startCfApi({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: `bench-${run}`, env: { APPNETPOL_LOG_LEVEL: 'warn' } });
  const token = plane.identities['cf-admin'].token;
  try {
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
    const loadSeconds = (Date.now() - loadStarted) / 1000;
    const total = (await service.call('GET', `${V1}/policies`, { token })).json() as { total_policies: number };
    if (total.total_policies !== plan.policies) throw new Error(`expected ${plan.policies} policies, the API lists ${total.total_policies}`);
    const rssAfterLoadMiB = rssMiB(service.process.pid!);
    log(`loaded ${plan.apps} apps and ${plan.policies} policies in ${loadSeconds.toFixed(1)}s; service RSS ${rssAfterLoadMiB.toFixed(0)} MiB`);

    const pool = new Pool(service.url, { connections: 64, pipelining: 1 });
    const steps: RateStep[] = [];
    try {
      for (const rate of plan.rates) {
        const step = await driveRate(pool, token, guids, plan, rate);
        steps.push(step);
        log(`rate ${rate}/s: p50 ${step.p50Ms.toFixed(1)} ms, p99 ${step.p99Ms.toFixed(1)} ms, errors ${step.errors}${step.held ? '' : ' (not held)'}`);
        if (!step.held) break;
      }
    } finally {
      await pool.close();
    }
    const held = steps.filter((s) => s.held);
    return { loadSeconds, steps, highestHeldRate: held.length ? held[held.length - 1].rate : 0, rssAfterLoadMiB, rssMiB: rssMiB(service.process.pid!) };
  } finally {
    await service.stop();
  }
}

export function formatCfApiBench(plan: CfApiBenchPlan, result: CfApiBenchResult): string {
  return [
    `cf-api: ${plan.apps} apps, ${plan.policies} policies, GET /policies?id=<${plan.guidsPerRequest} GUIDs>`,
    `load time: ${result.loadSeconds.toFixed(1)} s`,
    '| rate/s | sent | errors | p50 ms | p99 ms | held |',
    '|---|---|---|---|---|---|',
    ...result.steps.map((s) => `| ${s.rate} | ${s.sent} | ${s.errors} | ${s.p50Ms.toFixed(1)} | ${s.p99Ms.toFixed(1)} | ${s.held ? 'yes' : 'no'} |`),
    `highest rate held with p99 < ${P99_TARGET_MS} ms: ${result.highestHeldRate}/s`,
    `service RSS: ${result.rssAfterLoadMiB.toFixed(0)} MiB loaded and idle, ${result.rssMiB.toFixed(0)} MiB after the rate steps`,
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
  const result = await benchCfApi(plan, (line) => console.error(`bench: ${line}`));
  console.log(formatCfApiBench(plan, result));
  console.log(`results: ${writeResults('cf-api', { plan, result })}`);
}
