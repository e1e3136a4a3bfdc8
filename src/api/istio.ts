/** The Istio kinds appnetpol writes when mesh output is on: API versions, plurals and CRD names. */

export type MeshKind = 'Sidecar' | 'AuthorizationPolicy' | 'PeerAuthentication';

export interface MeshKindInfo {
  kind: MeshKind;
  apiVersion: string;
  plural: string;
  /** The CRD whose presence turns this kind's output on. */
  crd: string;
}

export const MESH_KINDS: readonly MeshKindInfo[] = [
  { kind: 'Sidecar', apiVersion: 'networking.istio.io/v1', plural: 'sidecars', crd: 'sidecars.networking.istio.io' },
  { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', plural: 'authorizationpolicies', crd: 'authorizationpolicies.security.istio.io' },
  { kind: 'PeerAuthentication', apiVersion: 'security.istio.io/v1', plural: 'peerauthentications', crd: 'peerauthentications.security.istio.io' },
];

export function meshKindInfo(kind: MeshKind): MeshKindInfo {
  return MESH_KINDS.find((k) => k.kind === kind)!;
}

/** Collection path of a mesh kind, across namespaces or in one. */
export function meshCollectionPath(info: MeshKindInfo, namespace?: string): string {
  return `/apis/${info.apiVersion}${namespace ? `/namespaces/${namespace}` : ''}/${info.plural}`;
}

/** Istio's sidecar injector adds this container to a pod and records what it did in the annotation. */
export const SIDECAR_CONTAINER = 'istio-proxy';
export const SIDECAR_STATUS_ANNOTATION = 'sidecar.istio.io/status';
