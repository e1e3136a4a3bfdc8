import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../../../src/api/types.js';
import {
  condition,
  isReady,
  MAX_MESSAGE_LENGTH,
  mergeConditions,
  progressConditions,
  readyCondition,
  sortConditions,
  statusNeedsUpdate,
} from '../../../src/planner/conditions.js';

const EARLIER = '2025-01-01T00:00:00Z';
const NOW = '2025-01-02T00:00:00Z';
const at = (c: Condition, lastTransitionTime: string): Condition => ({ ...c, lastTransitionTime });

describe('condition', () => {
  it('omits observedGeneration when unknown', () => {
    expect(condition('Accepted', 'True', 'Accepted', 'ok')).toEqual({ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'ok' });
    expect(condition('Accepted', 'True', 'Accepted', 'ok', 2).observedGeneration).toBe(2);
  });

  it('cuts messages to what the API server accepts', () => {
    const message = condition('Accepted', 'False', 'InvalidSpec', 'x'.repeat(MAX_MESSAGE_LENGTH + 10)).message;
    expect(message).toHaveLength(MAX_MESSAGE_LENGTH);
    expect(message.endsWith('...')).toBe(true);
  });
});

describe('mergeConditions', () => {
  const acceptedTrue = condition('Accepted', 'True', 'Accepted', 'ok', 1);
  const acceptedFalse = condition('Accepted', 'False', 'InvalidSpec', 'bad', 2);
  const programmed = at(condition('Programmed', 'True', 'Programmed', 'written', 1), EARLIER);

  it.each([
    ['a new condition', [], [acceptedTrue], [at(acceptedTrue, NOW)]],
    ['an unchanged status keeps its time', [at(acceptedTrue, EARLIER)], [{ ...acceptedTrue, message: 'new text', observedGeneration: 2 }], [at({ ...acceptedTrue, message: 'new text', observedGeneration: 2 }, EARLIER)]],
    ['a changed status gets a new time', [at(acceptedTrue, EARLIER)], [acceptedFalse], [at(acceptedFalse, NOW)]],
    ['an existing condition without a time gets one', [acceptedTrue], [acceptedTrue], [at(acceptedTrue, NOW)]],
    ['other types stay, in the canonical order', [programmed], [acceptedTrue], [at(acceptedTrue, NOW), programmed]],
  ])('%s', (_case, existing, updates, expected) => {
    expect(mergeConditions(existing, updates, NOW)).toEqual(expected);
  });

  it('drops the removed types', () => {
    const stalled = at(condition('Stalled', 'True', 'Conflict', 'taken', 1), EARLIER);
    expect(mergeConditions([stalled, programmed], [acceptedTrue], NOW, ['Stalled'])).toEqual([at(acceptedTrue, NOW), programmed]);
  });
});

describe('progressConditions', () => {
  const accepted = condition('Accepted', 'True', 'Accepted', 'ok', 3);
  const programmed = condition('Programmed', 'True', 'Programmed', 'written', 3);
  const refused = condition('Programmed', 'False', 'ApplyFailed', 'writing NetworkPolicy x: forbidden', 3);

  it.each([
    ['programmed: neither', [accepted, programmed], false, []],
    ['an invalid spec: Stalled with its reason', [condition('Accepted', 'False', 'InvalidSpec', 'the spec is invalid: spec.app: required', 3)], false, [['Stalled', 'InvalidSpec', 'the spec is invalid: spec.app: required']]],
    ['a conflict: Stalled', [accepted, condition('Programmed', 'False', 'Conflict', 'already exists', 3)], false, [['Stalled', 'Conflict', 'already exists']]],
    ['a refused write: Stalled', [accepted, refused], false, [['Stalled', 'ApplyFailed', 'writing NetworkPolicy x: forbidden']]],
    ['a write being retried: Reconciling', [accepted, refused], true, [['Reconciling', 'ApplyFailed', 'retrying: writing NetworkPolicy x: forbidden']]],
    ['not written yet: Reconciling', [accepted], false, [['Reconciling', 'Reconciling', 'generation 3 is not programmed yet']]],
  ] as const)('%s', (_case, conditions, retrying, expected) => {
    const result = progressConditions(conditions, 3, retrying);
    expect(result.map((c) => [c.type, c.reason, c.message])).toEqual(expected);
    expect(result.every((c) => c.status === 'True' && c.observedGeneration === 3)).toBe(true);
  });
});

