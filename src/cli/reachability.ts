/**
 * `appnetpol explain` and `appnetpol reach`: the NetworkPolicy engine over a snapshot of the cluster,
 * read live through the kubeconfig or offline from manifests (`-f`). Offline, AppNetworkPolicies and
 * Kf Spaces are planned into NetworkPolicies on the fly exactly as `render` does; live, the
 * NetworkPolicies in the cluster are what counts.
 */
import { KubeConfig } from '../runtime/client-node.js';
import { parseAllDocuments } from 'yaml';
import { isSpace } from '../api/space.js';
import { POLICIES_PATH, type AppNetworkPolicy } from '../api/types.js';
import { validateAppNetworkPolicy } from '../api/validate.js';
import { ConfigError } from '../config/operator-config.js';
import { EndpointError, parseEndpoint, parsePort, resolveEndpoint } from '../reachability/endpoints.js';
import { explainFlow, formatExplanation } from '../reachability/explain.js';
import { formatTable, reachMatrix, toDot, toJSON } from '../reachability/matrix.js';
import type { NetworkPolicyObject } from '../reachability/model.js';
import { ClusterSnapshot, type KfAppObject, type NamespaceObject, type PodObject, type SnapshotInput } from '../reachability/snapshot.js';
import type { KubeObject } from '../runtime/kube-client.js';
import { isAppNetworkPolicy, planPolicyOffline, planSpaceOffline } from './render.js';

export interface SourceOptions {
  /** Manifests to read instead of the cluster. */
  files?: string[];
  kubeconfig?: string;
}

type Reader = (file: string) => string;

/** Bad input (endpoint, port, file) becomes a usage error: one line, exit code 2. */
function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof EndpointError) throw new ConfigError(error.message);
    throw error;
  }
}

export async function loadSnapshot(options: SourceOptions, read: Reader, warn: (line: string) => void): Promise<ClusterSnapshot> {
  return new ClusterSnapshot(options.files?.length ? readManifests(options.files, read, warn) : await readCluster(options.kubeconfig));
}

function objectsOf(value: unknown): KubeObject[] {
  if (typeof value !== 'object' || value === null) return [];
  const object = value as KubeObject;
  if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items)) return (object.items as unknown[]).flatMap(objectsOf);
  return [object];
}

/** Namespaces, Pods, Kf Apps, Spaces, AppNetworkPolicies and NetworkPolicies from files; other kinds are skipped. */
export function readManifests(files: readonly string[], read: Reader, warn: (line: string) => void): SnapshotInput {
  const input: ManifestObjects = { namespaces: [], pods: [], apps: [], appNetworkPolicies: [], networkPolicies: [] };
  for (const file of files) {
    parseAllDocuments(read(file)).forEach((document, index) => {
      if (document.errors.length) throw new ConfigError(`${file} document ${index + 1}: ${document.errors[0].message.split('\n')[0]}`);
      for (const object of objectsOf(document.toJS())) addObject(input, object, `${file} document ${index + 1}`, warn);
    });
  }
  return input;
}

interface ManifestObjects {
  namespaces: NamespaceObject[];
  pods: PodObject[];
  apps: KfAppObject[];
  appNetworkPolicies: AppNetworkPolicy[];
  networkPolicies: NetworkPolicyObject[];
}

function addObject(input: ManifestObjects, object: KubeObject, where: string, warn: (line: string) => void): void {
  const type = `${object.apiVersion}/${object.kind}`;
  if (isAppNetworkPolicy(object)) {
    const { policy, plan } = planPolicyOffline(object, { validate: validateAppNetworkPolicy });
    input.appNetworkPolicies.push(policy);
    if (plan.networkPolicy) input.networkPolicies.push(plan.networkPolicy);
    else warn(`${where}: AppNetworkPolicy ${policy.metadata.namespace}/${policy.metadata.name} produces no NetworkPolicy: ${plan.conditions.find((c) => c.type === 'Accepted')?.message}`);
  } else if (isSpace(object)) {
    const { plan } = planSpaceOffline(object, {});
    input.networkPolicies.push(...plan.workloads.flatMap((w) => w.networkPolicies ?? []));
    plan.events.forEach((e) => warn(`${where}: Space ${object.metadata.name}: ${e.message}`));
  } else if (type === 'v1/Namespace') input.namespaces.push(object);
  else if (type === 'v1/Pod') input.pods.push(withNamespace(object));
  else if (type === 'kf.dev/v1alpha1/App') input.apps.push(withNamespace(object));
  else if (type === 'networking.k8s.io/v1/NetworkPolicy') input.networkPolicies.push(withNamespace(object));
}

