import { describe, expect, it } from '@jest/globals';
import { configFile as file } from './config-file.js';
import { loadConfig } from '../../../src/config/operator-config.js';

describe('mesh configuration', () => {
  it('is on by default with the cluster.local trust domain, istio-system hosts and STRICT mTLS', () => {
    expect(loadConfig({}).mesh).toEqual({ enabled: true, trustDomain: 'cluster.local', defaultEgressHosts: ['istio-system/*'], peerAuthentication: true });
  });

  it('takes settings from the file and keeps the defaults of the others', () => {
    const config = loadConfig({ file: file('mesh: {trustDomain: corp.example, peerAuthentication: false}\n') });
    expect(config.mesh).toEqual({ enabled: true, trustDomain: 'corp.example', defaultEgressHosts: ['istio-system/*'], peerAuthentication: false });
  });

  it.each([
    ['mesh: {enabled: sometimes}\n', 'invalid configuration: mesh.enabled: must be boolean'],
    ['mesh: {defaultEgressHosts: [registry.example.com]}\n', 'invalid configuration: mesh.defaultEgressHosts.0: must match pattern "^[^/\\s]+/[^/\\s]+$"'],
    ['mesh: {trustDomain: "spiffe://x"}\n', 'invalid configuration: mesh.trustDomain: must match pattern "^[A-Za-z0-9][-A-Za-z0-9.]*$"'],
    ['mesh: {sidecars: true}\n', 'invalid configuration: mesh: unknown setting "sidecars"'],
  ])('rejects %j', (content, message) => {
    expect(() => loadConfig({ file: file(content) })).toThrow(message);
  });
});
