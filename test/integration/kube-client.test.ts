/**
 * The Kubernetes client against the real API server with API Priority and Fairness: a caller squeezed
 * into a priority level of its own is answered 429 and gets through by honouring Retry-After; requests
 * that hang are cut off at the timeout; reads survive a server that is not there yet; a connection that
 * silently stops passing data is found out and replaced well before the timeout; watches deliver events,
 * end once, and end by themselves when their stream goes silent.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../hack/control-plane.js';
import { DEFAULT_CLIENT_SETTINGS, KubeApiError, KubeClient, type KubeObject, type RetryCause } from '../../src/runtime/kube-client.js';
import { testCluster } from '../support/cluster.js';
import { kubeconfigThrough, startFaultProxy } from '../support/fault-proxy.js';

const { admin, kubeconfigOf, plane } = testCluster();
const APF = '/apis/flowcontrol.apiserver.k8s.io/v1';
const suffix = randomBytes(3).toString('hex');
const created: string[] = [];

/** A client as `bob`, counting its retries by cause and its answers by code. */
function observedClient(settings = DEFAULT_CLIENT_SETTINGS) {
  const retries: RetryCause[] = [];
  const codes: string[] = [];
  const client = KubeClient.fromFile(kubeconfigOf('bob'), settings, { response: (_method, code) => codes.push(code), retry: (cause) => retries.push(cause) });
  return { client, retries, codes };
}

const burst = (client: KubeClient, requests: number) => Promise.allSettled(Array.from({ length: requests }, () => client.list('/api/v1/namespaces', { labelSelector: 'squeezed' })));

beforeAll(async () => {
  const create = async (path: string, body: Record<string, unknown>) => {
    await admin.create(path, body);
    created.push(`${path}/${(body.metadata as { name: string }).name}`);
  };
  await create('/apis/rbac.authorization.k8s.io/v1/clusterroles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `list-namespaces-${suffix}` }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }] });
  await create('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `bob-list-namespaces-${suffix}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `list-namespaces-${suffix}` },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
  });
  // One seat, no queue: whatever bob sends beyond what is in flight is refused with 429 at once.
  await create(`${APF}/prioritylevelconfigurations`, {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'PriorityLevelConfiguration',
    metadata: { name: `squeezed-${suffix}` },
    spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, lendablePercent: 0, borrowingLimitPercent: 0, limitResponse: { type: 'Reject' } } },
  });
  await create(`${APF}/flowschemas`, {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
    kind: 'FlowSchema',
    metadata: { name: `squeeze-bob-${suffix}` },
    spec: {
      priorityLevelConfiguration: { name: `squeezed-${suffix}` },
      matchingPrecedence: 100,
      rules: [{ subjects: [{ kind: 'User', user: { name: 'bob' } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }] }],
    },
  });
});

afterAll(async () => {
  for (const path of created.reverse()) await admin.delete(path).catch(() => undefined);
});

