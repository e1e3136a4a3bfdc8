/**
 * A Cloud Foundry network policy and the name of the AppNetworkPolicy rules that store it. The rule
 * name spells out the policy's identity, so a stored rule says which policy it is without any state.
 */
import { compareText } from '../planner/names.js';

export type CfProtocol = 'tcp' | 'udp';

export interface CfPolicy {
  source: string;
  destination: string;
  protocol: CfProtocol;
  start: number;
  end: number;
}

/**
 * GUIDs that can be spelled inside a rule name (`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`, at most 128
 * characters): two of them, '.' separators, protocol and two ports stay within the limit. Kubernetes
 * UIDs and Cloud Foundry GUIDs (lower-case UUIDs, 36 characters) always qualify.
 */
const STORABLE_GUID = /^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/;

export function isStorableGuid(guid: string): boolean {
  return STORABLE_GUID.test(guid);
}

/** `<source>.<destination>.<protocol>.<start>.<end>`: unique per identity, the same in both halves. */
export function ruleName(policy: CfPolicy): string {
  return `${policy.source}.${policy.destination}.${policy.protocol}.${policy.start}.${policy.end}`;
}

/** The policy a rule name stands for, or undefined for a name this service did not write. */
export function policyOfRuleName(name: string): CfPolicy | undefined {
  const parts = name.split('.');
  if (parts.length !== 5) return undefined;
  const [source, destination, protocol, startText, endText] = parts;
  if (!isStorableGuid(source) || !isStorableGuid(destination) || (protocol !== 'tcp' && protocol !== 'udp')) return undefined;
  if (!/^[1-9][0-9]{0,4}$/.test(startText) || !/^[1-9][0-9]{0,4}$/.test(endText)) return undefined;
  // The literal rather than the piece split off: one string for every policy instead of one each.
  return { source, destination, protocol: protocol === 'tcp' ? 'tcp' : 'udp', start: Number(startText), end: Number(endText) };
}

/** One key per identity, for maps and de-duplication. */
export const policyKey = ruleName;

/** Stable order for answers: source, destination, protocol, start, end. */
export function comparePolicies(a: CfPolicy, b: CfPolicy): number {
  return compareText(a.source, b.source) || compareText(a.destination, b.destination) || compareText(a.protocol, b.protocol) || a.start - b.start || a.end - b.end;
}

/**
 * A string whose code-unit order is comparePolicies' order, so a long list sorts with plain string
 * comparisons: NUL sorts below every character a GUID or protocol may hold, and ports are zero-padded.
 * Joined rather than concatenated: join makes one flat string, where `+` makes a tree of pieces that
 * comparisons walk without flattening (the index keeps one key per policy).
 */
export function sortKey(policy: CfPolicy): string {
  return [policy.source, policy.destination, policy.protocol, String(policy.start).padStart(5, '0') + String(policy.end).padStart(5, '0')].join('\0');
}

