import { describe, expect, it } from '@jest/globals';
import { DEFAULT_CF_API_CONFIG, guidSourceOf, loadCfApiConfig } from '../../../src/cfapi/config.js';
import { ConfigError } from '../../../src/config/operator-config.js';

describe('cf-api configuration', () => {
  it('defaults: quota 150, cleanup every 60 minutes, GUID = Kf App uid', () => {
    const config = loadCfApiConfig({ flags: { tlsCertFile: '/tls/tls.crt', tlsKeyFile: '/tls/tls.key' } });
    expect(config).toEqual({ ...DEFAULT_CF_API_CONFIG, tlsCertFile: '/tls/tls.crt', tlsKeyFile: '/tls/tls.key' });
    expect(config).toMatchObject({ quota: 150, cleanupIntervalMinutes: 60 });
    expect(guidSourceOf(config)).toEqual({ kind: 'kf-app-uid' });
  });

  it('flags override, numbers are coerced, a pod label selects pod GUIDs', () => {
    const config = loadCfApiConfig({ flags: { quota: '10', cleanupIntervalMinutes: '5', appGuidLabel: 'cloudfoundry.org/app_guid', listenAddress: '127.0.0.1:9000', plainHttp: true } });
    expect(config).toMatchObject({ quota: 10, cleanupIntervalMinutes: 5, listenAddress: '127.0.0.1:9000', plainHttp: true });
    expect(guidSourceOf(config)).toEqual({ kind: 'pod-label', label: 'cloudfoundry.org/app_guid' });
  });

  it.each([
    [{ quota: '0' }, 'invalid configuration: quota: must be >= 1'],
    [{ quota: 'many' }, 'invalid configuration: quota: must be integer'],
    [{ listenAddress: 'nowhere' }, 'invalid configuration: listenAddress: must match pattern "^[^:]*:[0-9]{1,5}$"'],
    [{ cleanupIntervalMinutes: '0' }, 'invalid configuration: cleanupIntervalMinutes: must be >= 1'],
    [{ plainHttp: 'maybe' }, 'invalid configuration: plainHttp: must be boolean'],
  ])('%j is refused', (flags, message) => {
    expect(() => loadCfApiConfig({ flags })).toThrow(new ConfigError(message));
  });

  it('serves plain HTTP only when asked for, from a flag, the environment or a file', () => {
    expect(() => loadCfApiConfig({})).toThrow('the CF API serves HTTPS: give tlsCertFile and tlsKeyFile');
    expect(loadCfApiConfig({ flags: { plainHttp: 'true' } }).plainHttp).toBe(true);
    expect(() => loadCfApiConfig({ flags: { plainHttp: 'false' } })).toThrow('the CF API serves HTTPS');
  });
});
