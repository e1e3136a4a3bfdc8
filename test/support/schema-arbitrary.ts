/**
 * fast-check arbitraries derived from an OpenAPI schema as the CRD carries it: mostly values the schema
 * allows (enums, patterns, ranges, list bounds, the patterns of `self.matches(...)` rules, CIDRs where an
 * `isCIDR` rule asks for one), sometimes values just outside it, so that what the API server admits
 * covers the edges. Lists are kept short: the point is shapes, not sizes.
 */
import fc from 'fast-check';
import type { OpenAPISchema } from '../../src/api/openapi-schema.js';

const MAX_ITEMS = 3;
/** One value in this many is drawn from outside the schema; each spec has dozens of values. */
const OUTSIDE = 40;

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((h) => h.map((x) => x.toString(16)).join(':'));
/** CIDRs, canonical or with host bits set, IPv4 or IPv6, and a few that are none. */
export const cidrish = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([ip, bits]) => `${ip}/${bits}`) },
  { weight: 2, arbitrary: fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })).map(([ip, bits]) => `${ip}/${bits}`) },
  { weight: 1, arbitrary: fc.constantFrom('10.0.0.0/8', '0.0.0.0/0', '::/0', 'fd00::/8', '10.0.0.1', '10.0.0.0/33', '010.0.0.0/8', '::ffff:10.0.0.0/104') },
);

/** The regular expression of a `self.matches('...')` rule, if the node has one. */
function matchesRule(schema: OpenAPISchema): string | undefined {
  for (const { rule } of schema['x-kubernetes-validations'] ?? []) {
    const match = /^self\.matches\('(.*)'\)$/.exec(rule);
    if (match) return match[1];
  }
  return undefined;
}

const wantsCidr = (schema: OpenAPISchema) => (schema['x-kubernetes-validations'] ?? []).some(({ rule }) => rule.includes('isCIDR(self)'));

function stringArbitrary(schema: OpenAPISchema): fc.Arbitrary<string> {
  const maxLength = Math.min(schema.maxLength ?? 40, 70);
  const anyString = fc.string({ maxLength: maxLength + 2 });
  if (schema.enum) return fc.oneof({ weight: OUTSIDE, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: anyString });
  if (wantsCidr(schema)) return fc.oneof({ weight: OUTSIDE, arbitrary: cidrish }, { weight: 1, arbitrary: anyString });
  const pattern = schema.pattern ?? matchesRule(schema);
  if (pattern) {
    const matching = fc.stringMatching(new RegExp(pattern), { size: 'small' }).filter((s) => s.length <= (schema.maxLength ?? Infinity));
    return fc.oneof({ weight: OUTSIDE, arbitrary: matching }, { weight: 1, arbitrary: anyString });
  }
  return anyString;
}

function integerArbitrary(schema: OpenAPISchema): fc.Arbitrary<number> {
  const min = schema.minimum ?? 0;
  const max = schema.maximum ?? 100_000;
  return fc.oneof({ weight: OUTSIDE, arbitrary: fc.integer({ min, max }) }, { weight: 1, arbitrary: fc.constantFrom(min - 1, max + 1, 0, -1) });
}

/**
 * An arbitrary for values of `schema`. `overrides` replaces the arbitrary of a property by its name
 * (e.g. `except`, whose items only a rule on the parent says must be CIDRs).
 */
export function arbitraryOf(schema: OpenAPISchema, overrides: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<unknown> {
  if (schema['x-kubernetes-int-or-string']) {
    return fc.oneof({ weight: 3, arbitrary: integerArbitrary(schema) }, { weight: 1, arbitrary: stringArbitrary({ ...schema, type: 'string' }) });
  }
  switch (schema.type) {
    case 'object': {
      if (schema.properties) {
        const properties = Object.fromEntries(Object.entries(schema.properties).map(([key, child]) => [key, overrides[key] ?? arbitraryOf(child, overrides)]));
        return fc.record(properties, { requiredKeys: schema.required ?? [] });
      }
      if (schema.additionalProperties) {
        const key = fc.oneof({ weight: OUTSIDE, arbitrary: fc.stringMatching(/^([a-z0-9]+\.)?[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
        return fc.dictionary(key, arbitraryOf(schema.additionalProperties, overrides), { maxKeys: Math.min(schema.maxProperties ?? MAX_ITEMS, MAX_ITEMS) });
      }
      return fc.constant({});
    }
    case 'array':
      return fc.array(arbitraryOf(schema.items!, overrides), { maxLength: Math.min(schema.maxItems ?? MAX_ITEMS, MAX_ITEMS) });
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
      return integerArbitrary(schema);
    case 'boolean':
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/**
 * Objects of `schema` that set exactly one of `groups` (its first property required, the rest of the
 * group optional, the other groups absent), as the CEL rules of a node like a peer demand; now and then
 * any mix, which the API server must refuse.
 */
export function oneGroupOf(schema: OpenAPISchema, groups: string[][], overrides: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<unknown> {
  const grouped = new Set(groups.flat());
  const variants = groups.map((group) => {
    const properties = Object.fromEntries(Object.entries(schema.properties!).filter(([key]) => group.includes(key) || !grouped.has(key)));
    return arbitraryOf({ ...schema, properties, required: [...(schema.required ?? []), group[0]] }, overrides);
  });
  return fc.oneof(...variants.map((arbitrary) => ({ weight: OUTSIDE / 4, arbitrary })), { weight: 1, arbitrary: arbitraryOf(schema, overrides) });
}
