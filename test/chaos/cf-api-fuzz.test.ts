/**
 * Hostile input against a real `appnetpol cf-api` process: fast-check generates valid requests, which a
 * model of the stored policies follows, interleaved with hostile ones (mutated and random bodies for every
 * route and version, wrong JSON types, out-of-range, fractional and string ports, long and unicode ids,
 * duplicate keys, deep nesting, truncated bodies, wrong content types, random methods, paths, query
 * strings and Authorization headers). No answer may be a 5xx, the service must stay up, and what the
 * service lists and what it stored in the AppNetworkPolicies must equal the model. Then 8 clients add and
 * remove overlapping policies at once, and the final state must be one the model allows.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { AppNetworkPolicy } from '../../src/api/types.js';
import type { KubeObject } from '../../src/runtime/kube-client.js';
import { chaosScale, chaosSeed, reportFigures } from '../support/chaos.js';
import { createNamespace, testCluster } from '../support/cluster.js';
import { grantCfAdmin, startCfApi, type CfApiProcess } from '../support/cf-api.js';
import { createKfApp } from '../support/fixtures.js';

const { admin, plane } = testCluster();
const ADMIN = plane.identities['cf-admin'].token;
const NOBODY = plane.identities.nobody.token;
const REQUESTS = chaosScale(600, 10_000);
const CONCURRENT_OPS_PER_CLIENT = chaosScale(15, 150);
const SEED = chaosSeed();

interface Policy {
  source: string;
  destination: string;
  protocol: 'tcp' | 'udp';
  start: number;
  end: number;
}
const keyOf = (p: Policy) => `${p.source}.${p.destination}.${p.protocol}.${p.start}.${p.end}`;

interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
interface HttpAnswer {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

let api: CfApiProcess;
let namespaces: string[];
/** Every app of this run: GUID -> namespace/name. */
const apps = new Map<string, { namespace: string; name: string }>();
let guids: string[];
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

/**
 * One request with node:http, which sends any method token, path and header the fuzzer makes. A
 * keep-alive socket the server closed just as it was reused is retried once, as HTTP clients do.
 */
function send(req: HttpRequest, retried = false): Promise<HttpAnswer> {
  const url = new URL(api.url);
  return new Promise((resolve, reject) => {
    // Node frames no body of a GET, DELETE or OPTIONS on its own: say its length, or it reads as the next request.
    const headers = req.body === undefined ? req.headers : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) };
    const outgoing = request({ agent, host: url.hostname, port: url.port, method: req.method, path: req.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    outgoing.on('error', (error: Error & { code?: string }) => (outgoing.reusedSocket && !retried && error.code === 'ECONNRESET' ? resolve(send(req, true)) : reject(error)));
    outgoing.end(req.body);
  });
}

const V = (version: string) => `/networking/${version}/external`;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** The wire form of policies in a version: v0 has one port, v1 a range. */
function wire(policies: Policy[], version: 'v0' | 'v1'): { policies: unknown[] } {
  return {
    policies: policies.map((p) => ({
      source: { id: p.source },
      destination: version === 'v0' ? { id: p.destination, protocol: p.protocol, port: p.start } : { id: p.destination, protocol: p.protocol, ports: { start: p.start, end: p.end } },
    })),
  };
}

// ---- arbitraries -------------------------------------------------------------------------------

const PORT_RANGES: [number, number][] = [
  [80, 80],
  [443, 443],
  [8080, 8080],
  [8080, 8090],
  [5000, 5100],
  [1, 65535],
];
const version = fc.constantFrom<'v0' | 'v1'>('v0', 'v1');
const contentType = fc.constantFrom<Record<string, string>>(
  { 'content-type': 'application/json' },
  {},
  { 'content-type': 'text/plain' },
  { 'content-type': 'application/xml' },
  { 'content-type': 'application/x-www-form-urlencoded' },
  { 'content-type': 'multipart/form-data; boundary=x' },
  { 'content-type': '\u00e9/\u00fc' },
);
/** A policy between this run's apps; v0 can only say single ports. */
const policyOf = (v: 'v0' | 'v1') =>
  fc.record({
    source: fc.constantFrom(...guids),
    destination: fc.constantFrom(...guids),
    protocol: fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'),
    range: fc.constantFrom(...PORT_RANGES.filter(([s, e]) => v === 'v1' || s === e)),
  }).map(({ range: [start, end], ...p }): Policy => ({ ...p, start, end }));

