/** Names and label values for generated objects: at most 63 characters, stable, never Kf's own names. */
import { createHash } from 'node:crypto';

export const MAX_NAME_LENGTH = 63;
const HASH_LENGTH = 8;
/** Names of the NetworkPolicies the Space controller writes in a Space's namespace, per workload. */
export const SPACE_POLICY_NAMES = {
  app: { baseline: 'appnetpol-space-app', essentials: 'appnetpol-space-app-essentials' },
  build: { baseline: 'appnetpol-space-build', essentials: 'appnetpol-space-build-essentials' },
} as const;

/**
 * Names `fitName` never returns: Kf's Space controller owns `space-*-policy` in every Space (writing
 * them would fight it), and the Space controller's own names must not be taken by an AppNetworkPolicy
 * that happens to be called `space-app`.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'space-app-policy',
  'space-build-policy',
  ...Object.values(SPACE_POLICY_NAMES).flatMap((names) => Object.values(names)),
]);

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** First 8 hex characters of the SHA-256 of `value`. */
export function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * `cleaned` cut to leave room for `-<hash of original>`; the hash keeps distinct originals distinct
 * after truncation. Edges are trimmed to alphanumerics because names and label values must start and
 * end with one.
 */
function truncateWithHash(original: string, cleaned: string, maxLength: number): string {
  const prefix = cleaned.slice(0, maxLength - HASH_LENGTH - 1).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  const hash = shortHash(original);
  return prefix ? `${prefix}-${hash}` : hash;
}

/** `name` itself when it fits and is not reserved, otherwise a truncated prefix plus a hash of the whole name. */
export function fitName(name: string, maxLength = MAX_NAME_LENGTH): string {
  if (name.length <= maxLength && !RESERVED_NAMES.has(name)) return name;
  return truncateWithHash(name, name, maxLength);
}

/** Name of the NetworkPolicy generated for the AppNetworkPolicy `policyName`. */
export function networkPolicyName(policyName: string): string {
  return fitName(`appnetpol-${policyName}`);
}

/** `value` when it is a valid label value, otherwise a valid one derived from it (invalid characters replaced, hashed). */
export function labelValue(value: string): string {
  if (value.length <= MAX_NAME_LENGTH && LABEL_VALUE.test(value)) return value;
  return truncateWithHash(value, value.replace(/[^-A-Za-z0-9_.]/g, '-'), MAX_NAME_LENGTH);
}

/** Name of the Sidecar and of the AuthorizationPolicy generated for the app `app` (different kinds may share it). */
export function meshObjectName(app: string): string {
  return fitName(`appnetpol-${app}`);
}

/**
 * Code-unit order, for sorting names. For Kubernetes names (lower-case letters, digits, '-' and '.') it is
 * the order localeCompare gives, without its cost: localeCompare is slower and loads ICU's collation data
 * (about 3 MiB resident).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
