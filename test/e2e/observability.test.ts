/**
 * What operations see: every metric docs/operations.md and docs/cf-api.md document is on /metrics, scraped
 * by name (controller-runtime's names for the controller), and OpenTelemetry
 * spans reach an OTLP/HTTP receiver only when the OTEL_* environment asks for it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNamespace, eventually, testCluster } from '../support/cluster.js';
import { startCfApi } from '../support/cf-api.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { createPolicy, waitReady } from '../support/policies.js';

const { plane } = testCluster();

interface ReceivedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  service: unknown;
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: (Omit<ReceivedSpan, 'attributes' | 'service'> & { attributes?: OtlpAttribute[] })[] }[];
  }[];
}

const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map((a) => [a.key, Object.values(a.value)[0]]));

/** A minimal OTLP/HTTP JSON trace receiver on loopback. */
async function startReceiver(): Promise<{ endpoint: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        for (const resourceSpans of (JSON.parse(body) as OtlpExport).resourceSpans ?? []) {
          const service = attributesOf(resourceSpans.resource?.attributes)['service.name'];
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) spans.push({ ...span, attributes: attributesOf(span.attributes), service });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

const tracingEnv = (endpoint: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '200' });

let namespace: string;
const running: OperatorProcess[] = [];
const receivers: Server[] = [];

async function start(name: string, env: NodeJS.ProcessEnv = {}): Promise<OperatorProcess> {
  const operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name, env });
  running.push(operator);
  return operator;
}

beforeAll(async () => {
  namespace = await createNamespace('obs');
});

afterAll(async () => {
  await Promise.all(running.map((operator) => operator.stop()));
  receivers.forEach((server) => server.close());
});

/** Metric names in backticks in a document, or on # TYPE lines of a scrape, of the families named here. */
const FAMILIES = /(appnetpol_[a-z_]+|controller_runtime_[a-z_]+|workqueue_[a-z_]+|leader_election_master_status|rest_client_requests_total)/;
const documentedIn = (file: string) => new Set([...readFileSync(file, 'utf8').matchAll(new RegExp(`\`${FAMILIES.source}`, 'g'))].map((m) => m[1]));
const servedIn = (metrics: string) => new Set([...metrics.matchAll(new RegExp(`^# TYPE ${FAMILIES.source} `, 'gm'))].map((m) => m[1]));

