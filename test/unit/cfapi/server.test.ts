/** The HTTP layer with stand-ins for Kubernetes: routes, headers, errors, and no 500 for any input. */
import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { pino } from 'pino';
import type { Authorizer, UserInfo } from '../../../src/cfapi/auth.js';
import { AppDirectory } from '../../../src/cfapi/directory.js';
import { unauthenticated, MESSAGES } from '../../../src/cfapi/errors.js';
import { PolicyIndex } from '../../../src/cfapi/policy-index.js';
import { buildServer, formatUptime } from '../../../src/cfapi/server.js';
import { CfPolicyService } from '../../../src/cfapi/service.js';
import type { PolicyStore } from '../../../src/cfapi/storage.js';
import type { Informer } from '../../../src/runtime/informer.js';
import type { KubeClient, KubeObject } from '../../../src/runtime/kube-client.js';

const log = pino({ level: 'silent' });
const tokens: Record<string, { user: UserInfo; admin: boolean; namespaces: string[] }> = {
  admin: { user: { username: 'cf-admin' }, admin: true, namespaces: [] },
  writer: { user: { username: 'cf-writer' }, admin: false, namespaces: ['ns1'] },
  nobody: { user: { username: 'nobody' }, admin: false, namespaces: [] },
};
const authorizer = {
  async authenticate(header?: string) {
    if (!header) throw unauthenticated(MESSAGES.missingAuthorization);
    const entry = tokens[header.replace(/^[Bb]earer /, '')];
    if (!entry) throw unauthenticated(MESSAGES.tokenNotVerified);
    return entry.user;
  },
  isAdmin: async (user: UserInfo) => tokens[user.username === 'cf-admin' ? 'admin' : ''] !== undefined,
  mayWrite: async (user: UserInfo, ns: string) => Object.values(tokens).some((t) => t.user === user && (t.admin || t.namespaces.includes(ns))),
  mayWriteAny: async (user: UserInfo) => Object.values(tokens).some((t) => t.user === user && (t.admin || t.namespaces.length > 0)),
} as unknown as Authorizer;

// Two apps in ns1, one in ns2, fed through a stand-in informer.
let feed: (obj: KubeObject) => void = () => undefined;
const informer = { on: (h: { add: (o: KubeObject) => void }) => (feed = h.add) } as unknown as Informer<KubeObject>;
const directory = new AppDirectory({ kind: 'kf-app-uid' }, informer);
for (const [uid, ns, name] of [['g1', 'ns1', 'a1'], ['g2', 'ns1', 'a2'], ['g3', 'ns2', 'a3']]) feed({ metadata: { uid, namespace: ns, name } });
const index = new PolicyIndex();
const written: unknown[] = [];
const store = { add: async (h: unknown[]) => void written.push(...h), remove: async () => undefined } as unknown as PolicyStore;
const service = new CfPolicyService({ client: {} as KubeClient, authorizer, directory, index, store, log, quota: 2 });
const app = buildServer({ service, authorizer, directory, log, startedAt: Date.now() - 61_500 });
afterAll(() => app.close());

