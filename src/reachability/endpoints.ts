/**
 * Endpoints and ports as people type them: `SPACE/APP`, `NAMESPACE/pod/NAME` or an IP address;
 * `[PROTO/]PORT`. Parsing and resolving say in one line what is wrong.
 */
import { isIP } from 'node:net';
import type { Protocol } from '../api/types.js';
import type { Endpoint } from './model.js';
import { PROTOCOLS } from './ports.js';
import type { ClusterSnapshot } from './snapshot.js';

export type EndpointSpec = { kind: 'app'; space: string; app: string } | { kind: 'pod'; namespace: string; name: string } | { kind: 'ip'; ip: string };

export class EndpointError extends Error {}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export function parseEndpoint(text: string): EndpointSpec {
  if (isIP(text)) return { kind: 'ip', ip: text };
  const parts = text.split('/');
  if (parts.length === 2 && parts.every((p) => NAME.test(p))) return { kind: 'app', space: parts[0], app: parts[1] };
  if (parts.length === 3 && parts[1] === 'pod' && NAME.test(parts[0]) && NAME.test(parts[2])) return { kind: 'pod', namespace: parts[0], name: parts[2] };
  throw new EndpointError(`endpoint "${text}" is not SPACE/APP, NAMESPACE/pod/NAME or an IP address`);
}

export function parsePort(text: string): { protocol: Protocol; port: number } {
  const match = /^(?:([A-Za-z]+)\/)?([0-9]+)$/.exec(text);
  const protocol = (match?.[1] ?? 'TCP').toUpperCase() as Protocol;
  const port = Number(match?.[2]);
  if (!match || !PROTOCOLS.includes(protocol) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new EndpointError(`port "${text}" is not [TCP|UDP|SCTP/]PORT with PORT 1-65535`);
  }
  return { protocol, port };
}

/** The endpoint a spec names in the snapshot: an app's first pod (or its stand-in), a pod, or an address (a pod's when one has it). */
export function resolveEndpoint(snapshot: ClusterSnapshot, spec: EndpointSpec): { endpoint: Endpoint; name: string } {
  switch (spec.kind) {
    case 'app': {
      const app = snapshot.app(spec.space, spec.app);
      if (!app) throw new EndpointError(`no app "${spec.app}" in space "${spec.space}": no Kf App of that name and no pod labelled app.kubernetes.io/name=${spec.app}`);
      return { endpoint: { pod: app.pods[0] }, name: `${spec.space}/${spec.app}` };
    }
    case 'pod': {
      const pod = snapshot.pod(spec.namespace, spec.name);
      if (!pod) throw new EndpointError(`no pod "${spec.name}" in namespace "${spec.namespace}"`);
      return { endpoint: { pod }, name: `${spec.namespace}/pod/${spec.name}` };
    }
    case 'ip': {
      const pod = snapshot.podWithIP(spec.ip);
      return pod ? { endpoint: { pod }, name: `${spec.ip} (pod ${pod.namespace}/${pod.name})` } : { endpoint: { ip: spec.ip }, name: spec.ip };
    }
  }
}
