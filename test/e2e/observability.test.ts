/**
 * What operations see: every metric docs/operations.md documents is on /metrics, and OpenTelemetry
 * spans reach an OTLP/HTTP receiver only when the OTEL_* environment asks for it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNamespace, eventually, testCluster } from '../support/cluster.js';
import { startOperator, type OperatorProcess } from '../support/operator.js';
import { createPolicy, waitReady } from '../support/policies.js';

const { plane } = testCluster();

interface ReceivedSpan {
  name: string;
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

describe('metrics', () => {
  it('serves every metric docs/operations.md documents, and the default process metrics', async () => {
    const operator = await start('obs-metrics');
    await createPolicy(namespace, 'counted');
    await waitReady(namespace, 'counted');
    const documented = new Set([...readFileSync('docs/operations.md', 'utf8').matchAll(/`(appnetpol_[a-z_]+)/g)].map((m) => m[1]));
    const metrics = await operator.metrics();
    const served = new Set([...metrics.matchAll(/^# TYPE (appnetpol_[a-z_]+) /gm)].map((m) => m[1]));
    // Both ways: nothing documented is missing, nothing served is undocumented.
    expect([...served].sort()).toEqual([...documented].sort());
    for (const name of ['process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) expect(metrics).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    expect(metrics).toMatch(/^appnetpol_managed_objects\{kind="AppNetworkPolicy"\} [1-9]/m);
    expect(metrics).toMatch(/^appnetpol_managed_objects\{kind="NetworkPolicy"\} [1-9]/m);
    expect(metrics).toMatch(/^appnetpol_leader 1$/m);
    expect(metrics).toMatch(/^appnetpol_reconcile_duration_seconds_count\{controller="appnetworkpolicy"\} [1-9]/m);
    expect(operator.logs()).toContainEqual(expect.objectContaining({ msg: 'starting appnetpol controller', tracing: 'off' }));
    await operator.stop();
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
