/**
 * Request bodies in, response bodies out, for API versions v1 and v0. Parsing follows what Go's JSON
 * decoder does with Cloud Foundry's structs (unknown fields ignored, null = zero value, a wrong type is an
 * unmarshal error); validation then applies Cloud Foundry's checks in its order. Nothing here throws
 * for any input: every outcome is a policy list or a CfError.
 */
import type { CfPolicy, CfProtocol } from './policy.js';
import { CfError } from './errors.js';

export type ApiVersion = 'v1' | 'v0';

export const API_VERSIONS: readonly string[] = ['v1', 'v0'];

/** A destination as sent, before validation: zero values stand for what was missing. */
interface RawPolicy {
  sourceId: string;
  sourceTag: string;
  destinationId: string;
  destinationTag: string;
  protocol: string;
  start: number;
  end: number;
  /** v0 only: the single port. */
  port: number;
}

/** A number Go's decoder will not put in an int (a fraction, an exponent, too large), as it was written. */
class NotAnInt {
  constructor(readonly source: string) {}
}

type JsonObject = { [key: string]: Json };
type Json = null | boolean | number | NotAnInt | string | Json[] | JsonObject;

class UnmarshalError extends Error {}

const INTEGER_LITERAL = /^-?(0|[1-9]\d*)$/;

/** JSON.parse keeping the text of numbers that are not plain integers (`8080.0` and `8.08e3` are not 8080 to Go). */
function parseJson(text: string): Json {
  const keepSource = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined && (!INTEGER_LITERAL.test(context.source) || !Number.isSafeInteger(value)) ? new NotAnInt(context.source) : value;
  return JSON.parse(text, keepSource as (key: string, value: unknown) => unknown) as Json;
}

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof NotAnInt);
}

function kindOf(value: Json): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (value instanceof NotAnInt) return 'number';
  return typeof value === 'object' ? 'object' : typeof value;
}

function mismatch(value: Json, field: string, type: string): UnmarshalError {
  const shown = typeof value === 'number' ? `number ${value}` : value instanceof NotAnInt ? `number ${value.source}` : kindOf(value);
  return new UnmarshalError(`json: cannot unmarshal ${shown} into Go struct field ${field} of type ${type}`);
}

/** An object field, or undefined for absent/null (Go leaves the zero value). */
function objectField(parent: JsonObject, key: string, field: string, type: string): JsonObject | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw mismatch(value, field, type);
  return value;
}

