import { describe, expect, it } from '@jest/globals';
import { bearerToken } from '../../../src/cfapi/auth.js';

describe('bearerToken', () => {
  it.each([['Bearer abc.DEF-123_~+/='], ['bearer abc.DEF-123_~+/='], ['BEARER abc.DEF-123_~+/=']])('takes the one token of %s', (header) => {
    expect(bearerToken(header)).toBe('abc.DEF-123_~+/=');
  });

  it('401 "missing authorization header" without a header', () => {
    expect(() => bearerToken(undefined)).toThrow(expect.objectContaining({ status: 401, message: 'missing authorization header', headers: { 'www-authenticate': 'Bearer' } }));
  });

  it.each([['Bearer  '], ['Bearer  abc'], ['Bearer abc junk'], ['Bearer abc '], ['Bearer'], ['Basic YWxhZGRpbjpvcGVuc2VzYW1l'], ['Bearer a\tb'], ['Bearer =abc']])(
    '401 "failed to verify token with uaa" for %j: anything but exactly one token',
    (header) => {
      expect(() => bearerToken(header)).toThrow(expect.objectContaining({ status: 401, message: 'failed to verify token with uaa' }));
    },
  );
});
