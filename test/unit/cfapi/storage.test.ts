/** PolicyStore against an in-memory stand-in for the API server: conflicts, all-or-nothing, empty objects. */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { PolicyIndex } from '../../../src/cfapi/policy-index.js';
import { CF_API_POLICIES, halvesOf, PolicyStore } from '../../../src/cfapi/storage.js';
import { KubeApiError, type KubeClient, type KubeObject } from '../../../src/runtime/kube-client.js';

/** Objects by path with resourceVersion preconditions; `failing` paths refuse writes; `conflicts` forces 409s. */
class FakeApi {
  readonly objects = new Map<string, KubeObject>();
  readonly failing = new Set<string>();
  conflicts = 0;
  private version = 1;

  client(): KubeClient {
    const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;
    const error = (status: number, path: string) => new KubeApiError(status, '', `HTTP ${status}`, 'X', path);
    const stamp = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(++this.version) } });
    const guard = (path: string) => {
      if (this.failing.has(path)) throw error(500, path);
      if (this.conflicts > 0 && this.conflicts--) throw error(409, path);
    };
    return {
      get: async (path: string) => {
        const o = this.objects.get(path);
        if (!o) throw error(404, path);
        return clone(o);
      },
      create: async (collection: string, body: KubeObject) => {
        const path = `${collection}/${body.metadata!.name}`;
        guard(path);
        if (this.objects.has(path)) throw error(409, path);
        this.objects.set(path, stamp(body));
        return clone(this.objects.get(path)!);
      },
      replace: async (path: string, body: KubeObject) => {
        guard(path);
        if (this.objects.get(path)?.metadata?.resourceVersion !== body.metadata?.resourceVersion) throw error(409, path);
        this.objects.set(path, stamp(body));
        return clone(this.objects.get(path)!);
      },
      request: async (method: string, path: string) => {
        guard(path);
        if (method === 'DELETE') this.objects.delete(path);
      },
    } as unknown as KubeClient;
  }
}

const web = { namespace: 'ns1', name: 'web' };
const db = { namespace: 'ns2', name: 'db' };
const webPath = '/apis/networking.kf.dev/v1alpha1/namespaces/ns1/appnetworkpolicies/cf-web';
const dbPath = '/apis/networking.kf.dev/v1alpha1/namespaces/ns2/appnetworkpolicies/cf-db';
const policy = (start: number) => ({ source: 'g-web', destination: 'g-db', protocol: 'tcp' as const, start, end: start });

function setup() {
  const api = new FakeApi();
  const index = new PolicyIndex();
  return { api, index, store: new PolicyStore(api.client(), index, pino({ level: 'silent' })) };
}

