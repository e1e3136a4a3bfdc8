/** Renders this repository's kustomizations the way `kubectl apply -k` would, without a cluster. */
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/runtime/kube-client.js';

export type Manifest = KubeObject & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

/** `kubectl kustomize <dir>` (dir relative to the repository root) as parsed objects. */
export function renderKustomization(dir: string): Manifest[] {
  const yaml = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(yaml)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((object): object is Manifest => object !== null);
}

/** REST path of the collection a manifest's object belongs to, for the kinds config/ contains. */
export function collectionPath(object: Manifest): string {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const scope = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  return `${base}${scope}/${pluralOf(object.kind)}`;
}

export function objectPath(object: Manifest): string {
  return `${collectionPath(object)}/${object.metadata.name}`;
}

function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}