/** Manifests without a namespace land in `default`, as kubectl would put them. */
function withNamespace<T extends KubeObject>(object: T): T {
  return { ...object, metadata: { ...object.metadata, namespace: object.metadata?.namespace ?? 'default' } };
}

async function readCluster(kubeconfigPath: string | undefined): Promise<SnapshotInput> {
  // Loaded only live, so offline runs start without the HTTP stack.
  const { isNotFound, KubeClient } = await import('../runtime/kube-client.js');
  const config = new KubeConfig();
  try {
    if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
    else config.loadFromDefault();
  } catch (error) {
    throw new ConfigError(`cannot read kubeconfig ${kubeconfigPath ?? ''}: ${(error as Error).message}`.replace('  ', ' '));
  }
  const client = new KubeClient(config);
  const optional = async <T extends KubeObject>(path: string): Promise<T[] | undefined> => {
    try {
      return (await client.list<T>(path)).items;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  try {
    const [namespaces, pods, networkPolicies, apps, appNetworkPolicies] = await Promise.all([
      client.list('/api/v1/namespaces'),
      client.list('/api/v1/pods'),
      client.list('/apis/networking.k8s.io/v1/networkpolicies'),
      optional('/apis/kf.dev/v1alpha1/apps'),
      optional<AppNetworkPolicy & KubeObject>(POLICIES_PATH),
    ]);
    return {
      namespaces: namespaces.items,
      pods: pods.items as PodObject[],
      networkPolicies: networkPolicies.items as NetworkPolicyObject[],
      apps: apps as KfAppObject[] | undefined,
      appNetworkPolicies: appNetworkPolicies ?? [],
    };
  } catch (error) {
    throw new ConfigError(`cannot read the cluster at ${client.server}: ${(error as Error).message}`);
  }
}

export interface ExplainOptions extends SourceOptions {
  from: string;
  to: string;
  port: string;
  output?: string;
}

/** Prints the explanation; returns whether the flow is allowed. */
export async function runExplain(options: ExplainOptions, read: Reader, out: (text: string) => void, warn: (line: string) => void): Promise<boolean> {
  const { from, to, port, output } = usage(() => ({ from: parseEndpoint(options.from), to: parseEndpoint(options.to), port: parsePort(options.port), output: outputFormat(options.output, ['text', 'json']) }));
  const snapshot = await loadSnapshot(options, read, warn);
  const source = usage(() => resolveEndpoint(snapshot, from));
  const destination = usage(() => resolveEndpoint(snapshot, to));
  const explanation = explainFlow(snapshot, { from: source.endpoint, to: destination.endpoint, ...port }, { from: source.name, to: destination.name });
  out(output === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation));
  return explanation.allowed;
}

function outputFormat(value: string | undefined, allowed: readonly string[]): string {
  const format = value ?? allowed[0];
  if (!allowed.includes(format)) throw new EndpointError(`output format "${format}" is not one of ${allowed.join(', ')}`);
  return format;
}

export interface ReachOptions extends SourceOptions {
  namespace?: string;
  allNamespaces?: boolean;
  port?: string[];
  output?: string;
}

export async function runReach(options: ReachOptions, read: Reader, out: (text: string) => void, warn: (line: string) => void): Promise<void> {
  const { ports, output } = usage(() => ({
    ports: (options.port ?? []).flatMap((p) => p.split(',')).map(parsePort),
    output: outputFormat(options.output, ['table', 'json', 'dot', 'svg']),
  }));
  if (options.namespace && options.allNamespaces) throw new ConfigError('give either -n SPACE or -A, not both');
  const snapshot = await loadSnapshot(options, read, warn);
  const space = options.allNamespaces ? undefined : (options.namespace ?? 'default');
  const apps = snapshot.appList(space);
  if (!apps.length) throw new ConfigError(space ? `no apps in space "${space}"` : 'no apps found');
  const matrix = reachMatrix(snapshot, apps, ports);
  if (output === 'table') out(formatTable(matrix));
  else if (output === 'json') out(`${JSON.stringify(toJSON(matrix), null, 2)}\n`);
  else if (output === 'dot') out(toDot(matrix));
  else {
    // Loaded only for pictures: the Graphviz WASM build is large.
    const { instance } = await import('@viz-js/viz');
    out((await instance()).renderString(toDot(matrix), { format: 'svg' }));
  }
}
