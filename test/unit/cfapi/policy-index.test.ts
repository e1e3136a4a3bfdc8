import { describe, expect, it, jest } from '@jest/globals';
import { PolicyIndex } from '../../../src/cfapi/policy-index.js';
import { halvesOf } from '../../../src/cfapi/storage.js';
import type { KubeObject } from '../../../src/runtime/kube-client.js';
import { comparePolicies, type CfPolicy } from '../../../src/cfapi/policy.js';

const web = { namespace: 'ns1', name: 'web' };
const db = { namespace: 'ns2', name: 'db' };
const p: CfPolicy = { source: 'g-web', destination: 'g-db', protocol: 'tcp', start: 5432, end: 5440 };

/** The object the store would write for `app` holding these halves. */
function objectOf(app: { namespace: string; name: string }, resourceVersion: string, policies: CfPolicy[]): KubeObject {
  const halves = policies.flatMap((policy) => halvesOf(policy, web, db)).filter((h) => h.app === app);
  return {
    metadata: { name: `cf-${app.name}`, namespace: app.namespace, resourceVersion },
    spec: { app: app.name, egress: halves.filter((h) => h.direction === 'egress').map((h) => h.rule), ingress: halves.filter((h) => h.direction === 'ingress').map((h) => h.rule) },
  };
}

describe('halvesOf', () => {
  it('writes an egress rule into the source and an ingress rule into the destination, named alike', () => {
    expect(halvesOf(p, web, db)).toEqual([
      { app: web, direction: 'egress', rule: { name: 'g-web.g-db.tcp.5432.5440', to: [{ app: 'db', space: 'ns2' }], ports: [{ protocol: 'TCP', port: 5432, endPort: 5440 }] } },
      { app: db, direction: 'ingress', rule: { name: 'g-web.g-db.tcp.5432.5440', from: [{ app: 'web', space: 'ns1' }], ports: [{ protocol: 'TCP', port: 5432, endPort: 5440 }] } },
    ]);
    expect(halvesOf({ ...p, protocol: 'udp', end: 5432 }, web, db)[0].rule.ports).toEqual([{ protocol: 'UDP', port: 5432 }]);
  });
});

describe('PolicyIndex', () => {
  it('lists a policy while either half exists, with both apps located', () => {
    const index = new PolicyIndex();
    index.observe(objectOf(web, '10', [p]));
    expect(index.get(p)).toMatchObject({ ...p, sourceApp: web, destinationApp: db });
    expect(index.get(p)!.halves).toHaveLength(1);
    index.observe(objectOf(db, '11', [p]));
    expect(index.get(p)!.halves).toHaveLength(2);
    index.forget(objectOf(web, '12', []));
    expect(index.withSource('g-web')).toHaveLength(1);
    index.forget(objectOf(db, '13', []));
    expect(index.get(p)).toBeUndefined();
    expect(index.withSource('g-web')).toEqual([]);
    expect(index.guids()).toEqual(new Set());
  });

  it('ignores versions older than the one it holds (own writes arrive before their watch events)', () => {
    const index = new PolicyIndex();
    index.observe(objectOf(web, '20', [p]));
    index.observe(objectOf(web, '19', []));
    expect(index.get(p)).toBeDefined();
    index.forget(objectOf(web, '21', []));
    index.observe(objectOf(web, '20', [p]));
    expect(index.get(p)).toBeUndefined();
  });

  it('a late event at the version an object was deleted at does not bring its policies back', () => {
    const index = new PolicyIndex();
    index.observe(objectOf(web, '30', [p]));
    index.forget(objectOf(web, '30', [p]));
    index.observe(objectOf(web, '30', [p]));
    expect(index.get(p)).toBeUndefined();
    index.observe(objectOf(web, '31', [p]));
    expect(index.get(p)).toBeDefined();
  });

  it('skips rules it did not write', () => {
    const index = new PolicyIndex();
    index.observe({ metadata: { name: 'cf-web', namespace: 'ns1', resourceVersion: '1' }, spec: { app: 'web', egress: [{ name: 'by-hand', to: [{ app: 'db' }] }, { to: [{ app: 'db' }] }] } });
    expect(index.size).toBe(0);
  });

  it('answers each policy a GUID takes part in once, in comparePolicies order, before and after ranking', () => {
    jest.useFakeTimers();
    try {
      const index = new PolicyIndex();
      const policies: CfPolicy[] = [
        { ...p, start: 9000, end: 9000 },
        { ...p, source: 'g-db', destination: 'g-web' },
        { ...p, start: 80, end: 80 },
        { ...p, destination: 'g-web', start: 22, end: 22 },
      ];
      index.observe(objectOf(web, '1', policies));
      index.observe(objectOf(db, '2', policies));
      const expected = [...policies].sort(comparePolicies);
      const identities = (found: CfPolicy[]) => found.map(({ source, destination, protocol, start, end }) => ({ source, destination, protocol, start, end }));
      expect(identities(index.involvingSorted(['g-web', 'g-db']))).toEqual(expected);
      jest.advanceTimersByTime(1000);
      expect(identities(index.involvingSorted(['g-web', 'g-db']))).toEqual(expected);
      expect(identities(index.involvingSorted(['g-db']))).toEqual(expected.filter((x) => x.source === 'g-db' || x.destination === 'g-db'));
      index.forget(objectOf(web, '3', []));
      index.forget(objectOf(db, '4', []));
      expect(index.involvingSorted(['g-web', 'g-db'])).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });
});