describe('sortConditions', () => {
  it('orders Accepted, ResolvedRefs, Programmed, Enforced, Ready', () => {
    const types = ['Ready', 'Enforced', 'Programmed', 'ResolvedRefs', 'Accepted'] as const;
    const sorted = sortConditions(types.map((t) => condition(t, 'True', t, '')));
    expect(sorted.map((c) => c.type)).toEqual([...types].reverse());
  });
});

describe('readyCondition', () => {
  const accepted = condition('Accepted', 'True', 'Accepted', 'ok', 3);
  const programmed = condition('Programmed', 'True', 'Programmed', 'written', 3);

  it.each([
    ['both True for the generation', [accepted, programmed], 3, ['True', 'Ready']],
    ['Accepted False', [condition('Accepted', 'False', 'InvalidSpec', 'bad', 3), programmed], 3, ['False', 'InvalidSpec']],
    ['Programmed False', [accepted, condition('Programmed', 'False', 'ApplyFailed', 'forbidden', 3)], 3, ['False', 'ApplyFailed']],
    ['Programmed Unknown', [accepted, condition('Programmed', 'Unknown', 'Conflict', 'retrying', 3)], 3, ['Unknown', 'Conflict']],
    ['Programmed missing', [accepted], 3, ['Unknown', 'Reconciling']],
    ['Accepted for an older generation', [accepted, programmed], 4, ['Unknown', 'Reconciling']],
  ] as const)('%s', (_case, conditions, generation, [status, reason]) => {
    const ready = readyCondition(conditions, generation);
    expect([ready.status, ready.reason]).toEqual([status, reason]);
    expect(ready.observedGeneration).toBe(generation);
  });

  it('names what holds it back', () => {
    expect(readyCondition([condition('Accepted', 'False', 'InvalidSpec', 'spec.app: required', 1)], 1).message).toBe(
      'Accepted is False: spec.app: required',
    );
  });
});

describe('statusNeedsUpdate', () => {
  const a = at(condition('Accepted', 'True', 'Accepted', 'ok', 1), EARLIER);
  const p = at(condition('Programmed', 'True', 'Programmed', 'written', 1), EARLIER);

  it.each([
    ['nothing written yet', undefined, { observedGeneration: 1, conditions: [a] }, true],
    ['identical', { observedGeneration: 1, conditions: [a, p] }, { observedGeneration: 1, conditions: [a, p] }, false],
    ['same conditions in another order', { observedGeneration: 1, conditions: [p, a] }, { observedGeneration: 1, conditions: [a, p] }, false],
    ['new generation', { observedGeneration: 1, conditions: [a] }, { observedGeneration: 2, conditions: [a] }, true],
    ['message changed', { observedGeneration: 1, conditions: [a] }, { observedGeneration: 1, conditions: [{ ...a, message: 'other' }] }, true],
    ['time changed', { observedGeneration: 1, conditions: [a] }, { observedGeneration: 1, conditions: [at(a, NOW)] }, true],
    ['condition added', { observedGeneration: 1, conditions: [a] }, { observedGeneration: 1, conditions: [a, p] }, true],
    ['condition removed', { observedGeneration: 1, conditions: [a, p] }, { observedGeneration: 1, conditions: [a] }, true],
  ])('%s', (_case, current, desired, expected) => {
    expect(statusNeedsUpdate(current, desired)).toBe(expected);
  });
});

describe('isReady', () => {
  const ready = (status: 'True' | 'False', observedGeneration: number) => ({ type: 'Ready' as const, status, reason: 'Ready', message: '', observedGeneration, lastTransitionTime: '2026-01-01T00:00:00Z' });
  it('is true only for a True Ready condition of the current generation', () => {
    expect(isReady({ metadata: { generation: 2 }, status: { conditions: [ready('True', 2)] } })).toBe(true);
    expect(isReady({ metadata: { generation: 3 }, status: { conditions: [ready('True', 2)] } })).toBe(false);
    expect(isReady({ metadata: { generation: 2 }, status: { conditions: [ready('False', 2)] } })).toBe(false);
    expect(isReady({ metadata: { generation: 1 } })).toBe(false);
  });
});
