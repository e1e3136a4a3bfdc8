import { describe, expect, it } from '@jest/globals';
import { fitName, labelValue, MAX_NAME_LENGTH, networkPolicyName, RESERVED_NAMES, shortHash } from '../../../src/planner/names.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const long = (length: number, char = 'a') => char.repeat(length);

describe('fitName', () => {
  it.each([
    ['a short name', 'partner-api', 'partner-api'],
    ['exactly 63 characters', long(63), long(63)],
    ['64 characters', long(64), `${long(54)}-${shortHash(long(64))}`],
    ['a reserved name', 'space-app-policy', `space-app-policy-${shortHash('space-app-policy')}`],
    ['the other reserved name', 'space-build-policy', `space-build-policy-${shortHash('space-build-policy')}`],
    ['a cut that ends in a dash or dot', `${long(53)}.-${long(20)}`, `${long(53)}-${shortHash(`${long(53)}.-${long(20)}`)}`],
  ])('%s', (_case, name, expected) => {
    expect(fitName(name)).toBe(expected);
  });

  it('keeps distinct long names distinct', () => {
    expect(fitName(`${long(70)}-x`)).not.toBe(fitName(`${long(70)}-y`));
  });

  it('never returns a reserved name or more than 63 characters', () => {
    for (const name of [...RESERVED_NAMES, long(64), long(253, 'b')]) {
      const fitted = fitName(name);
      expect(RESERVED_NAMES.has(fitted)).toBe(false);
      expect(fitted.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    }
  });
});

describe('networkPolicyName', () => {
  it.each([
    ['partner-api', 'appnetpol-partner-api'],
    [long(53), `appnetpol-${long(53)}`],
    [long(54), `appnetpol-${long(44)}-${shortHash(`appnetpol-${long(54)}`)}`],
  ])('%s', (policyName, expected) => {
    expect(networkPolicyName(policyName)).toBe(expected);
    expect(networkPolicyName(policyName).length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
  });
});

describe('labelValue', () => {
  it.each([
    ['a valid value', 'partner-api', 'partner-api'],
    ['dots and underscores', 'cf_app.v2', 'cf_app.v2'],
    ['the empty value', '', ''],
    ['exactly 63 characters', long(63), long(63)],
    ['too long', long(64), `${long(54)}-${shortHash(long(64))}`],
    ['invalid characters', 'billing/backend', `billing-backend-${shortHash('billing/backend')}`],
    ['invalid edges', '-x-', `x-${shortHash('-x-')}`],
    ['nothing valid left', '///', shortHash('///')],
  ])('%s', (_case, value, expected) => {
    const result = labelValue(value);
    expect(result).toBe(expected);
    expect(result).toMatch(LABEL_VALUE);
    expect(result.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
  });
});
