/**
 * Validates an object against a CRD schema the way kube-apiserver does: OpenAPI checks first (ajv),
 * then, unless one of those errors is blocking, every x-kubernetes-validations rule (CEL) at its place.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { compileRule, toCelValue } from './cel.js';
import { toJSONSchema } from './json-schema.js';
import type { OpenAPISchema, ValidationRule } from './openapi-schema.js';
import { isBlocking, RULES_NOT_CHECKED, type ValidationIssue } from './validation-issue.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function newAjv(): Ajv {
  // validateSchema off: the schema is checked against the meta-schema in a unit test, not at every start.
  // optimize off: compiling takes a third less time, and the code it makes is as fast for objects this small.
  // strict off: OpenAPI puts string and number keywords side by side on int-or-string fields.
  // verbose: errors carry the offending value, which the API server echoes.
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true, validateSchema: false, code: { optimize: false } });
  ajv.addFormat('int64', { type: 'number', validate: Number.isSafeInteger });
  ajv.addFormat('date-time', (text: string) => RFC3339.test(text) && !Number.isNaN(Date.parse(text)));
  return ajv;
}

type Scalar = string | number | boolean | null;

function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Kubernetes field path of a JSON pointer into `data`: list indices in brackets, everything else dotted. */
function fieldPathOf(pointer: string, data: unknown): string {
  let path = '';
  let node = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = Array.isArray(node) ? `${path}[${key}]` : childPath(path, key);
    node = (node as Record<string, unknown> | undefined)?.[key];
  }
  return path;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function scalarOrOmitted(value: unknown): Scalar | undefined {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value as Scalar;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Words each ajv error the way kube-openapi and the apiextensions server word the same failure. */
function issueFromAjv(error: ErrorObject, data: unknown): ValidationIssue {
  const path = fieldPathOf(error.instancePath, data);
  const value = error.data;
  const params = error.params as Record<string, unknown>;
  const inBody = `${path} in body`;
  switch (error.keyword) {
    case 'required':
      return { path: childPath(path, String(params.missingProperty)), kind: 'Required', message: '' };
    case 'additionalProperties':
      return { path: childPath(path, String(params.additionalProperty)), kind: 'UnknownField', message: '' };
    case 'type': {
      const expected = ([] as string[]).concat(params.type as string | string[]).join(',');
      const actual = jsonTypeOf(value);
      return { path, kind: 'TypeInvalid', value: actual, message: `${inBody} must be of type ${expected}: "${actual}"` };
    }
    case 'format':
      return {
        path,
        kind: 'TypeInvalid',
        value: scalarOrOmitted(value),
        message: `${inBody} must be of type ${String(params.format)}: ${JSON.stringify(value)}`,
      };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { path, kind: 'Unsupported', value: scalarOrOmitted(value), message: `supported values: ${allowed}` };
    }
    case 'maxLength':
      return { path, kind: 'TooLong', message: `may not be more than ${plural(Number(params.limit), 'byte')}` };
    case 'maxItems':
    case 'maxProperties': {
      const count = Array.isArray(value) ? value.length : Object.keys(value as object).length;
      return { path, kind: 'TooMany', value: count, message: `must have at most ${plural(Number(params.limit), 'item')}` };
    }
    case 'pattern':
      return { path, kind: 'Invalid', value: scalarOrOmitted(value), message: `${inBody} should match '${String(params.pattern)}'` };
    case 'minimum':
      return { path, kind: 'Invalid', value: scalarOrOmitted(value), message: `${inBody} should be greater than or equal to ${String(params.limit)}` };
    case 'maximum':
      return { path, kind: 'Invalid', value: scalarOrOmitted(value), message: `${inBody} should be less than or equal to ${String(params.limit)}` };
    default:
      return { path, kind: 'Invalid', value: scalarOrOmitted(value), message: `${inBody} ${error.message ?? 'is invalid'}` };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function evaluateRule(rule: ValidationRule, schema: OpenAPISchema, self: unknown, path: string): ValidationIssue | undefined {
  let passed: unknown;
  try {
    passed = compileRule(rule.rule)({ self });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { path, kind: 'Invalid', value: schema.type ?? '', message: `${reason} evaluating rule: ${rule.message}` };
  }
  if (passed === true) return undefined;
  const target = rule.fieldPath ? rule.fieldPath.split('.').filter(Boolean).reduce(childPath, path) : path;
  // Like the API server, echo scalar values but not whole objects or lists.
  return { path: target, kind: 'Invalid', value: scalarOrOmitted(self), message: rule.message };
}

/** Evaluates the rules of `schema` on `self`, then descends, as the API server's CEL validator walks. */
function evaluateRules(schema: OpenAPISchema, self: unknown, path: string, issues: ValidationIssue[]): void {
  if (self === undefined || self === null) return;
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const issue = evaluateRule(rule, schema, self, path);
    if (issue) issues.push(issue);
  }
  if (Array.isArray(self) && schema.items) {
    self.forEach((item, i) => evaluateRules(schema.items!, item, `${path}[${i}]`, issues));
  } else if (isPlainObject(self)) {
    for (const [key, value] of Object.entries(self)) {
      const property = schema.properties?.[key];
      if (property) evaluateRules(property, value, childPath(path, key), issues);
      else if (schema.additionalProperties) evaluateRules(schema.additionalProperties, value, `${path}[${key}]`, issues);
    }
  }
}

function compileAllRules(schema: OpenAPISchema): void {
  for (const rule of schema['x-kubernetes-validations'] ?? []) compileRule(rule.rule);
  for (const child of [...Object.values(schema.properties ?? {}), schema.items, schema.additionalProperties]) {
    if (child) compileAllRules(child);
  }
}

export type SchemaValidator = (obj: unknown) => ValidationIssue[];

/** Compiles `schema` once (ajv and every CEL rule); the returned function does not modify its argument. */
export function createSchemaValidator(schema: OpenAPISchema): SchemaValidator {
  const validate: ValidateFunction = newAjv().compile(toJSONSchema(schema));
  compileAllRules(schema);
  return (obj) => {
    const defaulted = structuredClone(obj); // ajv applies defaults in place, as the API server does before validating
    validate(defaulted);
    const issues = (validate.errors ?? []).map((error) => issueFromAjv(error, defaulted));
    if (issues.some(isBlocking)) return [...issues, RULES_NOT_CHECKED];
    evaluateRules(schema, toCelValue(defaulted), '', issues);
    return issues;
  };
}
