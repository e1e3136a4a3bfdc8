import { describe, expect, it } from '@jest/globals';
import { isUpToDate, normalize } from '../../../src/runtime/apply.js';
import type { KubeObject } from '../../../src/runtime/kube-client.js';

const desired: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'p', namespace: 'n', labels: { a: '1' }, ownerReferences: [{ apiVersion: 'x/v1', kind: 'X', name: 'o', uid: 'u1', controller: true }] },
  spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress', 'Egress'], egress: [] },
};

const live = (patch: Partial<KubeObject>): KubeObject => ({
  ...desired,
  metadata: { ...desired.metadata, resourceVersion: '7', labels: { a: '1', other: 'x' }, managedFields: [] },
  spec: { podSelector: {}, ingress: [{}], policyTypes: ['Ingress', 'Egress'] },
  status: {},
  ...patch,
});

describe('isUpToDate', () => {
  it.each([
    ['the same object as the server stores it', live({}), true],
    ['nothing there yet', undefined, false],
    ['a rule added by hand', live({ spec: { podSelector: {}, ingress: [{}, { from: [] }], policyTypes: ['Ingress', 'Egress'] } }), false],
    ['PermitAll turned into DenyAll', live({ spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] } }), false],
    ['a label of ours changed', live({ metadata: { name: 'p', labels: { a: '2' }, ownerReferences: desired.metadata!.ownerReferences } }), false],
    ['our owner reference removed', live({ metadata: { name: 'p', labels: { a: '1' } } }), false],
    ['a selector label added by hand', live({ spec: { podSelector: { matchLabels: { x: 'y' } }, ingress: [{}], policyTypes: ['Ingress', 'Egress'] } }), false],
  ])('%s', (_, current, expected) => {
    expect(isUpToDate(desired, current)).toBe(expected);
  });
});

describe('normalize', () => {
  it('drops empty fields the API server would drop but keeps empty rules', () => {
    expect(normalize({ a: [], b: {}, c: null, d: [{}], e: { f: [] } })).toEqual({ d: [{}] });
  });
});
