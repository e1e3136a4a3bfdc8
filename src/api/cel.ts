/**
 * A CEL environment with the parts of the Kubernetes CRD validation library the schema's rules use,
 * so `x-kubernetes-validations` can be evaluated offline exactly as written.
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { CIDR, parseCIDR } from './cidr.js';

function cidrOrThrow(text: string): CIDR {
  const parsed = parseCIDR(text);
  if (!parsed) throw new Error(`network address parse error during conversion from string: ${text}`);
  return parsed;
}

const environment = new Environment()
  .registerVariable('self', 'dyn')
  .registerType('net.CIDR', CIDR)
  .registerFunction('isCIDR(string): bool', (text: string) => parseCIDR(text) !== undefined)
  .registerFunction('cidr(string): net.CIDR', cidrOrThrow)
  .registerFunction('net.CIDR.containsCIDR(string): bool', (range: CIDR, other: string) =>
    range.containsCIDR(cidrOrThrow(other)),
  )
  .registerFunction('net.CIDR.prefixLength(): int', (range: CIDR) => BigInt(range.prefixLength))
  .registerFunction('net.CIDR.masked(): net.CIDR', (range: CIDR) => range.masked())
  // distinct() of Kubernetes' list extension (ext.Lists v3), for the lists of strings the schema gives it.
  .registerFunction('list.distinct(): list', (items: unknown[]) => [...new Set(items)])
  .registerOperator('net.CIDR == net.CIDR', (a: CIDR, b: CIDR) => a.equals(b));

const compiled = new Map<string, ParseResult>();

/** Parses once per distinct rule; later calls reuse the compiled program. */
export function compileRule(rule: string): ParseResult {
  let program = compiled.get(rule);
  if (!program) {
    program = environment.parse(rule);
    compiled.set(rule, program);
  }
  return program;
}

/**
 * JSON numbers become CEL ints where they are whole, as the API server decodes integer fields.
 * Lists and maps are rebuilt in this realm: cel-js recognises only its own realm's Array and Object.
 */
export function toCelValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return Array.from(value, toCelValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCelValue(v)]));
  }
  return value;
}