type Step =
  | { kind: 'create' | 'delete'; version: 'v0' | 'v1'; policies: Policy[]; headers: Record<string, string>; text: string }
  | { kind: 'list'; version: 'v0' | 'v1'; query: string; filter: (p: Policy) => boolean }
  | { kind: 'invalid'; req: HttpRequest; why: string }
  | { kind: 'unknown-apps'; req: HttpRequest; create: boolean }
  | { kind: 'junk'; req: HttpRequest };

const validWrite = version.chain((v) =>
  fc.record({
    kind: fc.constantFrom<'create' | 'delete'>('create', 'create', 'delete'),
    version: fc.constant(v),
    policies: fc.array(policyOf(v), { minLength: 1, maxLength: 4 }),
    headers: contentType,
    // Duplicate keys: the last one counts, in Go as in JSON.parse.
    duplicateKey: fc.boolean(),
  }).map(({ duplicateKey, ...step }): Step => {
    const body = JSON.stringify(wire(step.policies, v));
    return { ...step, text: duplicateKey ? `{"policies": "overwritten", ${body.slice(1)}` : body };
  }),
);

const idList = () => fc.uniqueArray(fc.constantFrom(...guids), { minLength: 1, maxLength: 3 }).map((ids) => ids.join(','));
const validList = version.chain((v) =>
  fc.oneof(
    fc.constant<Step>({ kind: 'list', version: v, query: `id=${guids.join(',')}`, filter: () => true }),
    idList().map((ids): Step => ({ kind: 'list', version: v, query: `id=${ids}`, filter: (p) => ids.split(',').includes(p.source) || ids.split(',').includes(p.destination) })),
    fc.tuple(idList(), idList()).map(([s, d]): Step => ({
      kind: 'list',
      version: v,
      query: `source_id=${s}&dest_id=${d}`,
      filter: (p) => s.split(',').includes(p.source) && d.split(',').includes(p.destination),
    })),
  ),
);

/** Values Go's decoder refuses for an int, or ints Cloud Foundry's checks refuse. */
const badPort = fc.oneof(
  fc.constantFrom('8080.0', '8.08e3', '1e400', '"8080"', 'true', '[]', '{}', '9007199254740993', '-0.5', '0x50', '65536', '-1', '0', '99999999999'),
  fc.integer({ min: 65536, max: 2 ** 40 }).map(String),
  fc.integer({ min: -(2 ** 40), max: -1 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)).map(String),
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
);

/**
 * A body for this run's apps made invalid on purpose, so it must be a 400 whatever its other parts say:
 * a broken port, protocol, type or id, a tag, no policies, a truncated text, or deep nesting.
 */
