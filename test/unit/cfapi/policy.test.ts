import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseListFilter, matchesFilter } from '../../../src/cfapi/filters.js';
import { comparePolicies, isStorableGuid, policyOfRuleName, ruleName, sortKey, type CfPolicy } from '../../../src/cfapi/policy.js';

const RULE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

describe('rule names', () => {
  const policy: CfPolicy = { source: '6a1f4c3e-3b7e-4d8e-9c1a-2f0e8d7c6b5a', destination: 'f0e1d2c3-b4a5-4968-8776-655443322110', protocol: 'tcp', start: 8080, end: 8090 };

  it('spell the identity and read back', () => {
    expect(ruleName(policy)).toBe('6a1f4c3e-3b7e-4d8e-9c1a-2f0e8d7c6b5a.f0e1d2c3-b4a5-4968-8776-655443322110.tcp.8080.8090');
    expect(policyOfRuleName(ruleName(policy))).toEqual(policy);
  });

  it('ignore names this service did not write', () => {
    for (const name of ['web', 'a.b.tcp.1', 'a.b.icmp.1.2', 'a.b.tcp.0.2', 'a.b.tcp.01.2', 'A.b.tcp.1.2']) expect(policyOfRuleName(name)).toBeUndefined();
  });

  it('property: every storable identity gives a valid, unique, reversible rule name', () => {
    const guid = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/);
    const port = fc.integer({ min: 1, max: 65535 });
    fc.assert(
      fc.property(guid, guid, fc.constantFrom('tcp' as const, 'udp' as const), port, port, (source, destination, protocol, a, b) => {
        const p = { source, destination, protocol, start: Math.min(a, b), end: Math.max(a, b) };
        expect(isStorableGuid(source)).toBe(true);
        const name = ruleName(p);
        expect(name).toMatch(RULE_NAME);
        expect(name.length).toBeLessThanOrEqual(128);
        expect(policyOfRuleName(name)).toEqual(p);
      }),
    );
  });
});

describe('sort keys', () => {
  it('property: order policies exactly as comparePolicies does', () => {
    const guid = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/);
    const port = fc.integer({ min: 1, max: 65535 });
    const policy = fc.record({ source: guid, destination: guid, protocol: fc.constantFrom('tcp' as const, 'udp' as const), start: port, end: port });
    fc.assert(
      fc.property(policy, policy, (a, b) => {
        const byKey = sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0;
        expect(byKey).toBe(Math.sign(comparePolicies(a, b)));
      }),
    );
  });
});

describe('list filters', () => {
  const p = (source: string, destination: string) => ({ source, destination });
  it('id matches source or destination and wins over the others', () => {
    const filter = parseListFilter('id=a%2Cb&source_id=z');
    expect(filter).toEqual({ kind: 'either', ids: new Set(['a', 'b']) });
    expect(matchesFilter(filter, p('a', 'x'))).toBe(true);
    expect(matchesFilter(filter, p('x', 'b'))).toBe(true);
    expect(matchesFilter(filter, p('x', 'y'))).toBe(false);
  });
  it('source_id and dest_id must both hold', () => {
    const filter = parseListFilter('source_id=a,b&dest_id=c');
    expect(matchesFilter(filter, p('a', 'c'))).toBe(true);
    expect(matchesFilter(filter, p('a', 'd'))).toBe(false);
    expect(matchesFilter(filter, p('x', 'c'))).toBe(false);
    expect(matchesFilter(parseListFilter('dest_id=c'), p('q', 'c'))).toBe(true);
  });
  it('no filter lists everything; an empty id matches nothing', () => {
    expect(matchesFilter(parseListFilter(''), p('a', 'b'))).toBe(true);
    expect(matchesFilter(parseListFilter('id='), p('a', 'b'))).toBe(false);
  });
  it('property: any query string parses', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (q, s, d) => void matchesFilter(parseListFilter(q), p(s, d))));
  });
});
