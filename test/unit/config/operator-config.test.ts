import { describe, expect, it } from '@jest/globals';
import { configFile as file } from './config-file.js';
import { DEFAULT_CONFIG, loadConfig } from '../../../src/config/operator-config.js';

describe('loadConfig', () => {
  it('layers defaults, file, environment and flags', () => {
    const config = loadConfig({
      file: file('concurrency: 8\nresyncSeconds: 120\nlogLevel: debug\n'),
      env: { APPNETPOL_CONCURRENCY: '6', APPNETPOL_LOG_LEVEL: 'warn' },
      flags: { concurrency: '3' },
    });
    expect(config).toEqual({ ...DEFAULT_CONFIG, concurrency: 3, resyncSeconds: 120, logLevel: 'warn' });
  });

  it('takes the API client settings from file, environment and flags', () => {
    expect(loadConfig({})).toMatchObject({ kubeApiQps: 500, kubeApiBurst: 1000, kubeApiTimeoutSeconds: 30 });
    const config = loadConfig({ file: file('kubeApiQps: 50\n'), env: { APPNETPOL_KUBE_API_BURST: '80' }, flags: { kubeApiTimeoutSeconds: '5' } });
    expect(config).toMatchObject({ kubeApiQps: 50, kubeApiBurst: 80, kubeApiTimeoutSeconds: 5 });
  });

  it('overrides one entity and keeps the others', () => {
    const config = loadConfig({ file: file('entities:\n  dns:\n    namespace: dns-system\n    podSelector: {matchLabels: {app: coredns}}\n') });
    expect(config.entities.dns.namespace).toBe('dns-system');
    expect(config.entities.meshControlPlane).toEqual(DEFAULT_CONFIG.entities.meshControlPlane);
  });

  it('turns essentials on by default and takes build egress from the file', () => {
    expect(loadConfig({}).essentials).toEqual({ enabled: true, buildEgress: [] });
    const config = loadConfig({ file: file('essentials:\n  buildEgress:\n  - {cidr: 10.20.0.0/16, ports: [{port: 443}]}\n') });
    expect(config.essentials).toEqual({ enabled: true, buildEgress: [{ cidr: '10.20.0.0/16', ports: [{ port: 443 }] }] });
    expect(loadConfig({ file: file('essentials: {enabled: false}\n') }).essentials).toEqual({ enabled: false, buildEgress: [] });
  });

  it.each([
    [{ file: file('essentials: {enabled: maybe}\n') }, 'invalid configuration: essentials.enabled: must be boolean'],
    [{ file: file('essentials: {buildEgress: [{cidr: registry.example.com}]}\n') }, 'invalid configuration: essentials.buildEgress.0.cidr: "registry.example.com" is not a CIDR such as 10.20.0.0/16'],
    [{ file: file('entities: {clusterCIDRs: [10.0.0.0/8, 10.300.0.0/16]}\n') }, 'invalid configuration: entities.clusterCIDRs.1: "10.300.0.0/16" is not a CIDR such as 10.20.0.0/16'],
    [{ file: file('entities: {clusterDomain: Cluster.Local.}\n') }, 'invalid configuration: entities.clusterDomain: must match pattern'],
    [{ file: file('essentials: {buildEgress: [{ports: [{port: 443}]}]}\n') }, "invalid configuration: essentials.buildEgress.0: must have required property 'cidr'"],
    [{ flags: { concurrency: 'many' } }, 'invalid configuration: concurrency: must be integer'],
    [{ flags: { concurrency: '0' } }, 'invalid configuration: concurrency: must be >= 1'],
    [{ env: { APPNETPOL_LOG_LEVEL: 'loud' } }, 'invalid configuration: logLevel: must be one of fatal, error, warn, info, debug, trace'],
    [{ file: file('concurency: 3\n') }, 'invalid configuration: (top level): unknown setting "concurency"'],
    [{ file: file('- a\n- b\n') }, 'must hold a mapping of settings'],
    [{ file: file('a: [\n') }, 'is not valid YAML'],
    [{ file: '/nonexistent/appnetpol.yaml' }, 'cannot read config file /nonexistent/appnetpol.yaml: ENOENT'],
    [{ flags: { healthAddress: 'localhost' } }, 'invalid configuration: healthAddress: must match pattern'],
    [{ flags: { kubeApiQps: '-1' } }, 'invalid configuration: kubeApiQps: must be >= 0'],
    [{ env: { APPNETPOL_KUBE_API_BURST: '0' } }, 'invalid configuration: kubeApiBurst: must be >= 1'],
    [{ flags: { kubeApiTimeoutSeconds: '1h' } }, 'invalid configuration: kubeApiTimeoutSeconds: must be integer'],
  ])('rejects %j with a message that says what is wrong', (sources, message) => {
    expect(() => loadConfig(sources)).toThrow(message);
  });
});
