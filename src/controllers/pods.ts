/**
 * App pods (labelled `app.kubernetes.io/name`), watched through one informer shared by the mesh
 * controller (sidecars, service accounts) and the Reachable condition (labels, IPs, container ports).
 * Each pod is cached with only the fields those readers use: pods are the largest kind in a cluster.
 */
import { SIDECAR_STATUS_ANNOTATION } from '../api/istio.js';
import { LABEL_APP_NAME } from '../api/types.js';
import { only, type InformerOptions } from '../runtime/informer.js';
import type { KubeObject } from '../runtime/kube-client.js';

const KEPT_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'labels', 'deletionTimestamp'];

interface PodFields {
  spec?: { serviceAccountName?: string; containers?: { name?: string; ports?: unknown[] }[] };
  status?: { phase?: string; podIP?: string; podIPs?: unknown[] };
}

export function trimPod(obj: KubeObject): void {
  const pod = obj as KubeObject & PodFields;
  const sidecar = pod.metadata?.annotations?.[SIDECAR_STATUS_ANNOTATION];
  const metadata = (pod.metadata = only(pod.metadata ?? {}, KEPT_METADATA));
  if (sidecar !== undefined) metadata.annotations = { [SIDECAR_STATUS_ANNOTATION]: sidecar };
  const { spec, status } = pod;
  pod.spec = {
    ...(spec?.serviceAccountName ? { serviceAccountName: spec.serviceAccountName } : {}),
    containers: (spec?.containers ?? []).map((c) => ({ ...(c.name ? { name: c.name } : {}), ...(c.ports ? { ports: c.ports } : {}) })),
  };
  pod.status = { ...(status?.phase ? { phase: status.phase } : {}), ...(status?.podIP ? { podIP: status.podIP } : {}), ...(status?.podIPs ? { podIPs: status.podIPs } : {}) };
}

/** Same options everywhere, so SharedInformers runs a single list and watch for them. */
export const APP_PODS: InformerOptions = { resource: 'pods', path: '/api/v1/pods', labelSelector: LABEL_APP_NAME, trim: trimPod };
