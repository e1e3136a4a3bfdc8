import { describe, expect, it } from '@jest/globals';
import { compileSelector } from '../../../src/reachability/selectors.js';

describe('label selectors (apimachinery semantics)', () => {
  it('matches everything when empty', () => {
    expect(compileSelector({}).matches({})).toBe(true);
    expect(compileSelector({ matchLabels: {}, matchExpressions: [] }).matchesAll).toBe(true);
  });

  it('NotIn and DoesNotExist match objects without the key; In and Exists do not', () => {
    expect(compileSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }).matches({ pod: 'a' })).toBe(true);
    expect(compileSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }).matches({ tier: 'web' })).toBe(false);
    expect(compileSelector({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }).matches({ pod: 'a' })).toBe(true);
    expect(compileSelector({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }).matches({ pod: 'a' })).toBe(false);
    expect(compileSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }).matches({ tier: '' })).toBe(true);
  });

  it('ANDs matchLabels and matchExpressions', () => {
    const selector = compileSelector({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'db'] }] });
    expect(selector.matches({ app: 'x', tier: 'db' })).toBe(true);
    expect(selector.matches({ app: 'x' })).toBe(false);
    expect(selector.matches({ app: 'y', tier: 'db' })).toBe(false);
  });

  it('selects nothing with an operator the API server would reject', () => {
    expect(compileSelector({ matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] }).matches({ tier: '2' })).toBe(false);
  });
});