function stringField(parent: JsonObject | undefined, key: string, field: string): string {
  const value = parent?.[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw mismatch(value, field, 'string');
  return value;
}

function intField(parent: JsonObject | undefined, key: string, field: string): number {
  const value = parent?.[key];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number') throw mismatch(value, field, 'int');
  return value;
}

function readPolicy(item: Json, version: ApiVersion): RawPolicy {
  if (item === null) return { sourceId: '', sourceTag: '', destinationId: '', destinationTag: '', protocol: '', start: 0, end: 0, port: 0 };
  if (!isObject(item)) throw mismatch(item, 'policies', 'Policy');
  const source = objectField(item, 'source', 'policies.source', 'Source');
  const destination = objectField(item, 'destination', 'policies.destination', 'Destination');
  const ports = version === 'v1' ? objectField(destination ?? {}, 'ports', 'policies.destination.ports', 'Ports') : undefined;
  return {
    sourceId: stringField(source, 'id', 'policies.source.id'),
    sourceTag: stringField(source, 'tag', 'policies.source.tag'),
    destinationId: stringField(destination, 'id', 'policies.destination.id'),
    destinationTag: stringField(destination, 'tag', 'policies.destination.tag'),
    protocol: stringField(destination, 'protocol', 'policies.destination.protocol'),
    start: intField(ports, 'start', 'policies.destination.ports.start'),
    end: intField(ports, 'end', 'policies.destination.ports.end'),
    port: version === 'v0' ? intField(destination, 'port', 'policies.destination.port') : 0,
  };
}

function readPolicies(text: string, version: ApiVersion): RawPolicy[] {
  let parsed: Json;
  try {
    parsed = parseJson(text);
  } catch (error) {
    throw new UnmarshalError((error as Error).message);
  }
  if (parsed === null) return [];
  if (!isObject(parsed)) throw new UnmarshalError(`json: cannot unmarshal ${kindOf(parsed)} into Go value of type PoliciesPayload`);
  const list = parsed.policies;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw mismatch(list, 'policies', '[]Policy');
  return list.map((item) => readPolicy(item, version));
}

/** Cloud Foundry's checks in its order; the first failure of the first failing policy wins. */
function problemOf(raw: RawPolicy, version: ApiVersion): string | undefined {
  if (raw.sourceId === '') return 'missing source id';
  if (raw.destinationId === '') return 'missing destination id';
  if (raw.protocol !== 'tcp' && raw.protocol !== 'udp') return 'invalid destination protocol, specify either udp or tcp';
  if (version === 'v0') {
    if (raw.port < 0 || raw.port > 65535) return `invalid port ${raw.port}, must be in range 1-65535`;
    if (raw.port === 0) return 'missing port';
  } else {
    if (raw.start > raw.end) return `invalid port range ${raw.start}-${raw.end}, start must be less than or equal to end`;
    if (raw.start < 0) return `invalid start port ${raw.start}, must be in range 1-65535`;
    if (raw.start === 0) return 'missing start port';
    if (raw.end > 65535) return `invalid end port ${raw.end}, must be in range 1-65535`;
  }
  if (raw.sourceTag !== '' || raw.destinationTag !== '') return 'tags may not be specified';
  return undefined;
}

/** The policies of a create or delete body, or a 400 with Cloud Foundry's message. */
export function parsePolicies(text: string, version: ApiVersion): CfPolicy[] {
  let raws: RawPolicy[];
  try {
    raws = readPolicies(text, version);
  } catch (error) {
    throw new CfError(400, `mapper: unmarshal json: ${(error as Error).message}`);
  }
  if (raws.length === 0) throw new CfError(400, 'mapper: validate policies: missing policies');
  return raws.map((raw) => {
    const problem = problemOf(raw, version);
    if (problem) throw new CfError(400, `mapper: validate policies: ${problem}`);
    const [start, end] = version === 'v0' ? [raw.port, raw.port] : [raw.start, raw.end];
    return { source: raw.sourceId, destination: raw.destinationId, protocol: raw.protocol as CfProtocol, start, end };
  });
}

interface WirePolicy {
  source: { id: string };
  destination: { id: string; protocol: CfProtocol; ports?: { start: number; end: number }; port?: number };
}

function wirePolicy(p: CfPolicy, version: ApiVersion): WirePolicy {
  return {
    source: { id: p.source },
    destination: version === 'v0' ? { id: p.destination, protocol: p.protocol, port: p.start } : { id: p.destination, protocol: p.protocol, ports: { start: p.start, end: p.end } },
  };
}

/** A list answer: v0 leaves out port ranges it cannot express and counts only what it returns. */
export function policyList(policies: readonly CfPolicy[], version: ApiVersion): { total_policies: number; policies: WirePolicy[] } {
  const shown = version === 'v0' ? policies.filter((p) => p.start === p.end) : policies;
  return { total_policies: shown.length, policies: shown.map((p) => wirePolicy(p, version)) };
}

/** One policy's v1 JSON: the index makes it once per policy, so answers are mostly concatenation. */
export function policyJson(p: CfPolicy): string {
  return JSON.stringify(wirePolicy(p, 'v1'));
}

/**
 * A policy with its v1 JSON made already (see policyJson), as the index holds them. That JSON is ASCII:
 * the index takes in only storable GUIDs (isStorableGuid: lower-case letters, digits, '-').
 */
export type Serialized = CfPolicy & { json: string };

const COMMA = 0x2c;

/**
 * policyList as the bytes of its JSON; the hot path of `cf network-policies`. For v1 each policy's ready
 * JSON is copied into one buffer of the size known beforehand: no joined string of ~200 KiB that the HTTP
 * layer would scan once to count its UTF-8 bytes and again to encode them. `allocate` gives a buffer of at
 * least the size asked for.
 */
export function policyListJson(policies: readonly Serialized[], version: ApiVersion, allocate: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  if (version === 'v0') return Buffer.from(JSON.stringify(policyList(policies, version)));
  const head = `{"total_policies":${policies.length},"policies":[`;
  let size = head.length + Math.max(policies.length - 1, 0) + 2;
  for (const p of policies) size += p.json.length;
  const out = allocate(size).subarray(0, size);
  // latin1 writes one byte per character: exact for ASCII, with no encoding pass.
  let at = out.write(head, 0, 'latin1');
  for (let i = 0; i < policies.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += out.write(policies[i].json, at, 'latin1');
  }
  out.write(']}', at, 'latin1');
  return out;
}