const invalidBody = version.chain((v) =>
  fc.tuple(fc.array(policyOf(v), { minLength: 1, maxLength: 3 }), fc.nat()).chain(([policies, at]) => {
    const valid = JSON.stringify(wire(policies, v));
    const target = at % policies.length;
    const replaceIn = (field: string, value: string) => {
      const parsed = wire(policies, v) as { policies: { source: Record<string, unknown>; destination: Record<string, unknown> }[] };
      const marker = '"__replaced__"';
      const path = field.split('.');
      let node: Record<string, unknown> = parsed.policies[target];
      for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
      node[path.at(-1)!] = '__replaced__';
      return JSON.stringify(parsed).replace(marker, value);
    };
    const portField = v === 'v0' ? fc.constant('destination.port') : fc.constantFrom('destination.ports.start', 'destination.ports.end');
    return fc.oneof(
      fc.tuple(portField, badPort).map(([field, value]) => ({ v, text: replaceIn(field, value), why: `${field}=${value}` })),
      fc
        .constantFrom('"TCP"', '"icmp"', '""', '1', 'null', '["tcp"]', '"tcp\\u0000"')
        .map((value) => ({ v, text: replaceIn('destination.protocol', value), why: `protocol=${value}` })),
      fc
        .constantFrom('source.id', 'destination.id', 'source', 'destination', 'destination.ports')
        .chain((field) => fc.constantFrom('1', '[]', 'true', '""', '{"nested":{}}').map((value) => ({ field, value })))
        .filter(({ field, value }) => !(field === 'destination.ports' && v === 'v0') && !(value === '{"nested":{}}' && (field === 'source' || field === 'destination')))
        .map(({ field, value }) => ({ v, text: replaceIn(field, value), why: `${field}=${value}` })),
      fc.constantFrom('source.tag', 'destination.tag').map((field) => ({ v, text: replaceIn(field, '"ABCD"'), why: field })),
      fc.constantFrom('{}', '{"policies":[]}', 'null', '{"policies":null}', '[]', '"policies"', '42', '').map((text) => ({ v, text, why: `body ${text}` })),
      fc.integer({ min: 1, max: valid.length - 1 }).map((cut) => ({ v, text: valid.slice(0, cut), why: `truncated at ${cut}` })),
      fc.integer({ min: 1, max: 200_000 }).map((depth) => ({ v, text: `{"policies":${'['.repeat(depth)}${']'.repeat(depth)}}`, why: `nested ${depth}` })),
      fc.constant({ v, text: `${valid}${valid}`, why: 'two documents' }),
    );
  }),
);
const invalidWrite = fc.tuple(invalidBody, fc.constantFrom('/policies', '/policies/delete'), contentType).map(
  ([{ v, text, why }, route, headers]): Step => ({ kind: 'invalid', why, req: { method: 'POST', path: V(v) + route, headers: { ...auth(ADMIN), ...headers }, body: text } }),
);

/** Ids no app has: long, unicode, empty-looking, or a plausible GUID. */
const unknownId = fc.oneof(
  fc.uuid(),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  fc.integer({ min: 100, max: 20_000 }).map((n) => 'a'.repeat(n)),
  fc.constantFrom(' ', '\u0000', '../../etc', 'cf-', '\u{1F600}'.repeat(100), `${'x'.repeat(60)}`),
).filter((id) => id !== '' && !apps.has(id));
const unknownApps = () =>
  fc.tuple(version, fc.boolean(), fc.array(fc.tuple(unknownId, fc.constantFrom(...guids), fc.boolean()), { minLength: 1, maxLength: 3 })).map(
  ([v, create, pairs]): Step => {
    // A create with some known apps must still store nothing (all or nothing); a delete names only unknown ones.
    const policies: Policy[] = pairs.map(([unknown, known, knownSource]) => ({
      source: create && knownSource ? known : unknown,
      destination: create && !knownSource ? known : unknown,
      protocol: 'tcp',
      start: 8080,
      end: 8080,
    }));
    return { kind: 'unknown-apps', create, req: { method: 'POST', path: V(v) + (create ? '/policies' : '/policies/delete'), headers: auth(ADMIN), body: JSON.stringify(wire(policies, v)) } };
  },
);

/** What an HTTP header value may carry: visible ASCII, space, tab and the upper half of Latin-1. */
const latin1 = (max: number) => fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength: max });
const authorization = fc.oneof(
  fc.constant<string | undefined>(undefined),
  fc.constantFrom(`Bearer ${ADMIN}`, `Bearer ${NOBODY}`, `Bearer  ${ADMIN}`, `Bearer ${ADMIN} junk`, `bearer ${ADMIN}`, 'Bearer', 'Bearer ', `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${ADMIN},${ADMIN}`),
  latin1(300).map((s) => `Bearer ${s}`),
  latin1(100),
);
const segment = fc.oneof(
  fc.constantFrom('networking', 'v1', 'v0', 'v2', 'external', 'policies', 'delete', 'cleanup', 'tags', 'whoami', 'health', '', '..', '.', '%', '%zz', '%00', '%2F', '%C3%A9', '%E2%82'),
  fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent),
  fc.integer({ min: 100, max: 20_000 }).map((n) => 'v'.repeat(n)),
);
const knownPath = fc.constantFrom('/', '/networking', '/health', ...['v0', 'v1', 'v2', 'V1'].flatMap((v) => ['/policies', '/policies/delete', '/policies/cleanup', '/tags', '/whoami'].map((r) => V(v) + r)));
const path = fc.oneof(knownPath, fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => `/${s.join('/')}`));
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?id=', '?id=,,,', '?source_id=&dest_id=', '?id=a&id=b', '?%zz=1', '?id=%E2%82', `?id=${'x,'.repeat(3000)}`),
  fc.array(fc.tuple(fc.constantFrom('id', 'source_id', 'dest_id', 'x', ''), fc.string({ maxLength: 30 })), { maxLength: 4 }).map((pairs) => `?${new URLSearchParams(pairs).toString()}`),
);
const junkBody = fc.oneof(
  fc.constant<string | undefined>(undefined),
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ policies: value })),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ policies: [{ source: value, destination: value }] })),
  fc.integer({ min: 1, max: 100_000 }).map((n) => '{'.repeat(n)),
);
const junk = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'BREW'),
    path,
    query,
    authorization,
    contentType,
    body: junkBody,
  })
  .map(({ method, path: p, query: q, authorization: a, contentType: ct, body }): Step => ({
    kind: 'junk',
    req: { method, path: p + q, headers: { ...ct, ...(a === undefined ? {} : { authorization: a }) }, body: method === 'GET' || method === 'HEAD' ? undefined : body },
  }));

