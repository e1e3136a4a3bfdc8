import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../../../src/api/types.js';
import { condition } from '../../../src/planner/conditions.js';
import { withMeshConditions, type MeshResult } from '../../../src/planner/mesh-conditions.js';

const GENERATION = 2;
const networkPolicyConditions: Condition[] = [
  condition('Accepted', 'True', 'Accepted', 'the spec is valid and every entity is known', GENERATION),
  condition('ResolvedRefs', 'True', 'ResolvedRefs', 'the app and every referenced app and space exist', GENERATION),
  condition('Enforced', 'Unknown', 'NoEnforcingDataplaneDetected', 'no NetworkPolicy-enforcing CNI was found', GENERATION),
  condition('Programmed', 'True', 'Programmed', 'NetworkPolicy appnetpol-web is current', GENERATION),
];

function result(overrides: Partial<MeshResult> = {}): MeshResult {
  return {
    generation: GENERATION,
    objects: ['Sidecar appnetpol-web', 'AuthorizationPolicy appnetpol-web'],
    notes: [],
    missingServiceAccounts: [],
    injection: { pods: 2, withoutSidecar: [] },
    writeProblems: [],
    ...overrides,
  };
}

function byType(conditions: Condition[] | undefined, type: string): Condition {
  return conditions!.find((c) => c.type === type)!;
}

describe('withMeshConditions', () => {
  it('changes nothing without a mesh view', () => {
    expect(withMeshConditions(networkPolicyConditions, GENERATION, undefined)).toEqual(networkPolicyConditions);
  });

  it('says why mesh output is off in Enforced and leaves Programmed to the NetworkPolicy', () => {
    const conditions = withMeshConditions(networkPolicyConditions, GENERATION, { mode: { on: false, reason: 'the Istio CRDs sidecars.networking.istio.io are not installed' } });
    expect(byType(conditions, 'Enforced')).toMatchObject({
      status: 'Unknown',
      message: 'no NetworkPolicy-enforcing CNI was found. Mesh output is off: the Istio CRDs sidecars.networking.istio.io are not installed',
    });
    expect(byType(conditions, 'Programmed')).toEqual(byType(networkPolicyConditions, 'Programmed'));
  });

  it('has nothing to write until the mesh result of this generation is published', () => {
    for (const pending of [undefined, result({ generation: 1 })]) {
      expect(withMeshConditions(networkPolicyConditions, GENERATION, { mode: { on: true }, result: pending })).toBeUndefined();
    }
  });

  it('names the mesh objects and what they leave out when written', () => {
    const conditions = withMeshConditions(networkPolicyConditions, GENERATION, { mode: { on: true }, result: result({ notes: ['ingress rule "x": selector peers cannot be named as Istio sources'] }) });
    expect(byType(conditions, 'Programmed')).toMatchObject({
      status: 'True',
      message:
        'NetworkPolicy appnetpol-web is current; Sidecar appnetpol-web, AuthorizationPolicy appnetpol-web current. Not in the mesh objects: ingress rule "x": selector peers cannot be named as Istio sources',
    });
  });

  it('reports a mesh write failure in Programmed', () => {
    const writeProblems = [{ reason: 'Conflict', message: 'Sidecar shop/appnetpol-web already exists and is not managed by appnetpol; rename or remove it', retrying: false }];
    const conditions = withMeshConditions(networkPolicyConditions, GENERATION, { mode: { on: true }, result: result({ writeProblems }) });
    expect(byType(conditions, 'Programmed')).toMatchObject({ status: 'False', reason: 'Conflict', message: writeProblems[0].message });
  });

  it('reports sources without a known service account in ResolvedRefs', () => {
    const conditions = withMeshConditions(networkPolicyConditions, GENERATION, { mode: { on: true }, result: result({ missingServiceAccounts: ['billing/ghost'] }) });
    expect(byType(conditions, 'ResolvedRefs')).toMatchObject({ status: 'False', reason: 'ServiceAccountNotFound' });
    expect(byType(conditions, 'ResolvedRefs').message).toContain('the service account of billing/ghost is not known');

    const alreadyFalse = networkPolicyConditions.map((c) => (c.type === 'ResolvedRefs' ? condition('ResolvedRefs', 'False', 'AppNotFound', 'app billing/ghost not found (ingress[0]).', GENERATION) : c));
    const combined = byType(withMeshConditions(alreadyFalse, GENERATION, { mode: { on: true }, result: result({ missingServiceAccounts: ['billing/ghost'] }) }), 'ResolvedRefs');
    expect(combined).toMatchObject({ status: 'False', reason: 'AppNotFound' });
    expect(combined.message).toMatch(/^app billing\/ghost not found \(ingress\[0\]\)\. Also, the service account of billing\/ghost is not known/);
  });

  it.each([
    [{ pods: 0, withoutSidecar: [] }, 'Unknown', 'NoPodsObserved'],
    [{ pods: 2, withoutSidecar: ['web-1'] }, 'False', 'SidecarsNotInjected'],
    [{ pods: 2, withoutSidecar: [] }, 'True', 'Enforced'],
  ])('Enforced for pods %j is %s (%s)', (injection, status, reason) => {
    const enforced = byType(withMeshConditions(networkPolicyConditions, GENERATION, { mode: { on: true }, result: result({ injection }) }), 'Enforced');
    expect(enforced).toMatchObject({ status, reason, observedGeneration: GENERATION });
    expect(enforced.message).toContain('NetworkPolicy: no NetworkPolicy-enforcing CNI was found');
  });
});