describe('metrics', () => {
  it('serves every metric docs/operations.md documents, by controller-runtime names, and the default process metrics', async () => {
    const operator = await start('obs-metrics');
    await createPolicy(namespace, 'counted');
    await waitReady(namespace, 'counted');
    const metrics = await operator.metrics();
    // Both ways: nothing documented is missing, nothing served is undocumented.
    expect([...servedIn(metrics)].sort()).toEqual([...documentedIn('docs/operations.md')].filter((name) => !name.startsWith('appnetpol_cf_api_')).sort());
    for (const name of ['process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) expect(metrics).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
    for (const sample of [
      /^appnetpol_managed_objects\{kind="AppNetworkPolicy"\} [1-9]/m,
      /^appnetpol_managed_objects\{kind="NetworkPolicy"\} [1-9]/m,
      new RegExp(`^appnetpol_build_info\\{version="${version}",nodejs_version="${process.versions.node}"\\} 1$`, 'm'),
      /^leader_election_master_status\{name="appnetpol-test-[0-9a-f]+"\} 1$/m,
      /^controller_runtime_reconcile_total\{controller="appnetworkpolicy",result="success"\} [1-9]/m,
      /^controller_runtime_reconcile_time_seconds_count\{controller="appnetworkpolicy"\} [1-9]/m,
      /^workqueue_adds_total\{name="appnetworkpolicy"\} [1-9]/m,
      /^workqueue_depth\{name="appnetworkpolicy"\} \d/m,
      /^workqueue_queue_duration_seconds_count\{name="appnetworkpolicy"\} [1-9]/m,
      /^workqueue_work_duration_seconds_count\{name="appnetworkpolicy"\} [1-9]/m,
      /^workqueue_unfinished_work_seconds\{name="appnetworkpolicy"\} \d/m,
      /^workqueue_longest_running_processor_seconds\{name="appnetworkpolicy"\} \d/m,
      new RegExp(`^rest_client_requests_total\\{code="200",method="GET",host="${new URL(plane.server).host}"\\} [1-9]`, 'm'),
    ]) {
      expect(metrics).toMatch(sample);
    }
    expect(operator.logs()).toContainEqual(expect.objectContaining({ msg: 'starting appnetpol controller', tracing: 'off' }));
    await operator.stop();
  });

  it('counts CF API requests by route and code, their latency and the auth caches, on the metrics address', async () => {
    const api = await startCfApi({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'obs-metrics' });
    try {
      const token = plane.identities.nobody.token;
      for (let i = 0; i < 2; i++) expect((await api.call('GET', '/networking/v1/external/policies', { token })).status).toBe(403);
      expect((await api.call('GET', '/networking/v1/external/policies')).status).toBe(401);
      expect((await api.call('GET', '/nowhere')).status).toBe(404);
      const metrics = await (await fetch(`${api.metricsUrl}/metrics`)).text();
      expect([...servedIn(metrics)].filter((name) => name.startsWith('appnetpol_cf_api_')).sort()).toEqual([...documentedIn('docs/cf-api.md')].filter((name) => name.startsWith('appnetpol_cf_api_')).sort());
      for (const sample of [
        'appnetpol_cf_api_requests_total{method="GET",route="/networking/:version/external/policies",code="403"} 2',
        'appnetpol_cf_api_requests_total{method="GET",route="/networking/:version/external/policies",code="401"} 1',
        'appnetpol_cf_api_requests_total{method="GET",route="unmatched",code="404"} 1',
        'appnetpol_cf_api_request_duration_seconds_count{method="GET",route="/networking/:version/external/policies"} 3',
        'appnetpol_cf_api_auth_cache_lookups_total{cache="token",result="miss"} 1',
        'appnetpol_cf_api_auth_cache_lookups_total{cache="token",result="hit"} 1',
      ]) {
        expect(metrics).toContain(sample);
      }
      expect(metrics).toMatch(/^appnetpol_cf_api_auth_cache_lookups_total\{cache="access",result="hit"\} [1-9]/m);
      expect(metrics).toMatch(/^rest_client_requests_total\{code="201",method="POST",host="[^"]+"\} [1-9]/m);
      expect(metrics).toMatch(/^appnetpol_build_info\{/m);
      expect((await fetch(`${api.metricsUrl}/readyz`)).status).toBe(200);
    } finally {
      await api.stop();
    }
  });
});

describe('tracing', () => {
  it('exports reconcile spans with their API calls as children to the OTLP endpoint', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver.server);
    const operator = await start('obs-traced', tracingEnv(receiver.endpoint));
    await createPolicy(namespace, 'traced');
    await waitReady(namespace, 'traced');
    const { reconcile, call } = await eventually(() => {
      const reconciles = receiver.spans.filter((s) => s.name === 'reconcile appnetworkpolicy' && s.attributes['appnetpol.name'] === 'traced');
      const calls = receiver.spans.filter((s) => reconciles.some((r) => r.spanId === s.parentSpanId));
      expect(calls.length).toBeGreaterThan(0);
      return { reconcile: reconciles.find((r) => r.spanId === calls[0].parentSpanId)!, call: calls[0] };
    });
    expect(reconcile).toMatchObject({ service: 'appnetpol', attributes: { 'appnetpol.namespace': namespace } });
    expect(call.name).toMatch(/^(GET|POST|PUT|PATCH|DELETE) \/apis?\//);
    expect(call.attributes).toMatchObject({ 'http.request.method': expect.any(String), 'url.template': expect.stringContaining('{namespace}'), 'http.response.status_code': expect.anything() });
    // Logs written during the reconcile carry its trace and span id.
    const created = operator.logs().find((l) => l.msg === 'NetworkPolicy created' && l.namespace === namespace && l.name === 'traced');
    expect(created).toMatchObject({ trace_id: reconcile.traceId, span_id: reconcile.spanId });
    // Lease renewals are deliberately untraced.
    expect(receiver.spans.filter((s) => s.name.includes('/leases'))).toEqual([]);
    expect(operator.logs()).toContainEqual(expect.objectContaining({ msg: 'starting appnetpol controller', tracing: 'on' }));
    await operator.stop();
  });

  it('exports nothing when OTEL_TRACES_EXPORTER is none', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver.server);
    const operator = await start('obs-untraced', { ...tracingEnv(receiver.endpoint), OTEL_TRACES_EXPORTER: 'none' });
    await createPolicy(namespace, 'untraced');
    await waitReady(namespace, 'untraced');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.spans).toEqual([]);
    expect(operator.logs()).toContainEqual(expect.objectContaining({ msg: 'starting appnetpol controller', tracing: 'off' }));
    await operator.stop();
  });
});