const step = (): fc.Arbitrary<Step> =>
  fc.oneof(
    { weight: 3, arbitrary: validWrite },
    { weight: 1, arbitrary: validList },
    { weight: 6, arbitrary: invalidWrite },
    { weight: 2, arbitrary: unknownApps() },
    { weight: 8, arbitrary: junk },
  );

/** The HTTP request a step sends. */
function requestOf(s: Step): HttpRequest {
  switch (s.kind) {
    case 'create':
    case 'delete':
      return { method: 'POST', path: `${V(s.version)}/policies${s.kind === 'delete' ? '/delete' : ''}`, headers: { ...auth(ADMIN), ...s.headers }, body: s.text };
    case 'list':
      return { method: 'GET', path: `${V(s.version)}/policies?${s.query}`, headers: auth(ADMIN) };
    default:
      return s.req;
  }
}

// ---- state ----------------------------------------------------------------------------------------

/** The policies stored for this run's apps, read from the AppNetworkPolicies: both halves must agree. */
async function storedPolicies(): Promise<{ egress: Set<string>; ingress: Set<string> }> {
  const egress = new Set<string>();
  const ingress = new Set<string>();
  for (const namespace of namespaces) {
    const list = await admin.list<AppNetworkPolicy & KubeObject>(`/apis/networking.kf.dev/v1alpha1/namespaces/${namespace}/appnetworkpolicies`);
    for (const object of list.items) {
      for (const rule of object.spec.egress ?? []) egress.add(rule.name!);
      for (const rule of object.spec.ingress ?? []) ingress.add(rule.name!);
    }
  }
  return { egress, ingress };
}

async function listed(query: string, v: 'v0' | 'v1' = 'v1'): Promise<string[]> {
  const answer = await send({ method: 'GET', path: `${V(v)}/policies?${query}`, headers: auth(ADMIN) });
  expect(answer.status).toBe(200);
  return keysListed(answer.text);
}

function keysListed(text: string): string[] {
  const body = JSON.parse(text) as { total_policies: number; policies: { source: { id: string }; destination: { id: string; protocol: 'tcp' | 'udp'; ports?: { start: number; end: number }; port?: number } }[] };
  expect(body.total_policies).toBe(body.policies.length);
  return body.policies.map((p) => {
    const [start, end] = p.destination.ports ? [p.destination.ports.start, p.destination.ports.end] : [p.destination.port!, p.destination.port!];
    return keyOf({ source: p.source.id, destination: p.destination.id, protocol: p.destination.protocol, start, end });
  });
}

const sorted = (keys: Iterable<string>) => [...keys].sort();

/** What is listed and what is stored (each half) equals `expected`. */
async function expectState(expected: Set<string>): Promise<void> {
  expect(sorted(await listed(`id=${guids.join(',')}`))).toEqual(sorted(expected));
  const { egress, ingress } = await storedPolicies();
  expect(sorted(egress)).toEqual(sorted(expected));
  expect(sorted(ingress)).toEqual(sorted(expected));
}

