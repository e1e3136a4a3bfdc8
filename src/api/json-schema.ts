/**
 * Turns a CRD's OpenAPI schema into the JSON Schema ajv understands, following the API server's own
 * reading: int-or-string is "integer or string", objects with properties reject unknown fields (strict
 * field validation, kubectl's default) unless they preserve them, and x-kubernetes-* extensions, which
 * ajv does not know, are left out (CEL rules are evaluated separately).
 */
import type { OpenAPISchema } from './openapi-schema.js';

export type JSONSchema = Record<string, unknown>;

const COPIED = [
  'type', 'required', 'enum', 'default', 'format', 'pattern', 'minimum', 'maximum', 'maxLength', 'maxItems', 'maxProperties',
] as const;

export function toJSONSchema(schema: OpenAPISchema): JSONSchema {
  const out: JSONSchema = {};
  for (const key of COPIED) if (schema[key] !== undefined) out[key] = schema[key];
  if (schema['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
  else if (schema.anyOf) out.anyOf = schema.anyOf.map(toJSONSchema);
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, toJSONSchema(v)]));
  }
  if (schema.additionalProperties) out.additionalProperties = toJSONSchema(schema.additionalProperties);
  else if (schema.properties && !schema['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  if (schema.items) out.items = toJSONSchema(schema.items);
  return out;
}
