/**
 * The subset of a CustomResourceDefinition's openAPIV3Schema that appnetpol writes. Keys keep their
 * Kubernetes spelling so an object literal serialises straight into a CRD.
 */

export interface ValidationRule {
  /** CEL expression evaluated with `self` bound to the value at this schema node. */
  rule: string;
  /** Shown to the user verbatim after the field path. */
  message: string;
  /** Reports the failure on this field below the node instead of on the node itself, e.g. `.except`. */
  fieldPath?: string;
}

export interface OpenAPISchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean';
  description?: string;
  properties?: Record<string, OpenAPISchema>;
  additionalProperties?: OpenAPISchema;
  items?: OpenAPISchema;
  required?: string[];
  enum?: string[];
  default?: unknown;
  format?: 'date-time' | 'int64';
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  anyOf?: OpenAPISchema[];
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}