describe('PolicyStore', () => {
  it('writes both halves, labelled, and feeds its index', async () => {
    const { api, index, store } = setup();
    await store.add(halvesOf(policy(80), web, db));
    expect(api.objects.get(webPath)).toMatchObject({ metadata: { labels: { 'app.kubernetes.io/managed-by': 'appnetpol', 'networking.kf.dev/source': 'cf-api' } }, spec: { app: 'web', egress: [{ name: 'g-web.g-db.tcp.80.80' }] } });
    expect(api.objects.get(dbPath)).toMatchObject({ spec: { app: 'db', ingress: [{ name: 'g-web.g-db.tcp.80.80' }] } });
    expect(index.get(policy(80))?.halves).toHaveLength(2);
  });

  it('retries on resourceVersion conflicts', async () => {
    const { api, store } = setup();
    api.conflicts = 5;
    await store.add(halvesOf(policy(80), web, db));
    expect(api.objects.size).toBe(2);
  });

  it('undoes the halves it added when another object cannot be written', async () => {
    const { api, index, store } = setup();
    await store.add(halvesOf(policy(80), web, db));
    api.failing.add(dbPath);
    await expect(store.add(halvesOf(policy(81), web, db))).rejects.toMatchObject({ status: 500, message: 'database write failed' });
    expect((api.objects.get(webPath) as { spec: { egress: unknown[] } }).spec.egress).toHaveLength(1);
    expect(index.get(policy(81))).toBeUndefined();
  });

  it('writes against a cached copy without reading first, and reads afresh when that copy is stale or gone', async () => {
    const api = new FakeApi();
    const index = new PolicyIndex();
    const snapshot = new Map<string, KubeObject>();
    const reads: string[] = [];
    const client = api.client();
    const get = client.get.bind(client);
    client.get = (async (path: string) => (reads.push(path), get(path))) as typeof client.get;
    const store = new PolicyStore(client, index, pino({ level: 'silent' }), (ns, name) => snapshot.get(`${ns}/${name}`) as never);
    await store.add(halvesOf(policy(80), web, db));
    expect(reads).toEqual([]);
    snapshot.set('ns1/cf-web', JSON.parse(JSON.stringify({ ...api.objects.get(webPath), metadata: { ...api.objects.get(webPath)!.metadata, resourceVersion: '1' } })));
    const other = new PolicyStore(client, new PolicyIndex(), pino({ level: 'silent' }), (ns, name) => snapshot.get(`${ns}/${name}`) as never);
    await other.add(halvesOf(policy(81), web, db));
    expect(reads).toContain(webPath);
    expect((api.objects.get(webPath) as { spec: { egress: unknown[] } }).spec.egress).toHaveLength(2);
  });

  it('writes against a cached copy as the informer trims it, keeping what others set', async () => {
    const api = new FakeApi();
    const client = api.client();
    const cache = new Map<string, KubeObject>();
    const cacheCopy = (path: string) => {
      const copy = JSON.parse(JSON.stringify(api.objects.get(path))) as KubeObject;
      copy.metadata = { ...copy.metadata, uid: 'u1', annotations: { note: 'kept' }, managedFields: [{ manager: 'x' }] };
      copy.status = { conditions: [] };
      CF_API_POLICIES.trim!(copy);
      cache.set(`${copy.metadata!.namespace}/${copy.metadata!.name}`, copy);
      return copy;
    };
    const store = new PolicyStore(client, new PolicyIndex(), pino({ level: 'silent' }), (ns, name) => cache.get(`${ns}/${name}`) as never);
    await store.add(halvesOf(policy(80), web, db));
    const cached = cacheCopy(webPath) as { metadata: Record<string, unknown>; status?: unknown; spec: { egress: { ports: unknown[] }[] } };
    expect(Object.keys(cached.metadata).sort()).toEqual(['annotations', 'labels', 'name', 'namespace', 'resourceVersion']);
    expect(cached.status).toBeUndefined();
    // Another replica, which knows the object from its cache only.
    const other = new PolicyStore(client, new PolicyIndex(), pino({ level: 'silent' }), (ns, name) => cache.get(`${ns}/${name}`) as never);
    await other.add(halvesOf(policy(81), web, db));
    const written = api.objects.get(webPath) as { metadata: { annotations?: unknown }; spec: { egress: { ports: unknown[] }[] } };
    expect(written.metadata.annotations).toEqual({ note: 'kept' });
    expect(written.spec.egress.map((r) => r.ports)).toEqual([[{ protocol: 'TCP', port: 80 }], [{ protocol: 'TCP', port: 81 }]]);
    // Equal port lists of cached rules are one shared, frozen array.
    const again = cacheCopy(webPath) as typeof cached;
    expect(again.spec.egress[0].ports).toBe(cached.spec.egress[0].ports);
    expect(Object.isFrozen(again.spec.egress[0].ports)).toBe(true);
  });

  it('writes concurrent changes to one object in a few batched writes, none failing for its own conflicts', async () => {
    const { api, store } = setup();
    let writes = 0;
    const client = (store as unknown as { client: KubeClient }).client;
    for (const verb of ['create', 'replace'] as const) {
      const original = client[verb].bind(client) as (...args: unknown[]) => Promise<KubeObject>;
      (client as unknown as Record<string, unknown>)[verb] = (...args: unknown[]) => (writes++, original(...args));
    }
    const ports = Array.from({ length: 60 }, (_, i) => 1000 + i);
    await Promise.all(ports.map((port) => store.add(halvesOf(policy(port), web, db))));
    expect((api.objects.get(webPath) as { spec: { egress: unknown[] } }).spec.egress).toHaveLength(60);
    expect((api.objects.get(dbPath) as { spec: { ingress: unknown[] } }).spec.ingress).toHaveLength(60);
    expect(writes).toBeLessThan(20);
  });

  it('confirms a no-op against the API server: a cached copy that still holds a deleted rule does not swallow a create', async () => {
    const api = new FakeApi();
    const stale = new Map<string, KubeObject>();
    const cache = (ns: string, name: string) => stale.get(`${ns}/${name}`) as never;
    const first = new PolicyStore(api.client(), new PolicyIndex(), pino({ level: 'silent' }), cache);
    await first.add(halvesOf(policy(80), web, db));
    for (const path of [webPath, dbPath]) stale.set(path.split('/').slice(-3).filter((_, i) => i !== 1).join('/'), JSON.parse(JSON.stringify(api.objects.get(path))));
    await first.remove(halvesOf(policy(80), web, db));
    expect(api.objects.size).toBe(0);
    // Another replica, whose cache has not seen the delete yet, is asked to create the policy again.
    const second = new PolicyStore(api.client(), new PolicyIndex(), pino({ level: 'silent' }), cache);
    await second.add(halvesOf(policy(80), web, db));
    expect(api.objects.size).toBe(2);
  });

  it('deletes an object once its last rule goes, and refuses objects it did not write', async () => {
    const { api, store } = setup();
    await store.add(halvesOf(policy(80), web, db));
    await store.remove(halvesOf(policy(80), web, db));
    expect(api.objects.size).toBe(0);
    api.objects.set(webPath, { metadata: { name: 'cf-web', namespace: 'ns1', resourceVersion: '1' }, spec: { app: 'web' } });
    await expect(store.add(halvesOf(policy(80), web, db))).rejects.toMatchObject({ status: 500 });
  });
});
