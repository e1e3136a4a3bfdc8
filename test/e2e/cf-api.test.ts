/**
 * The Cloud Foundry Network Policy API end to end: `appnetpol cf-api` runs as its own process (two of
 * them, for concurrency) against the real control plane; callers are the control plane's static-token
 * identities with RBAC bound here; policies are read back as AppNetworkPolicies.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AppNetworkPolicy } from '../../src/api/types.js';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { createNamespace, eventually, testCluster } from '../support/cluster.js';
import { grantCfAdmin, startCfApi, type CfApiProcess } from '../support/cf-api.js';
import { createKfApp } from '../support/fixtures.js';
import { startOperator } from '../support/operator.js';

const { admin, plane } = testCluster();
const token = (identity: string) => plane.identities[identity].token;
const ADMIN = token('cf-admin');
const WRITER = token('cf-writer');
const NOBODY = token('nobody');
const V1 = '/networking/v1/external';

let api: CfApiProcess;
let second: CfApiProcess;
let otlp: { server: Server; spans: { traceId: string; name: string }[] };
let ns1: string, ns2: string, ns3: string;
const guid: Record<string, string> = {};

type StoredPolicy = AppNetworkPolicy & KubeObject;
const policyPath = (ns: string, name: string) => `/apis/networking.kf.dev/v1alpha1/namespaces/${ns}/appnetworkpolicies/${name}`;
const policy = (source: string, destination: string, start = 8080, end = start, protocol = 'tcp') => ({ source: { id: guid[source] ?? source }, destination: { id: guid[destination] ?? destination, protocol, ports: { start, end } } });
const listed = async (query = '', as = ADMIN, process = api) => (await process.call('GET', `${V1}/policies${query}`, { token: as })).json() as { total_policies: number; policies: ReturnType<typeof policy>[] };

async function app(ns: string, name: string): Promise<void> {
  await createKfApp(ns, name);
  guid[name] = (await admin.get(`/apis/kf.dev/v1alpha1/namespaces/${ns}/apps/${name}`)).metadata!.uid!;
}

/** A tiny OTLP/HTTP JSON receiver: keeps every span it is sent. */
async function startOtlpReceiver(): Promise<typeof otlp> {
  const spans: { traceId: string; name: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const payload = JSON.parse(body) as { resourceSpans?: { scopeSpans?: { spans?: { traceId: string; name: string }[] }[] }[] };
      for (const resource of payload.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans.push(...(scope.spans ?? []));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, spans };
}

beforeAll(async () => {
  [ns1, ns2, ns3] = await Promise.all([createNamespace('cf-one'), createNamespace('cf-two'), createNamespace('cf-three')]);
  await Promise.all([app(ns1, 'frontend'), app(ns1, 'backend'), app(ns2, 'db'), app(ns3, 'secret'), app(ns2, 'temp')]);
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: await grantCfAdmin(admin, 'cf-admin', randomBytes(3).toString('hex')) };
  for (const ns of [ns1, ns2]) {
    await admin.create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'cf-writer', namespace: ns },
      roleRef,
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cf-writer' }],
    });
  }
  otlp = await startOtlpReceiver();
  const address = otlp.server.address() as { port: number };
  [api, second] = await Promise.all([
    startCfApi({
      kubeconfig: plane.kubeconfig,
      logDir: `${plane.dir}/logs`,
      args: ['--quota', '4'],
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${address.port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' },
    }),
    startCfApi({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'second' }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([api?.stop(), second?.stop()]);
  otlp?.server.close();
});

describe('public routes and headers', () => {
  it('/, /networking and /health answer anyone, with the security headers', async () => {
    const root = await api.call('GET', '/');
    expect(root.status).toBe(200);
    expect(root.text).toMatch(/^Network policy server, up for [\dhms.]+\n$/);
    expect((await api.call('GET', '/networking')).status).toBe(200);
    const health = await api.call('GET', '/health');
    expect([health.status, health.text]).toEqual([200, '']);
    for (const response of [root, health, await api.call('GET', `${V1}/policies`)]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('deny');
      expect(response.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    }
  });

  it('any version but v1 and v0 is a 406', async () => {
    const response = await api.call('GET', '/networking/v2/external/policies', { token: ADMIN });
    expect([response.status, response.text]).toEqual([406, `{"error": "api version 'v2' not supported"}`]);
  });
});

describe('authentication and authorization', () => {
  it('401 without a header or with a token that does not verify, with WWW-Authenticate: Bearer', async () => {
    const missing = await api.call('GET', `${V1}/policies`);
    expect([missing.status, missing.text, missing.headers.get('www-authenticate')]).toEqual([401, '{"error": "missing authorization header"}', 'Bearer']);
    const forged = await api.call('GET', `${V1}/policies`, { token: 'not-a-token' });
    expect([forged.status, forged.text, forged.headers.get('www-authenticate')]).toEqual([401, '{"error": "failed to verify token with uaa"}', 'Bearer']);
  });

  it('401 for anything but exactly one token, however the API server would judge the rest', async () => {
    for (const authorization of ['Bearer  ', `Bearer  ${ADMIN}`, `Bearer ${ADMIN} junk`, `Bearer ${ADMIN},${ADMIN}`]) {
      const response = await api.call('GET', `${V1}/whoami`, { headers: { authorization } });
      expect([authorization, response.status, response.text, response.headers.get('www-authenticate')]).toEqual([authorization, 401, '{"error": "failed to verify token with uaa"}', 'Bearer']);
    }
  });

  it('accepts "bearer" in lower case', async () => {
    expect((await api.call('GET', `${V1}/whoami`, { headers: { authorization: `bearer ${ADMIN}` } })).status).toBe(200);
  });

  it('403 for callers without rights, naming the scopes a route needs', async () => {
    const nobody = await api.call('GET', `${V1}/policies`, { token: NOBODY });
    expect([nobody.status, nobody.text]).toEqual([403, '{"error": "provided scopes [] do not include allowed scopes [network.admin network.write]"}']);
    for (const [method, path] of [['GET', '/whoami'], ['GET', '/tags'], ['POST', '/policies/cleanup']]) {
      const writer = await api.call(method, `${V1}${path}`, { token: WRITER });
      expect([writer.status, writer.text]).toEqual([403, '{"error": "provided scopes [] do not include allowed scopes [network.admin]"}']);
    }
  });

  it('whoami names the admin', async () => {
    const response = await api.call('GET', `${V1}/whoami`, { token: ADMIN });
    expect([response.status, response.json()]).toEqual([200, { subject: 'cf-admin' }]);
  });
});

describe('bad input is a 400 with Cloud Foundry’s message', () => {
  it.each([
    ['{}', 'mapper: validate policies: missing policies'],
    [JSON.stringify({ policies: [{ destination: { id: 'x' } }] }), 'mapper: validate policies: missing source id'],
    [JSON.stringify({ policies: [{ source: { id: 'x' }, destination: { id: 'y', protocol: 'icmp' } }] }), 'mapper: validate policies: invalid destination protocol, specify either udp or tcp'],
    [JSON.stringify({ policies: [{ source: { id: 'x' }, destination: { id: 'y', protocol: 'tcp', ports: { start: 9, end: 8 } } }] }), 'mapper: validate policies: invalid port range 9-8, start must be less than or equal to end'],
    [JSON.stringify({ policies: [{ source: { id: 'x', tag: 'AB' }, destination: { id: 'y', protocol: 'tcp', ports: { start: 8, end: 8 } } }] }), 'mapper: validate policies: tags may not be specified'],
  ])('%s', async (body, message) => {
    const response = await api.call('POST', `${V1}/policies`, { token: ADMIN, body });
    expect([response.status, response.json()]).toEqual([400, { error: message }]);
  });

  it('malformed JSON', async () => {
    const response = await api.call('POST', `${V1}/policies`, { token: ADMIN, body: '{"policies": [' });
    expect(response.status).toBe(400);
    expect((response.json() as { error: string }).error).toMatch(/^mapper: unmarshal json: /);
  });

  it('ports must be written as integers, as Cloud Foundry’s decoder requires', async () => {
    for (const written of ['8080.0', '8.08e3']) {
      const body = JSON.stringify({ policies: [policy('frontend', 'db')] }).replace('"start":8080', `"start":${written}`);
      const response = await api.call('POST', `${V1}/policies`, { token: ADMIN, body });
      expect([response.status, response.text]).toEqual([400, `{"error": "mapper: unmarshal json: json: cannot unmarshal number ${written} into Go struct field policies.destination.ports.start of type int"}`]);
    }
    expect((await listed(`?id=${guid.frontend}`)).total_policies).toBe(0);
  });

  it('a path that fails before routing gets Cloud Foundry’s body and the security headers', async () => {
    const response = await api.call('GET', `${V1}/policies%zz`, { token: ADMIN });
    expect([response.status, response.text, response.headers.get('x-content-type-options')]).toEqual([400, '{"error": "invalid request path"}', 'nosniff']);
  });

  it('a request Node’s HTTP parser refuses gets Cloud Foundry’s body, the security headers and Connection: close', async () => {
    const answer = await new Promise<{ status: number; text: string; headers: Record<string, unknown> }>((resolveAnswer, reject) => {
      const request = httpRequest(`${api.url}${V1}/policies`, { method: 'BREW', headers: { authorization: `Bearer ${ADMIN}` } }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolveAnswer({ status: response.statusCode!, text, headers: response.headers }));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.end();
    });
    expect([answer.status, answer.text, answer.headers.connection, answer.headers['x-content-type-options']]).toEqual([400, '{"error": "malformed request"}', 'close', 'nosniff']);
  });

  it('a body is read as JSON whatever its content type says, even when that is no media type at all', async () => {
    const body = { policies: [policy('frontend', 'backend', 9999)] };
    for (const contentType of ['text/plain', 'no media type']) {
      const added = await api.call('POST', `${V1}/policies`, { token: ADMIN, body, headers: { 'content-type': contentType } });
      expect([contentType, added.status, added.text]).toEqual([contentType, 200, '{}']);
      const removed = await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body, headers: { 'content-type': contentType } });
      expect([contentType, removed.status, removed.text]).toEqual([contentType, 200, '{}']);
    }
  });

  it('v0 port checks', async () => {
    const response = await api.call('POST', '/networking/v0/external/policies', { token: ADMIN, body: { policies: [{ source: { id: 'x' }, destination: { id: 'y', protocol: 'tcp', port: 0 } }] } });
    expect([response.status, response.text]).toEqual([400, '{"error": "mapper: validate policies: missing port"}']);
  });

  it('a body over 10 MB', async () => {
    // The service answers as soon as the declared length is over the limit and closes the connection
    // rather than read 10 MB; a client still sending would meet a reset and could lose the answer, so
    // this one sends the headers and waits for it. (The unit tests send a whole oversized body, in process.)
    const answer = await new Promise<{ status: number; text: string }>((resolveAnswer, reject) => {
      const request = httpRequest(`${api.url}${V1}/policies`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024 + 1) },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolveAnswer({ status: response.statusCode!, text }));
        response.on('error', reject);
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(answer).toEqual({ status: 400, text: '{"error": "failed reading request body"}' });
  });
});

describe('policies', () => {
  it('the cf CLI add, list and remove sequence, stored as one AppNetworkPolicy per app', async () => {
    // cf add-network-policy frontend db --port 8080 --protocol tcp
    const added = await api.call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: [policy('frontend', 'db')] } });
    expect([added.status, added.text]).toEqual([200, '{}']);
    // cf network-policies: by GUID batches, filtered by source on the client
    expect(await listed(`?id=${encodeURIComponent([guid.frontend, guid.backend].join(','))}`)).toEqual({ total_policies: 1, policies: [policy('frontend', 'db')] });

    const source = await admin.get<StoredPolicy>(policyPath(ns1, 'cf-frontend'));
    expect(source.metadata!.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'appnetpol', 'networking.kf.dev/source': 'cf-api' });
    expect(source.spec).toEqual({ app: 'frontend', workload: 'App', egress: [{ name: `${guid.frontend}.${guid.db}.tcp.8080.8080`, to: [{ app: 'db', space: ns2 }], ports: [{ protocol: 'TCP', port: 8080 }] }] });
    const destination = await admin.get<StoredPolicy>(policyPath(ns2, 'cf-db'));
    expect(destination.spec.ingress).toEqual([{ name: `${guid.frontend}.${guid.db}.tcp.8080.8080`, from: [{ app: 'frontend', space: ns1 }], ports: [{ protocol: 'TCP', port: 8080 }] }]);

    // cf remove-network-policy: list by source, then delete the exact match
    const found = (await listed(`?id=${guid.frontend}`)).policies.find((p) => p.destination.id === guid.db)!;
    const removed = await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: [found] } });
    expect([removed.status, removed.text]).toEqual([200, '{}']);
    expect(await listed(`?id=${guid.frontend}`)).toEqual({ total_policies: 0, policies: [] });
    // The objects go once they hold no rules.
    await expect(admin.get(policyPath(ns1, 'cf-frontend'))).rejects.toMatchObject({ status: 404 });
    // Removing again: unknown policies are skipped.
    expect((await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: [found] } })).text).toBe('{}');
  });

  it('create is idempotent and all or nothing; overlapping ranges are distinct', async () => {
    const body = { policies: [policy('backend', 'db', 5000, 5010), policy('backend', 'db', 5005, 5020, 'udp'), policy('backend', 'db', 5000, 5010)] };
    expect((await api.call('POST', `${V1}/policies`, { token: ADMIN, body })).status).toBe(200);
    expect((await api.call('POST', `${V1}/policies`, { token: ADMIN, body })).status).toBe(200);
    expect((await listed(`?source_id=${guid.backend}`)).total_policies).toBe(2);
    const partlyUnknown = await api.call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: [policy('backend', 'frontend', 1), policy('backend', 'no-such-app', 1)] } });
    expect([partlyUnknown.status, partlyUnknown.text]).toEqual([403, '{"error": "one or more applications cannot be found or accessed"}']);
    expect((await listed(`?source_id=${guid.backend}`)).total_policies).toBe(2);
    await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body });
  });

  it('filters: id is source or destination, source_id and dest_id both hold; v0 leaves out ranges', async () => {
    const all = [policy('frontend', 'backend', 80), policy('backend', 'db', 90, 99), policy('db', 'frontend', 70)];
    await api.call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: all } });
    expect((await listed(`?id=${guid.frontend}`)).policies).toHaveLength(2);
    expect((await listed(`?source_id=${guid.backend},${guid.db}&dest_id=${guid.db}`)).policies).toEqual([policy('backend', 'db', 90, 99)]);
    expect((await listed(`?dest_id=${guid.frontend}`)).policies).toEqual([policy('db', 'frontend', 70)]);
    const v0 = (await api.call('GET', `/networking/v0/external/policies?id=${guid.backend}`, { token: ADMIN })).json();
    expect(v0).toEqual({ total_policies: 1, policies: [{ source: { id: guid.frontend }, destination: { id: guid.backend, protocol: 'tcp', port: 80 } }] });
    const tags = (await api.call('GET', `${V1}/tags`, { token: ADMIN })).json() as { tags: { id: string; tag: string; type: string }[] };
    expect(tags.tags.map((t) => t.id)).toEqual(expect.arrayContaining([guid.frontend, guid.backend, guid.db]));
    for (const tag of tags.tags) expect(tag).toEqual({ id: tag.id, tag: expect.stringMatching(/^[0-9A-F]{8}$/), type: 'app' });
    await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: all } });
  });

  it('write callers: only their namespaces, only what they can see, under the quota', async () => {
    const outside = await api.call('POST', `${V1}/policies`, { token: WRITER, body: { policies: [policy('frontend', 'secret')] } });
    expect([outside.status, outside.text]).toEqual([403, '{"error": "one or more applications cannot be found or accessed"}']);
    await api.call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: [policy('frontend', 'secret')] } });
    expect((await api.call('POST', `${V1}/policies`, { token: WRITER, body: { policies: [policy('frontend', 'db')] } })).status).toBe(200);
    expect(await listed(`?id=${guid.frontend}`, WRITER)).toEqual({ total_policies: 1, policies: [policy('frontend', 'db')] });
    expect((await listed(`?id=${guid.frontend}`)).total_policies).toBe(2);

    // Quota 4 on this process: frontend has 2 (one to db, one to secret).
    const over = await api.call('POST', `${V1}/policies`, { token: WRITER, body: { policies: [policy('frontend', 'db', 1), policy('frontend', 'db', 2), policy('frontend', 'db', 3)] } });
    expect([over.status, over.text]).toEqual([403, '{"error": "policy quota exceeded"}']);
    expect((await api.call('POST', `${V1}/policies`, { token: WRITER, body: { policies: [policy('frontend', 'db', 1), policy('frontend', 'db', 2)] } })).status).toBe(200);
    const writerDelete = await api.call('POST', `${V1}/policies/delete`, { token: WRITER, body: { policies: [policy('frontend', 'secret')] } });
    expect(writerDelete.status).toBe(403);
    await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: [policy('frontend', 'secret'), policy('frontend', 'db'), policy('frontend', 'db', 1), policy('frontend', 'db', 2)] } });
    expect((await listed(`?id=${guid.frontend}`)).total_policies).toBe(0);
  });

  it('parallel creates to one app from two service processes all land', async () => {
    const ports = Array.from({ length: 24 }, (_, i) => 9000 + i);
    const responses = await Promise.all(ports.map((port, i) => (i % 2 ? second : api).call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: [policy(i % 3 ? 'frontend' : 'backend', 'db', port)] } })));
    expect(responses.map((r) => r.status)).toEqual(ports.map(() => 200));
    const db = await admin.get<StoredPolicy>(policyPath(ns2, 'cf-db'));
    expect(db.spec.ingress).toHaveLength(24);
    await eventually(async () => expect((await listed(`?dest_id=${guid.db}`, ADMIN, second)).total_policies).toBe(24));
    await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: ports.map((port, i) => policy(i % 3 ? 'frontend' : 'backend', 'db', port)) } });
    await expect(admin.get(policyPath(ns2, 'cf-db'))).rejects.toMatchObject({ status: 404 });
  });

  it('a create right after the delete of the same policy stores it again, every time, whichever replica deleted it', async () => {
    const body = { policies: [policy('backend', 'frontend', 4321)] };
    for (let round = 0; round < 20; round++) {
      expect((await api.call('POST', `${V1}/policies`, { token: ADMIN, body })).status).toBe(200);
      expect((await (round % 2 ? second : api).call('POST', `${V1}/policies/delete`, { token: ADMIN, body })).status).toBe(200);
      expect((await api.call('POST', `${V1}/policies`, { token: ADMIN, body })).status).toBe(200);
      const source = await admin.get<StoredPolicy>(policyPath(ns1, 'cf-backend'));
      expect([round, source.spec.egress?.map((rule) => rule.name)]).toEqual([round, [`${guid.backend}.${guid.frontend}.tcp.4321.4321`]]);
      expect((await listed(`?source_id=${guid.backend}`)).total_policies).toBe(1);
      expect((await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body })).status).toBe(200);
      await expect(admin.get(policyPath(ns1, 'cf-backend'))).rejects.toMatchObject({ status: 404 });
    }
  });

  it('8 concurrent writers on one app, through two service processes: every create lands and none fails', async () => {
    const writers = 8;
    const each = 12;
    const portOf = (writer: number, i: number) => 20000 + writer * each + i;
    const sourceOf = (writer: number) => (writer % 2 ? 'frontend' : 'backend');
    const statuses = await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        const seen: number[] = [];
        for (let i = 0; i < each; i++) seen.push((await (writer % 2 ? second : api).call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: [policy(sourceOf(writer), 'db', portOf(writer, i))] } })).status);
        return seen;
      }),
    );
    expect(statuses.flat()).toEqual(Array.from({ length: writers * each }, () => 200));
    expect((await admin.get<StoredPolicy>(policyPath(ns2, 'cf-db'))).spec.ingress).toHaveLength(writers * each);
    const all = Array.from({ length: writers }, (_, writer) => Array.from({ length: each }, (_, i) => policy(sourceOf(writer), 'db', portOf(writer, i)))).flat();
    expect((await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: all } })).status).toBe(200);
    await expect(admin.get(policyPath(ns2, 'cf-db'))).rejects.toMatchObject({ status: 404 });
  });

  it('cleanup deletes the policies of apps that no longer exist and returns them', async () => {
    const stale = policy('temp', 'frontend', 7000);
    await api.call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: [stale, policy('backend', 'frontend', 7001)] } });
    await admin.delete(`/apis/kf.dev/v1alpha1/namespaces/${ns2}/apps/temp`);
    const response = await api.call('POST', `${V1}/policies/cleanup`, { token: ADMIN });
    expect([response.status, response.json()]).toEqual([200, { total_policies: 1, policies: [stale] }]);
    expect((await listed(`?id=${guid.frontend}`)).policies).toEqual([policy('backend', 'frontend', 7001)]);
    await expect(admin.get(policyPath(ns2, 'cf-temp'))).rejects.toMatchObject({ status: 404 });
    await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: [policy('backend', 'frontend', 7001)] } });
  });
});

