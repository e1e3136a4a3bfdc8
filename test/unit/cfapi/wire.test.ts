import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CfError } from '../../../src/cfapi/errors.js';
import { parsePolicies, policyJson, policyList, policyListJson, type ApiVersion } from '../../../src/cfapi/wire.js';

const body = (policies: unknown) => JSON.stringify({ policies });
const v1 = (destination: Record<string, unknown>, source: Record<string, unknown> = { id: 'a' }) => body([{ source, destination: { id: 'b', protocol: 'tcp', ports: { start: 8080, end: 8080 }, ...destination } }]);
const v0 = (destination: Record<string, unknown>) => body([{ source: { id: 'a' }, destination: { id: 'b', protocol: 'tcp', port: 8080, ...destination } }]);

function errorOf(text: string, version: ApiVersion = 'v1'): { status: number; message: string } {
  try {
    parsePolicies(text, version);
  } catch (error) {
    if (error instanceof CfError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('no error');
}

describe('parsePolicies v1: every Cloud Foundry check, in order', () => {
  const cases: [string, string, string][] = [
    ['empty object', '{}', 'missing policies'],
    ['null body', 'null', 'missing policies'],
    ['empty list', body([]), 'missing policies'],
    ['no source id', v1({}, {}), 'missing source id'],
    ['null policy', body([null]), 'missing source id'],
    ['no destination id (and no protocol)', v1({ id: '', protocol: 'sctp' }), 'missing destination id'],
    ['bad protocol', v1({ protocol: 'TCP' }), 'invalid destination protocol, specify either udp or tcp'],
    ['missing protocol', v1({ protocol: undefined }), 'invalid destination protocol, specify either udp or tcp'],
    ['range reversed (before the start-port checks)', v1({ ports: { start: 0, end: -1 } }), 'invalid port range 0--1, start must be less than or equal to end'],
    ['end missing', v1({ ports: { start: 8080 } }), 'invalid port range 8080-0, start must be less than or equal to end'],
    ['start below 0', v1({ ports: { start: -5, end: 10 } }), 'invalid start port -5, must be in range 1-65535'],
    ['start 0', v1({ ports: { start: 0, end: 10 } }), 'missing start port'],
    ['no ports', v1({ ports: undefined }), 'missing start port'],
    ['end above 65535', v1({ ports: { start: 1, end: 65536 } }), 'invalid end port 65536, must be in range 1-65535'],
    ['source tag', v1({}, { id: 'a', tag: '01' }), 'tags may not be specified'],
    ['destination tag', v1({ tag: '01' }), 'tags may not be specified'],
  ];
  it.each(cases)('%s', (_name, text, message) => {
    expect(errorOf(text)).toEqual({ status: 400, message: `mapper: validate policies: ${message}` });
  });

  it('reports the first failing policy', () => {
    const text = body([
      { source: { id: 'a' }, destination: { id: 'b', protocol: 'tcp', ports: { start: 1, end: 2 } } },
      { source: { id: 'a' }, destination: { id: 'b', protocol: 'icmp' } },
      { source: {} },
    ]);
    expect(errorOf(text).message).toBe('mapper: validate policies: invalid destination protocol, specify either udp or tcp');
  });

  it('ignores unknown fields and reads a valid policy', () => {
    expect(parsePolicies(JSON.stringify({ extra: 1, policies: [{ source: { id: 'a', x: 1 }, destination: { id: 'b', protocol: 'udp', ports: { start: 53, end: 60 } } }] }), 'v1')).toEqual([
      { source: 'a', destination: 'b', protocol: 'udp', start: 53, end: 60 },
    ]);
  });
});

describe('parsePolicies v0', () => {
  it.each([
    ['port 0', v0({ port: 0 }), 'missing port'],
    ['no port', v0({ port: undefined }), 'missing port'],
    ['port too high', v0({ port: 70000 }), 'invalid port 70000, must be in range 1-65535'],
    ['port negative', v0({ port: -1 }), 'invalid port -1, must be in range 1-65535'],
    ['tag', v0({ tag: 'x' }), 'tags may not be specified'],
  ])('%s', (_name, text, message) => {
    expect(errorOf(text, 'v0')).toEqual({ status: 400, message: `mapper: validate policies: ${message}` });
  });

  it('maps port to a one-port range', () => {
    expect(parsePolicies(v0({ port: 9000 }), 'v0')).toEqual([{ source: 'a', destination: 'b', protocol: 'tcp', start: 9000, end: 9000 }]);
  });
});

describe('unmarshal errors', () => {
  it.each([
    ['not JSON', '{"policies":', /^mapper: unmarshal json: /],
    ['empty body', '', /^mapper: unmarshal json: /],
    ['array at top', '[]', /^mapper: unmarshal json: json: cannot unmarshal array into Go value of type PoliciesPayload$/],
    ['policies not a list', '{"policies": "x"}', /^mapper: unmarshal json: json: cannot unmarshal string into Go struct field policies of type \[\]Policy$/],
    ['id not a string', body([{ source: { id: 5 } }]), /cannot unmarshal number 5 into Go struct field policies.source.id of type string$/],
    ['fractional port', v1({ ports: { start: 1.5, end: 2 } }), /cannot unmarshal number 1.5 into Go struct field policies.destination.ports.start of type int$/],
    ['a whole number written with a fraction', v1({}).replace('"start":8080', '"start":8080.0'), /cannot unmarshal number 8080.0 into Go struct field policies.destination.ports.start of type int$/],
    ['a whole number written with an exponent', v1({}).replace('"end":8080', '"end":8.08e3'), /cannot unmarshal number 8.08e3 into Go struct field policies.destination.ports.end of type int$/],
    ['a v0 port written with an exponent', v0({}).replace('"port":8080', '"port":8080e0'), /cannot unmarshal number 8080e0 into Go struct field policies.destination.port of type int$/],
    ['a number too large for an int', v1({}).replace('"start":8080', '"start":99999999999999999999'), /cannot unmarshal number 99999999999999999999 into Go struct field policies.destination.ports.start of type int$/],
    ['a number as the whole policy', body([1e3]).replace('1000', '1e3'), /cannot unmarshal number 1e3 into Go struct field policies of type Policy$/],
  ])('%s', (name, text, pattern) => {
    const { status, message } = errorOf(text, name.startsWith('a v0') ? 'v0' : 'v1');
    expect(status).toBe(400);
    expect(message).toMatch(pattern);
  });
});

describe('property: any input is a policy list or a 400, never a throw of anything else', () => {
  const leaf = fc.oneof(fc.string(), fc.integer({ min: -70000, max: 70000 }), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('tcp', 'udp', 'a', ''));
  const policyLike = fc.record(
    { source: fc.oneof(leaf, fc.record({ id: leaf, tag: leaf }, { requiredKeys: [] })), destination: fc.oneof(leaf, fc.record({ id: leaf, tag: leaf, protocol: leaf, port: leaf, ports: fc.oneof(leaf, fc.record({ start: leaf, end: leaf }, { requiredKeys: [] })) }, { requiredKeys: [] })) },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(fc.string(), fc.json(), fc.anything().map((v) => JSON.stringify(v) ?? ''), fc.array(fc.oneof(policyLike, leaf)).map((policies) => JSON.stringify({ policies })));

  it.each(['v1', 'v0'] as const)('%s', (version) => {
    fc.assert(
      fc.property(bodies, (text) => {
        try {
          const policies = parsePolicies(text, version);
          expect(policies.length).toBeGreaterThan(0);
          for (const p of policies) {
            expect(p.start).toBeGreaterThanOrEqual(1);
            expect(p.end).toBeLessThanOrEqual(65535);
            expect(p.start).toBeLessThanOrEqual(p.end);
            expect(['tcp', 'udp']).toContain(p.protocol);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(CfError);
          expect((error as CfError).status).toBe(400);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('policyList', () => {
  const policies = [
    { source: 'a', destination: 'b', protocol: 'tcp' as const, start: 80, end: 80 },
    { source: 'a', destination: 'c', protocol: 'udp' as const, start: 1000, end: 2000 },
  ];
  it('v1 shows ranges', () => {
    expect(policyList(policies, 'v1')).toEqual({
      total_policies: 2,
      policies: [
        { source: { id: 'a' }, destination: { id: 'b', protocol: 'tcp', ports: { start: 80, end: 80 } } },
        { source: { id: 'a' }, destination: { id: 'c', protocol: 'udp', ports: { start: 1000, end: 2000 } } },
      ],
    });
  });
  it('v0 leaves out ranges and counts what it shows', () => {
    expect(policyList(policies, 'v0')).toEqual({ total_policies: 1, policies: [{ source: { id: 'a' }, destination: { id: 'b', protocol: 'tcp', port: 80 } }] });
  });
  it('an empty list is [] not null', () => {
    expect(JSON.stringify(policyList([], 'v1'))).toBe('{"total_policies":0,"policies":[]}');
  });
  it('the answer bytes are policyList as JSON, from the policies\' ready JSON', () => {
    const serialized = policies.map((p) => ({ ...p, json: policyJson(p) }));
    for (const version of ['v1', 'v0'] as const) {
      for (const list of [[], serialized.slice(0, 1), serialized]) expect(policyListJson(list, version).toString('utf8')).toBe(JSON.stringify(policyList(list, version)));
    }
  });
});
