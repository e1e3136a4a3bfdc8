import { describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import { appNetworkPolicySchema } from '../../../src/api/appnetworkpolicy-schema.js';
import { toJSONSchema } from '../../../src/api/json-schema.js';
import { CF_API_CONFIG_SCHEMA } from '../../../src/cfapi/config.js';
import { CONFIG_SCHEMA } from '../../../src/config/operator-config.js';

// The processes compile these without checking them against the meta-schema (that costs start-up time), so it happens here.
describe('JSON schemas compiled at run time', () => {
  it.each([
    ['AppNetworkPolicy (from the CRD schema)', toJSONSchema(appNetworkPolicySchema)],
    ['operator configuration', CONFIG_SCHEMA],
    ['cf-api configuration', CF_API_CONFIG_SCHEMA],
  ])('the %s schema is valid JSON Schema', (_name, schema) => {
    const ajv = new Ajv({ strict: false });
    expect(ajv.validateSchema(schema as object)).toBe(true);
    expect(ajv.errors ?? []).toEqual([]);
  });

  it('a broken schema is caught', () => {
    const ajv = new Ajv({ strict: false });
    expect(ajv.validateSchema({ type: 'object', properties: { port: { type: 'port' } } })).toBe(false);
  });
});