describe('under API Priority and Fairness', () => {
  it('without retries a squeezed caller sees the API server’s 429', async () => {
    const { client } = observedClient({ ...DEFAULT_CLIENT_SETTINGS, maxRetries: 0 });
    let refused: PromiseRejectedResult | undefined;
    // The API server needs a moment to take the new FlowSchema in; until then nothing is refused.
    for (let round = 0; round < 50 && !refused; round++) refused = (await burst(client, 100)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(KubeApiError);
    expect([(refused?.reason as KubeApiError).status, (refused?.reason as KubeApiError).message]).toEqual([429, 'Too many requests, please try again later.']);
  });

  it('with retries every request gets through, after the 429s it was answered', async () => {
    const { client, retries, codes } = observedClient();
    const results = await burst(client, 40);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(codes).toContain('429');
    expect(retries.filter((cause) => cause === 'throttled').length).toBe(codes.filter((code) => code === '429').length);
  });
});

describe('timeouts and connection errors', () => {
  it('a request that does not finish in time fails with a message that says so', async () => {
    const client = new KubeClient(admin.config, { ...DEFAULT_CLIENT_SETTINGS, timeoutMs: 1000 });
    // A watch never ends by itself: a plain request for it waits for an answer that does not come.
    await expect(client.request('GET', '/api/v1/namespaces', { query: { watch: true } })).rejects.toThrow('GET /api/v1/namespaces: no answer within 1s');
  });

  it('a read is tried again when nothing listens, and fails after its retries; a write is not retried', async () => {
    const port = await freePort();
    const config = admin.config;
    const nowhere = new KubeClient(Object.assign(Object.create(Object.getPrototypeOf(config)), config, { getCurrentCluster: () => ({ ...config.getCurrentCluster()!, server: `https://127.0.0.1:${port}` }) }), { ...DEFAULT_CLIENT_SETTINGS, maxRetries: 2 }, { response: () => undefined, retry: (cause) => retries.push(cause) });
    const retries: RetryCause[] = [];
    await expect(nowhere.get('/api/v1/namespaces/default')).rejects.toThrow(`GET /api/v1/namespaces/default: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(retries).toEqual(['connection', 'connection']);
    await expect(nowhere.create('/api/v1/namespaces', { metadata: { name: 'never' } })).rejects.toThrow(`POST /api/v1/namespaces: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(retries).toHaveLength(2);
  });

  it('a connection that stops answering is checked and dropped: a read goes on over a new one, a write fails with the reason', async () => {
    const proxy = await startFaultProxy(plane.server);
    try {
      const client = KubeClient.fromFile(kubeconfigThrough(proxy, plane, 'kube-client'), DEFAULT_CLIENT_SETTINGS);
      await client.get('/api/v1/namespaces/default');
      // The open connection hangs a second after the faults reach it; each new one does too, a second after it opens.
      proxy.faults = { hangShare: 1 };
      await new Promise((r) => setTimeout(r, 1_500));
      let started = Date.now();
      await expect(client.get('/api/v1/namespaces/default')).resolves.toMatchObject({ metadata: { name: 'default' } });
      const readMs = Date.now() - started;
      await new Promise((r) => setTimeout(r, 1_500));
      started = Date.now();
      await expect(client.create('/api/v1/namespaces', { metadata: { name: `never-${suffix}` } })).rejects.toThrow(
        'POST /api/v1/namespaces: the connection stopped answering (a check on it got no answer within 5s)',
      );
      const writeMs = Date.now() - started;
      console.log(`hung connection found out: the read answered after ${readMs} ms, the write failed after ${writeMs} ms (timeout ${DEFAULT_CLIENT_SETTINGS.timeoutMs} ms)`);
      expect(readMs).toBeLessThan(15_000);
      expect(writeMs).toBeLessThan(15_000);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

/** A watch's events and how it ended, with a promise of its end. */
function watchRecorder() {
  const events: { type: string; name?: string }[] = [];
  const ends: (Error | null)[] = [];
  let ended: (error: Error | null) => void = () => undefined;
  const end = new Promise<Error | null>((resolve) => (ended = resolve));
  return {
    events,
    ends,
    end,
    onEvent: (type: string, object: KubeObject) => events.push({ type, name: object.metadata?.name }),
    done: (error: Error | null) => {
      ends.push(error);
      ended(error);
    },
  };
}

describe('watches', () => {
  const configMaps = '/api/v1/namespaces/default/configmaps';

  it('delivers the events of its collection as they happen, and ends once when aborted', async () => {
    const name = `watched-${suffix}`;
    const { metadata } = await admin.list(configMaps, { fieldSelector: `metadata.name=${name}` });
    const recorder = watchRecorder();
    const handle = await admin.watch(configMaps, { resourceVersion: metadata.resourceVersion, fieldSelector: `metadata.name=${name}` }, recorder.onEvent, recorder.done);
    await admin.create(configMaps, { metadata: { name }, data: { a: '1' } });
    await admin.mergePatch(`${configMaps}/${name}`, { data: { a: '2' } });
    await admin.delete(`${configMaps}/${name}`);
    for (let waited = 0; recorder.events.length < 3 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(recorder.events).toEqual([
      { type: 'ADDED', name },
      { type: 'MODIFIED', name },
      { type: 'DELETED', name },
    ]);
    handle.abort();
    await recorder.end;
    await new Promise((r) => setTimeout(r, 100));
    expect(recorder.ends).toHaveLength(1);
  });

  it('of a resource that is not served ends with the API server’s 404', async () => {
    const recorder = watchRecorder();
    await admin.watch('/apis/example.com/v1/nothings', {}, recorder.onEvent, recorder.done);
    const error = await recorder.end;
    expect(error).toBeInstanceOf(KubeApiError);
    // client-node's ListWatch reads statusCode (a 410 makes it list afresh); the informer reads status.
    expect([(error as KubeApiError).status, (error as KubeApiError).statusCode, error?.message]).toEqual([404, 404, '404 page not found']);
  });

  it('ends with a TimeoutError when its stream passes no data for 30 s, so ListWatch watches again at once', async () => {
    const proxy = await startFaultProxy(plane.server);
    try {
      const client = KubeClient.fromFile(kubeconfigThrough(proxy, plane, 'watch-silence'), DEFAULT_CLIENT_SETTINGS);
      const recorder = watchRecorder();
      await client.watch(configMaps, {}, recorder.onEvent, recorder.done);
      proxy.faults = { hangShare: 1 };
      const started = Date.now();
      const error = await recorder.end;
      expect([error?.name, error?.message]).toEqual(['TimeoutError', `GET ${configMaps}: the watch passed no data for 30s`]);
      expect(Date.now() - started).toBeLessThan(35_000);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
