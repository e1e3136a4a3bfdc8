/** CfPolicyService's cleanup, with stand-ins for the app lookup and the store. */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { Authorizer } from '../../../src/cfapi/auth.js';
import type { AppDirectory } from '../../../src/cfapi/directory.js';
import { PolicyIndex } from '../../../src/cfapi/policy-index.js';
import { CfPolicyService } from '../../../src/cfapi/service.js';
import { halvesOf, type Half, type PolicyStore } from '../../../src/cfapi/storage.js';
import type { KubeClient } from '../../../src/runtime/kube-client.js';

const web = { namespace: 'ns1', name: 'web' };
const db = { namespace: 'ns2', name: 'db' };
const kept = { source: 'g-web', destination: 'g-db', protocol: 'tcp' as const, start: 80, end: 80 };
const stale = { source: 'g-gone', destination: 'g-db', protocol: 'udp' as const, start: 53, end: 53 };

function setup(freshGuids: () => Promise<Set<string>>) {
  const index = new PolicyIndex();
  const halves = [...halvesOf(kept, web, db), ...halvesOf(stale, { namespace: 'ns3', name: 'gone' }, db)];
  index.observe({ metadata: { name: 'cf-db', namespace: 'ns2', resourceVersion: '1' }, spec: { app: 'db', ingress: halves.filter((h) => h.direction === 'ingress').map((h) => h.rule) } });
  const removed: Half[] = [];
  const store = { remove: async (h: Half[]) => void removed.push(...h) } as unknown as PolicyStore;
  const directory = { freshGuids } as unknown as AppDirectory;
  const service = new CfPolicyService({ client: {} as KubeClient, authorizer: {} as Authorizer, directory, index, store, log: pino({ level: 'silent' }), quota: 150 });
  return { service, removed };
}

describe('cleanup', () => {
  it('deletes the policies whose source or destination app is gone and returns them', async () => {
    const { service, removed } = setup(async () => new Set(['g-web', 'g-db']));
    expect(await service.cleanup()).toEqual([expect.objectContaining(stale)]);
    expect(removed.map((h) => h.rule.name)).toEqual(['g-gone.g-db.udp.53.53', 'g-gone.g-db.udp.53.53']);
  });

  it('deletes nothing when the app lookup fails', async () => {
    const { service, removed } = setup(async () => Promise.reject(new Error('connection refused')));
    await expect(service.cleanup()).rejects.toMatchObject({ status: 500, message: 'database read failed' });
    expect(removed).toEqual([]);
  });
});
