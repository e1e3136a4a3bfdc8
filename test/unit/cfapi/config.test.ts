import { describe, expect, it } from '@jest/globals';
import { DEFAULT_CF_API_CONFIG, guidSourceOf, loadCfApiConfig } from '../../../src/cfapi/config.js';
import { ConfigError } from '../../../src/config/operator-config.js';

describe('cf-api configuration', () => {
  it('defaults: quota 150, cleanup every 60 minutes, GUID = Kf App uid', () => {
    const config = loadCfApiConfig({});
    expect(config).toEqual(DEFAULT_CF_API_CONFIG);
    expect(config).toMatchObject({ quota: 150, cleanupIntervalMinutes: 60 });
    expect(guidSourceOf(config)).toEqual({ kind: 'kf-app-uid' });
  });

  it('flags override, numbers are coerced, a pod label selects pod GUIDs', () => {
    const config = loadCfApiConfig({ flags: { quota: '10', cleanupIntervalMinutes: '5', appGuidLabel: 'cloudfoundry.org/app_guid', listenAddress: '127.0.0.1:9000' } });
    expect(config).toMatchObject({ quota: 10, cleanupIntervalMinutes: 5, listenAddress: '127.0.0.1:9000' });
    expect(guidSourceOf(config)).toEqual({ kind: 'pod-label', label: 'cloudfoundry.org/app_guid' });
  });

  it.each([
    [{ quota: '0' }, 'invalid configuration: quota: must be >= 1'],
    [{ quota: 'many' }, 'invalid configuration: quota: must be integer'],
    [{ listenAddress: 'nowhere' }, 'invalid configuration: listenAddress: must match pattern "^[^:]*:[0-9]{1,5}$"'],
    [{ cleanupIntervalMinutes: '0' }, 'invalid configuration: cleanupIntervalMinutes: must be >= 1'],
  ])('%j is refused', (flags, message) => {
    expect(() => loadCfApiConfig({ flags })).toThrow(new ConfigError(message));
  });
});
