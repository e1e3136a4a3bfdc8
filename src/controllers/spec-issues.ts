/**
 * Schema and CEL validation of cached AppNetworkPolicies, once per cached object: a watch event brings
 * a new object, while resyncs and the reconciles that other objects' changes cause reuse the cached one.
 * Keyed by the spec object, which a reconcile's shallow copy of the policy shares with the cache.
 */
import type { AppNetworkPolicy } from '../api/types.js';
import { appNetworkPolicySchemaValidator, validateAppNetworkPolicy, type ValidationIssue } from '../api/validate.js';

const issuesBySpec = new WeakMap<object, ValidationIssue[]>();

/** Compiles the validator ahead of the first reconcile. */
export function prepareSpecValidation(): void {
  appNetworkPolicySchemaValidator();
}

export function specIssues(policy: AppNetworkPolicy): ValidationIssue[] {
  if (!policy.spec || typeof policy.spec !== 'object') return validateAppNetworkPolicy(policy);
  let issues = issuesBySpec.get(policy.spec);
  if (!issues) {
    // Status is the operator's own report, written through its subresource; only the user's part is checked.
    const userPart: Partial<AppNetworkPolicy> = { ...policy };
    delete userPart.status;
    issuesBySpec.set(policy.spec, (issues = validateAppNetworkPolicy(userPart)));
  }
  return issues;
}