const call = (method: 'GET' | 'POST', url: string, token?: string, payload?: string) =>
  app.inject({ method, url, payload, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' } });
const policy = (source: string, destination: string, start = 8080) => ({ source: { id: source }, destination: { id: destination, protocol: 'tcp', ports: { start, end: start } } });

describe('cf-api HTTP layer', () => {
  it('sends the security headers on every answer, errors included', async () => {
    for (const response of [await call('GET', '/health'), await call('GET', '/nope'), await call('GET', '/networking/v1/external/policies')]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('deny');
      expect(response.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    }
  });

  it('paths that fail before routing get Cloud Foundry’s error body and the security headers', async () => {
    for (const url of ['/networking/v1/external/policies%zz', '/networking/%E0%A4%A/external/policies']) {
      const response = await app.inject({ method: 'GET', url });
      expect([response.statusCode, response.body]).toEqual([400, '{"error": "invalid request path"}']);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
    const long = 'v'.repeat(5000);
    const response = await call('GET', `/networking/${long}/external/policies`, 'admin');
    expect([response.statusCode, response.body]).toEqual([406, `{"error": "api version '${long}' not supported"}`]);
    expect(response.headers['content-security-policy']).toBe("frame-ancestors 'none'");
  });

  it('API answers are JSON in UTF-8, whether made as text or as bytes', async () => {
    for (const url of ['/networking/v1/external/policies', '/networking/v0/external/policies', '/networking/v1/external/tags']) {
      const response = await call('GET', url, 'admin');
      expect([response.statusCode, response.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
    }
  });

  it('answers /, /networking and /health', async () => {
    expect((await call('GET', '/')).body).toMatch(/^Network policy server, up for 1m\d+(\.\d+)?s\n$/);
    expect((await call('GET', '/networking')).statusCode).toBe(200);
    const health = await call('GET', '/health');
    expect([health.statusCode, health.body]).toEqual([200, '']);
  });

  it('refuses other versions with 406', async () => {
    const response = await call('GET', '/networking/v2/external/policies', 'admin');
    expect([response.statusCode, response.body]).toEqual([406, `{"error": "api version 'v2' not supported"}`]);
  });

  it('401s carry WWW-Authenticate: Bearer', async () => {
    const missing = await call('GET', '/networking/v1/external/policies');
    expect([missing.statusCode, missing.body, missing.headers['www-authenticate']]).toEqual([401, '{"error": "missing authorization header"}', 'Bearer']);
    const bad = await call('GET', '/networking/v1/external/policies', 'forged');
    expect([bad.statusCode, bad.body, bad.headers['www-authenticate']]).toEqual([401, '{"error": "failed to verify token with uaa"}', 'Bearer']);
  });

  it('403 names the scopes a route needs', async () => {
    expect((await call('GET', '/networking/v1/external/policies', 'nobody')).body).toBe('{"error": "provided scopes [] do not include allowed scopes [network.admin network.write]"}');
    expect((await call('GET', '/networking/v1/external/whoami', 'writer')).body).toBe('{"error": "provided scopes [] do not include allowed scopes [network.admin]"}');
    expect((await call('GET', '/networking/v1/external/whoami', 'admin')).body).toBe('{"subject":"cf-admin"}');
  });

  it('write callers need every app in their namespaces, and stay under the quota', async () => {
    const other = await call('POST', '/networking/v1/external/policies', 'writer', JSON.stringify({ policies: [policy('g1', 'g3')] }));
    expect([other.statusCode, other.body]).toEqual([403, '{"error": "one or more applications cannot be found or accessed"}']);
    const unknown = await call('POST', '/networking/v1/external/policies', 'admin', JSON.stringify({ policies: [policy('g1', 'missing')] }));
    expect(unknown.statusCode).toBe(403);
    const quota = await call('POST', '/networking/v1/external/policies', 'writer', JSON.stringify({ policies: [policy('g1', 'g2', 1), policy('g1', 'g2', 2), policy('g1', 'g2', 3)] }));
    expect([quota.statusCode, quota.body]).toEqual([403, '{"error": "policy quota exceeded"}']);
    const ok = await call('POST', '/networking/v1/external/policies', 'writer', JSON.stringify({ policies: [policy('g1', 'g2', 1), policy('g1', 'g2', 2), policy('g1', 'g2', 2)] }));
    expect([ok.statusCode, ok.body]).toEqual([200, '{}']);
    expect(written).toHaveLength(4);
  });

  it('bodies over 10 MB are refused with Cloud Foundry’s message', async () => {
    const response = await call('POST', '/networking/v1/external/policies', 'admin', `{"policies":[],"x":"${'a'.repeat(10 * 1024 * 1024)}"}`);
    expect([response.statusCode, response.body]).toEqual([400, '{"error": "failed reading request body"}']);
  });

  it('property: no body, query or version gives a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        // cleanup takes no input; its 500 for a failed app lookup is tested end to end.
        fc.constantFrom('/policies', '/policies/delete', '/tags', '/whoami'),
        fc.constantFrom('v1', 'v0', 'v9', '%'),
        fc.oneof(fc.string(), fc.json(), fc.anything().map((v) => JSON.stringify({ policies: v }) ?? '')),
        fc.string(),
        fc.constantFrom('admin', 'writer', 'nobody', undefined),
        async (path, version, body, query, token) => {
          const method = path === '/tags' || path === '/whoami' ? 'GET' : 'POST';
          const response = await call(method, `/networking/${version}/external${path}?${encodeURIComponent(query)}`, token, method === 'POST' ? body : undefined);
          expect(response.statusCode).toBeLessThan(500);
          expect(() => JSON.parse(response.body)).not.toThrow();
          const list = await call('GET', `/networking/${version}/external/policies?${query}`, token);
          expect(list.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('formatUptime', () => {
  it('prints like Go durations', () => {
    expect(formatUptime(1500)).toBe('1.5s');
    expect(formatUptime(3_723_000)).toBe('1h2m3s');
    expect(formatUptime(60_000)).toBe('1m0s');
  });
});
