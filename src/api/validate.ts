/** Offline validation of AppNetworkPolicy objects against the same schema the CRD carries. */
import { appNetworkPolicySchema } from './appnetworkpolicy-schema.js';
import { createSchemaValidator, type SchemaValidator } from './schema-validator.js';
import { API_VERSION, KIND } from './types.js';
import type { ValidationIssue } from './validation-issue.js';

export { formatInvalidObject, formatIssue, type IssueKind, type ValidationIssue } from './validation-issue.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

let schemaValidator: SchemaValidator | undefined;

/** What the API server checks before the schema: the type being right and the object having a name. */
function envelopeIssues(obj: Record<string, unknown>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const expect = (field: 'apiVersion' | 'kind', wanted: string) => {
    const actual = obj[field];
    if (actual === undefined) issues.push({ path: field, kind: 'Required', message: '' });
    else if (actual !== wanted) {
      const value = typeof actual === 'string' ? actual : JSON.stringify(actual);
      issues.push({ path: field, kind: 'Unsupported', value, message: `supported values: "${wanted}"` });
    }
  };
  expect('apiVersion', API_VERSION);
  expect('kind', KIND);
  const metadata = obj.metadata as Record<string, unknown> | undefined;
  const name = metadata?.name;
  if (name === undefined || name === '') {
    issues.push({ path: 'metadata.name', kind: 'Required', message: 'name or generateName is required' });
  } else if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    issues.push({
      path: 'metadata.name',
      kind: 'Invalid',
      value: typeof name === 'string' ? name : JSON.stringify(name),
      message:
        "must be a lowercase RFC 1123 subdomain: at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
    });
  }
  return issues;
}

/** The schema with its CEL rules, compiled on first use (about 0.1 s): calling it early spares the first validation. */
export function appNetworkPolicySchemaValidator(): SchemaValidator {
  return (schemaValidator ??= createSchemaValidator(appNetworkPolicySchema));
}

/** Every problem the API server would reject `obj` for, in its field-path form. Empty means valid. */
export function validateAppNetworkPolicy(obj: unknown): ValidationIssue[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return [{ path: '', kind: 'Invalid', value: null, message: 'an AppNetworkPolicy must be an object' }];
  }
  return [...envelopeIssues(obj as Record<string, unknown>), ...appNetworkPolicySchemaValidator()(obj)];
}
