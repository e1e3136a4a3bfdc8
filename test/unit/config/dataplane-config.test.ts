import { describe, expect, it } from '@jest/globals';
import { configFile as file } from './config-file.js';
import { loadConfig } from '../../../src/config/operator-config.js';

describe('dataplane configuration', () => {
  it('detects by default, with no additional dataplanes', () => {
    expect(loadConfig({}).dataplane).toEqual({ enforcement: 'detect', additional: [] });
  });

  it('takes an override and additional dataplanes from the file', () => {
    const config = loadConfig({
      file: file('dataplane:\n  enforcement: not-enforced\n  additional:\n  - {name: Acme CNI, namespace: acme-net, daemonSet: acme-agent, evidence: {container: policy, arg: --policy}}\n'),
    });
    expect(config.dataplane).toEqual({
      enforcement: 'not-enforced',
      additional: [{ name: 'Acme CNI', namespace: 'acme-net', daemonSet: 'acme-agent', evidence: { container: 'policy', arg: '--policy' } }],
    });
  });

  it.each([
    ['dataplane: {enforcement: yes}\n', 'invalid configuration: dataplane.enforcement: must be one of detect, enforced, not-enforced'],
    ['dataplane: {additional: [{name: Acme, namespace: acme-net}]}\n', "invalid configuration: dataplane.additional.0: must have required property 'daemonSet'"],
    ['dataplane: {additional: [{name: Acme, namespace: n, daemonSet: d, evidence: {arg: --x}}]}\n', "invalid configuration: dataplane.additional.0.evidence: must have required property 'container'"],
    ['dataplane: {detect: false}\n', 'invalid configuration: dataplane: unknown setting "detect"'],
  ])('rejects %j', (content, message) => {
    expect(() => loadConfig({ file: file(content) })).toThrow(message);
  });
});
