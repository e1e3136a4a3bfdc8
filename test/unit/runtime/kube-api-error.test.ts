import { describe, expect, it } from '@jest/globals';
import { isRefusal, KubeApiError } from '../../../src/runtime/kube-client.js';

const apiError = (status: number, reason: string) => new KubeApiError(status, reason, `${reason}`, 'POST', '/apis/networking.k8s.io/v1/namespaces/x/networkpolicies');

describe('isRefusal', () => {
  it.each([
    [403, 'Forbidden', true],
    [422, 'Invalid', true],
    [400, 'BadRequest', true],
    [409, 'Conflict', false],
    [429, 'TooManyRequests', false],
    [500, 'InternalError', false],
    [503, 'ServiceUnavailable', false],
    [504, 'Timeout', false],
  ])('%i %s: %s', (status, reason, refused) => {
    expect(isRefusal(apiError(status, reason))).toBe(refused);
  });

  it('does not take a network error for a refusal', () => {
    expect(isRefusal(new Error('connect ECONNREFUSED 127.0.0.1:6443'))).toBe(false);
  });
});