beforeAll(async () => {
  namespaces = await Promise.all([createNamespace('fuzz-a'), createNamespace('fuzz-b')]);
  for (const [i, namespace] of namespaces.entries()) {
    for (const name of ['web', 'api', 'db', 'cache'].map((n) => `${n}${i}`)) {
      await createKfApp(namespace, name);
      apps.set((await admin.get(`/apis/kf.dev/v1alpha1/namespaces/${namespace}/apps/${name}`)).metadata!.uid!, { namespace, name });
    }
  }
  guids = [...apps.keys()];
  await grantCfAdmin(admin, 'cf-admin', `fuzz-${randomBytes(3).toString('hex')}`);
  api = await startCfApi({ kubeconfig: plane.kubeconfig, logDir: `${plane.dir}/logs`, name: 'fuzz' });
}, 120_000);

afterAll(async () => {
  agent.destroy();
  await api?.stop();
});

describe('CF API under hostile input', () => {
  it(`answers ${REQUESTS} generated requests without a 5xx, and stores exactly what the valid ones asked for`, async () => {
    const model = new Set<string>();
    const statuses: Record<string, number> = {};
    const kinds: Record<string, number> = {};
    const failures: string[] = [];
    const started = Date.now();
    const steps = fc.sample(step(), { numRuns: REQUESTS, seed: SEED });
    /** Sends one step and checks its answer (and, for a valid one, moves the model). */
    const run = async (n: number, s: Step) => {
      kinds[s.kind] = (kinds[s.kind] ?? 0) + 1;
      const req = requestOf(s);
      const answer = await send(req).catch((error: Error) => ({ status: 0, text: `no answer: ${error.message}`, headers: {} }));
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      const where = `step ${n} (seed ${SEED}) ${s.kind} ${req.method} ${req.path.slice(0, 200)} ${JSON.stringify(req.headers).slice(0, 200)} ${s.kind === 'invalid' ? s.why : ''} body ${(req.body ?? '').slice(0, 300)} -> ${answer.status} ${answer.text.slice(0, 300)}`;
      const check = (ok: boolean) => {
        if (!ok) failures.push(where);
      };
      check(answer.status > 0 && answer.status < 500);
      // 431 comes from Node's parser before the method is known, so without a body (it may answer a HEAD).
      if (answer.status >= 400 && answer.status !== 431 && !answer.text.startsWith('{"error": ') && req.method !== 'HEAD') failures.push(`${where}: not CF's error body`);
      switch (s.kind) {
        case 'create':
        case 'delete':
          check(answer.status === 200 && answer.text === '{}');
          for (const p of answer.status === 200 ? s.policies : []) {
            if (s.kind === 'create') model.add(keyOf(p));
            else model.delete(keyOf(p));
          }
          break;
        case 'list': {
          check(answer.status === 200);
          if (answer.status !== 200) break;
          const expected = [...model].filter((k) => {
            const [source, destination, protocol, start, end] = k.split('.');
            return s.filter({ source, destination, protocol: protocol as 'tcp', start: Number(start), end: Number(end) }) && (s.version === 'v1' || start === end);
          });
          const got = keysListed(answer.text);
          if (JSON.stringify(sorted(got)) !== JSON.stringify(sorted(expected))) failures.push(`${where}: listed ${got.length} policies, model has ${expected.length}`);
          break;
        }
        case 'invalid':
          check(answer.status === 400);
          break;
        case 'unknown-apps':
          check(answer.status === (s.create ? 403 : 200));
          break;
        case 'junk':
          break;
      }
    };
    // Hostile steps never change what is stored, so up to 8 fly at once; a valid step waits for them and
    // runs alone, in order, so the model sees the valid requests exactly as the service did.
    const inFlight = new Set<Promise<void>>();
    for (const [n, s] of steps.entries()) {
      if (failures.length >= 20) break;
      const stateful = s.kind === 'create' || s.kind === 'delete' || s.kind === 'list';
      if (stateful || inFlight.size >= 8) await (stateful ? Promise.all(inFlight) : Promise.race(inFlight));
      if (stateful) {
        await run(n, s);
        continue;
      }
      const pending: Promise<void> = run(n, s).finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    }
    await Promise.all(inFlight);
    const elapsedMs = Date.now() - started;
    const health = await send({ method: 'GET', path: '/health', headers: {} });
    await expectState(model);
    const fiveHundreds = Object.entries(statuses)
      .filter(([status]) => Number(status) >= 500)
      .reduce((sum, [, count]) => sum + count, 0);
    reportFigures('cf-api-fuzz', {
      seed: SEED,
      requests: Object.values(statuses).reduce((sum, count) => sum + count, 0),
      byKind: kinds,
      statuses,
      fiveHundreds,
      serviceAlive: api.process.exitCode === null && health.status === 200,
      storedEqualsModel: true,
      policiesInModel: model.size,
      seconds: Math.round(elapsedMs / 100) / 10,
    });
    expect(failures).toEqual([]);
    expect(health.status).toBe(200);
    expect(api.process.exitCode).toBeNull();
  }, chaosScale(300_000, 3_600_000));

  it('8 concurrent clients adding and removing overlapping policies end in a state the model allows', async () => {
    // Start clean: every policy of this run's apps removed.
    const existing = await listed(`id=${guids.join(',')}`);
    const asPolicy = (key: string): Policy => {
      const [source, destination, protocol, start, end] = key.split('.');
      return { source, destination, protocol: protocol as 'tcp', start: Number(start), end: Number(end) };
    };
    if (existing.length) expect((await send({ method: 'POST', path: `${V('v1')}/policies/delete`, headers: auth(ADMIN), body: JSON.stringify(wire(existing.map(asPolicy), 'v1')) })).status).toBe(200);
    await expectState(new Set());

    // A small pool over three apps in two namespaces: every request touches objects others touch too.
    const [a, b, c] = guids.filter((_, i) => i === 0 || i === 1 || i === 4);
    const pool: Policy[] = [];
    for (const [source, destination] of [[a, b], [b, c], [c, a], [a, c]])
      for (const [start, end] of [[80, 80], [8080, 8090], [5000, 5000]]) pool.push({ source, destination, protocol: 'tcp', start, end });
    interface Op {
      keys: string[];
      present: boolean;
      startedAt: number;
      endedAt: number;
      status: number;
    }
    const ops: Op[] = [];
    const errors: string[] = [];
    const client = async (n: number) => {
      const random = fc.sample(fc.tuple(fc.boolean(), fc.uniqueArray(fc.nat(pool.length - 1), { minLength: 1, maxLength: 3 })), { numRuns: CONCURRENT_OPS_PER_CLIENT, seed: SEED + n });
      for (const [create, indexes] of random) {
        const policies = indexes.map((i) => pool[i]);
        const startedAt = performance.now();
        const answer = await send({ method: 'POST', path: `${V('v1')}/policies${create ? '' : '/delete'}`, headers: auth(ADMIN), body: JSON.stringify(wire(policies, 'v1')) });
        ops.push({ keys: policies.map(keyOf), present: create, startedAt, endedAt: performance.now(), status: answer.status });
        if (answer.status !== 200) errors.push(`${answer.status} ${answer.text}`);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 8 }, (_, n) => client(n)));
    const elapsedMs = Date.now() - started;

    // A key's final state is decided by the ops that no other op on that key started after: if they agree,
    // that is the state; if they overlap and disagree, either is linearizable.
    const allowed = new Map<string, Set<boolean>>();
    for (const key of pool.map(keyOf)) {
      const onKey = ops.filter((op) => op.keys.includes(key));
      const last = onKey.filter((op) => !onKey.some((other) => other.startedAt > op.endedAt));
      allowed.set(key, new Set(last.length ? last.map((op) => op.present) : [false]));
    }
    const listedKeys = new Set(await listed(`id=${guids.join(',')}`));
    const { egress, ingress } = await storedPolicies();
    const wrong = [...allowed].filter(([key, states]) => !states.has(listedKeys.has(key)) || egress.has(key) !== listedKeys.has(key) || ingress.has(key) !== listedKeys.has(key));
    const undecided = [...allowed.values()].filter((states) => states.size > 1).length;
    reportFigures('cf-api-concurrent', {
      clients: 8,
      requests: ops.length,
      non200: errors.length,
      seconds: Math.round(elapsedMs / 100) / 10,
      poolPolicies: pool.length,
      keysWithOverlappingLastWrites: undecided,
      finalStateAllowed: wrong.length === 0,
    });
    expect(errors).toEqual([]);
    expect(wrong).toEqual([]);
    expect([...egress].filter((k) => !listedKeys.has(k))).toEqual([]);
  }, 600_000);
});
