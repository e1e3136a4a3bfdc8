import { describe, expect, it } from '@jest/globals';
import { SharedValues, shareRepeatedStrings, shared } from '../../../src/runtime/shared-values.js';

describe('shared strings of cached objects', () => {
  it('keeps every value of the object it shares strings of', () => {
    const text = JSON.stringify({
      apiVersion: 'networking.kf.dev/v1alpha1',
      kind: 'AppNetworkPolicy',
      metadata: { name: 'a', creationTimestamp: '2026-12-02T10:00:00Z', labels: { app: 'a' } },
      spec: { app: 'a' },
      status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'all good', lastTransitionTime: '2026-12-02T10:00:01Z', observedGeneration: 2 }, null, 'odd'] },
    });
    const obj = JSON.parse(text);
    shareRepeatedStrings(obj);
    expect(obj).toEqual(JSON.parse(text));
  });

  it('leaves objects without conditions or type as they are', () => {
    const obj = { metadata: { name: 'x' }, status: { conditions: 'not a list' } };
    shareRepeatedStrings(obj);
    expect(obj).toEqual({ metadata: { name: 'x' }, status: { conditions: 'not a list' } });
  });

  it('hands out the first value made for a key until the pool is full, then starts again', () => {
    const pool = new SharedValues<number[]>(2);
    const first = pool.of('a', () => [1]);
    expect(pool.of('a', () => [2])).toBe(first);
    pool.of('b', () => [3]);
    expect(pool.of('a', () => [4])).toBe(first);
    pool.of('c', () => [5]);
    expect(pool.of('a', () => [6])).toEqual([6]);
  });

  it('answers the value it was given, also once its pool has started again', () => {
    for (let i = 0; i < 10_000; i++) expect(shared(`message ${i}`)).toBe(`message ${i}`);
    expect(shared('message 0')).toBe('message 0');
  });
});