describe('operations', () => {
  it('continues the traceparent of a request into the spans of its Kubernetes calls', async () => {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const response = await api.call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: [policy('frontend', 'backend', 6000)] }, headers: { traceparent } });
    expect(response.status).toBe(200);
    await eventually(() => {
      const kubeSpans = otlp.spans.filter((s) => s.traceId === traceId && /\/apis\/networking\.kf\.dev\//.test(s.name));
      // Writes go against the informer's copy, so the calls are the writes of both apps' objects. When that copy
      // is stale (an earlier test's delete not yet seen), the write is retried after a fresh GET in the same trace.
      const names = kubeSpans.map((s) => s.name);
      expect(names.filter((name) => /^(POST|PUT) /.test(name)).length).toBeGreaterThanOrEqual(2);
      expect(names.filter((name) => !/^(GET|POST|PUT) /.test(name))).toEqual([]);
    }, 20_000);
    await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: [policy('frontend', 'backend', 6000)] } });
  });

  it('a policy created through the API becomes a NetworkPolicy when the operator runs', async () => {
    const operator = await startOperator({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'cf-api' });
    try {
      await api.call('POST', `${V1}/policies`, { token: ADMIN, body: { policies: [policy('frontend', 'db', 5432)] } });
      await eventually(async () => {
        const list = await admin.list<KubeObject & { spec: { egress?: unknown[] } }>(`/apis/networking.k8s.io/v1/namespaces/${ns1}/networkpolicies`, { labelSelector: 'networking.kf.dev/policy=cf-frontend' });
        expect(list.items).toHaveLength(1);
        expect(JSON.stringify(list.items[0].spec.egress)).toContain('5432');
      }, 60_000);
    } finally {
      await operator.stop();
      await api.call('POST', `${V1}/policies/delete`, { token: ADMIN, body: { policies: [policy('frontend', 'db', 5432)] } });
    }
  });

  it('an invalid configuration exits with code 2 before contacting the cluster', () => {
    const result = spawnSync(process.execPath, ['dist/src/cli/appnetpol.js', 'cf-api', '--quota', '0', '--kubeconfig', plane.kubeconfig], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('invalid configuration: quota: must be >= 1');
  });
});
