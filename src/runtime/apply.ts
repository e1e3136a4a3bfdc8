/**
 * Writes desired objects with server-side apply, and only when the object the informer last saw
 * differs from the desired one: a converged cluster costs no API requests.
 */
import { FIELD_MANAGER } from '../api/types.js';
import { isConflict, isNotFound, type KubeClient, type KubeObject } from './kube-client.js';

export type ApplyOutcome = 'unchanged' | 'created' | 'updated';

/**
 * Whether `live` already is `desired`: every label, annotation and owner reference of `desired`
 * present, and every other top-level field (spec, rules…) equal after normalization.
 */
export function isUpToDate(desired: KubeObject, live: KubeObject | undefined): boolean {
  if (!live) return false;
  const want = desired.metadata ?? {};
  const have = live.metadata ?? {};
  if (!isSubset(want.labels, have.labels) || !isSubset(want.annotations, have.annotations)) return false;
  for (const ref of want.ownerReferences ?? []) {
    if (!(have.ownerReferences ?? []).some((r) => r.uid === ref.uid && r.controller === ref.controller)) return false;
  }
  for (const key of Object.keys(desired)) {
    if (key === 'metadata' || key === 'apiVersion' || key === 'kind' || key === 'status') continue;
    if (!deepEqual(normalize(desired[key]), normalize(live[key]))) return false;
  }
  return true;
}

export interface ApplyRequest {
  client: KubeClient;
  /** Collection path of the object's kind in its namespace, e.g. /apis/networking.k8s.io/v1/namespaces/a/networkpolicies. */
  collectionPath: string;
  desired: KubeObject;
  live: KubeObject | undefined;
}

/** Applies `desired` unless `live` already matches; returns what happened and the object written. */
export async function applyIfChanged(request: ApplyRequest): Promise<{ outcome: ApplyOutcome; object?: KubeObject }> {
  const { client, collectionPath, desired, live } = request;
  if (isUpToDate(desired, live)) return { outcome: 'unchanged' };
  const path = `${collectionPath}/${desired.metadata!.name}`;
  let object = await client.apply(path, desired, FIELD_MANAGER, { force: true });
  if (!isUpToDate(desired, object)) {
    // Fields another manager added inside what we own granularly (a hand-added selector label,
    // say) survive an apply; replacing the top-level fields removes them.
    object = await client.replace(path, { ...object, ...withoutMetadata(desired) });
  }
  return { outcome: live ? 'updated' : 'created', object };
}

/**
 * For an object the cache does not hold: creates `desired` (one request, where reading first would
 * take two), or returns the same-named object that already exists, for the caller to decide whether
 * it may write over it (the cache may hold only objects labelled as ours, or lag behind our writes).
 * `existing` is undefined when that object was deleted meanwhile. The created object's fields belong
 * to an update rather than an apply entry, so a later apply that drops a field leaves it behind and
 * applyIfChanged replaces the object: fit for objects whose fields rarely shrink, unlike owner lists.
 */
export async function createUnlessExists(client: KubeClient, collectionPath: string, desired: KubeObject): Promise<{ created: KubeObject } | { existing: KubeObject | undefined }> {
  try {
    return { created: await client.create(collectionPath, desired, { fieldManager: FIELD_MANAGER }) };
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  const existing = await client.get<KubeObject>(`${collectionPath}/${desired.metadata!.name}`).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  return { existing };
}

function withoutMetadata(obj: KubeObject): KubeObject {
  const rest: KubeObject = { ...obj };
  delete rest.metadata;
  return rest;
}

function isSubset(want: Record<string, string> | undefined, have: Record<string, string> | undefined): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);
}

/** Drops null, undefined and empty arrays or objects held by object fields, as the API server does. */
export function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const normalized = normalize(child);
      if (normalized === null || normalized === undefined) continue;
      if (Array.isArray(normalized) && normalized.length === 0) continue;
      if (typeof normalized === 'object' && !Array.isArray(normalized) && Object.keys(normalized).length === 0) continue;
      out[key] = normalized;
    }
    return out;
  }
  return value;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}
