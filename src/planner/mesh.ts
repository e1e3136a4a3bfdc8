/**
 * The pure mesh planner: every AppNetworkPolicy of one namespace + observed facts -> the Istio objects of
 * that namespace, and per policy what it contributes to and what of it has no Istio counterpart.
 *
 * - Per app with egress: one Sidecar, merged across every policy of the app that lists egress, selecting
 *   `app.kubernetes.io/name=<app>`, hosts `<space>/<app>.<space>.svc.<clusterDomain>` per allowed app plus
 *   the defaults (always the mesh control plane's namespace). A rule without peers allows every host.
 * - Per app with ingress: one ALLOW AuthorizationPolicy whose rules mirror the ingress rules: app peers
 *   become principals from their service accounts, entity and CIDR peers the namespace or addresses they
 *   expand to. A rule that cannot be expressed, or whose every source is unknown, is left out, never
 *   widened; with no rule left the policy allows nothing, as an empty ingress list does.
 * - Both carry an owner reference to each contributor, none of them the controller: no single policy owns
 *   a merged object, and the garbage collector deletes it only when every contributor is gone.
 * - Per Space (a namespace with a Kf Space or with AppNetworkPolicies): PeerAuthentication `default`,
 *   mTLS STRICT, owned by the Space when there is one, otherwise unowned and labelled with the space.
 * - Only policies with `app` and workload App take part: Istio selects workloads by labels, and a Sidecar
 *   or AuthorizationPolicy without a selector would apply to the whole namespace. Policies whose spec is
 *   rejected contribute nothing until it is accepted.
 */
import type { V1NetworkPolicyPeer } from '@kubernetes/client-node';
import { KF_API_VERSION, SPACE_KIND } from '../api/space.js';
import { meshKindInfo, type MeshKind } from '../api/istio.js';
import type { AppNetworkPolicy, Peer, PortSpec } from '../api/types.js';
import { API_VERSION, KIND, LABEL_APP_NAME, LABEL_MANAGED_BY, LABEL_NAMESPACE_NAME, LABEL_SPACE, MANAGED_BY } from '../api/types.js';
import type { EntityConfig } from '../config/entities.js';
import type { MeshConfig } from '../config/mesh.js';
import type { ApiServerEndpoints } from './facts.js';
import { compareText, labelValue, meshObjectName } from './names.js';
import { expandPeer } from './peers.js';
import { ruleLocation, specRulesByDirection, type Direction, type SpecRule } from './rules.js';

export const PEER_AUTHENTICATION_NAME = 'default';
/** A port range becomes one Istio port per number; wider ranges are left out rather than listed. */
export const MAX_EXPANDED_PORTS = 64;

export interface MeshPod {
  name: string;
  /** Has an istio-proxy container or Istio's sidecar status annotation. */
  injected: boolean;
}

export interface MeshFacts {
  /** Service accounts of an app, by `<space>/<app>`; an app without one is absent. */
  serviceAccounts: ReadonlyMap<string, readonly string[]>;
  /** Pods of each app of this namespace, by app name. */
  pods: ReadonlyMap<string, readonly MeshPod[]>;
  /** The Kf Space of this namespace, when one exists. */
  space?: { name: string; uid: string };
  apiServer?: ApiServerEndpoints;
}

export interface MeshPlanInput {
  namespace: string;
  /** Every AppNetworkPolicy of the namespace. */
  policies: readonly AppNetworkPolicy[];
  /** Names of policies whose spec is rejected. */
  rejected: ReadonlySet<string>;
  facts: MeshFacts;
  config: MeshConfig;
  entities: EntityConfig;
}

interface MeshOwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: boolean;
  blockOwnerDeletion: boolean;
}

export interface DesiredMeshObject {
  apiVersion: string;
  kind: MeshKind;
  metadata: { name: string; namespace: string; labels: Record<string, string>; ownerReferences?: MeshOwnerReference[] };
  spec: Record<string, unknown>;
}

export interface MeshPolicyReport {
  generation?: number;
  /** `<Kind> <name>` of every object the policy contributes to. */
  objects: string[];
  /** What of the policy has no Istio counterpart, or why it takes no part. */
  notes: string[];
  /** Ingress sources (`<space>/<app>`) whose service account is unknown, so no principal names them. */
  missingServiceAccounts: string[];
  /** The app's pods and those without a sidecar; absent when the policy takes no part. */
  injection?: { pods: number; withoutSidecar: string[] };
}

export interface MeshPlan {
  objects: DesiredMeshObject[];
  /** By AppNetworkPolicy name. */
  reports: Record<string, MeshPolicyReport>;
}

interface IstioSource {
  principals?: string[];
  namespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
}

interface IstioRule {
  from?: { source: IstioSource }[];
  to?: { operation: { ports: string[] } }[];
}

export function planMesh(input: MeshPlanInput): MeshPlan {
  const reports: Record<string, MeshPolicyReport> = {};
  const byApp = new Map<string, AppNetworkPolicy[]>();
  for (const policy of [...input.policies].sort((a, b) => compareText(a.metadata.name, b.metadata.name))) {
    const report: MeshPolicyReport = { generation: policy.metadata.generation, objects: [], notes: [], missingServiceAccounts: [] };
    reports[policy.metadata.name] = report;
    const reason = whyNotInMesh(policy, input.rejected);
    if (reason) {
      report.notes.push(reason);
      continue;
    }
    const app = policy.spec.app!;
    report.injection = injection(input.facts.pods.get(app) ?? []);
    byApp.set(app, [...(byApp.get(app) ?? []), policy]);
  }

  const objects: DesiredMeshObject[] = [];
  const contribute = (object: DesiredMeshObject, contributors: readonly AppNetworkPolicy[]) => {
    objects.push(object);
    for (const p of contributors) reports[p.metadata.name].objects.push(`${object.kind} ${object.metadata.name}`);
  };
  for (const app of [...byApp.keys()].sort()) {
    const policies = byApp.get(app)!;
    const egress = policies.filter((p) => p.spec.egress);
    if (egress.length) contribute(sidecar(input, app, egress, reports), egress);
    const ingress = policies.filter((p) => p.spec.ingress);
    if (ingress.length) contribute(authorizationPolicy(input, app, ingress, reports), ingress);
  }
  const peerAuthentication = planPeerAuthentication(input);
  if (peerAuthentication) contribute(peerAuthentication, [...byApp.values()].flat());
  return { objects, reports };
}

function whyNotInMesh(policy: AppNetworkPolicy, rejected: ReadonlySet<string>): string | undefined {
  if (rejected.has(policy.metadata.name)) return 'the spec is not accepted, so the policy contributes nothing to the mesh objects';
  if (!policy.spec.app) {
    return 'selector-based policies get no Sidecar or AuthorizationPolicy: mesh objects select an app by app.kubernetes.io/name';
  }
  if (policy.spec.workload === 'Build') return 'Build pods get no Sidecar or AuthorizationPolicy: mesh output covers App pods';
  return undefined;
}

function injection(pods: readonly MeshPod[]): MeshPolicyReport['injection'] {
  const withoutSidecar = pods.filter((p) => !p.injected).map((p) => p.name).sort();
  return { pods: pods.length, withoutSidecar };
}

function sidecar(input: MeshPlanInput, app: string, contributors: readonly AppNetworkPolicy[], reports: MeshPlan['reports']): DesiredMeshObject {
  const hosts = new Set([`${input.entities.meshControlPlane.namespace}/*`, ...input.config.defaultEgressHosts]);
  for (const policy of contributors) {
    const report = reports[policy.metadata.name];
    rulesOf(policy, 'egress').forEach((rule, index) => {
      if (!rule.peers?.length) hosts.add('*/*');
      for (const peer of rule.peers ?? []) {
        const space = peer.space ?? input.namespace;
        if (peer.app) hosts.add(`${space}/${peer.app}.${space}.svc.${input.entities.clusterDomain}`);
      }
      const others = describePeers((rule.peers ?? []).filter((p) => !p.app));
      if (others) {
        report.notes.push(`${ruleLocation('egress', index, rule.name)}: ${others} not listed in the Sidecar, which lists app hosts only; traffic to such peers follows the mesh's outbound traffic policy`);
      }
    });
  }
  return meshObject(input, 'Sidecar', meshObjectName(app), contributorReferences(contributors), {
    workloadSelector: { labels: { [LABEL_APP_NAME]: app } },
    egress: [{ hosts: [...hosts].sort() }],
  });
}

function authorizationPolicy(input: MeshPlanInput, app: string, contributors: readonly AppNetworkPolicy[], reports: MeshPlan['reports']): DesiredMeshObject {
  const rules = new Map<string, IstioRule>();
  for (const policy of contributors) {
    const report = reports[policy.metadata.name];
    rulesOf(policy, 'ingress').forEach((rule, index) => {
      const planned = authorizationRule(input, rule, ruleLocation('ingress', index, rule.name), report);
      if (planned) rules.set(JSON.stringify(planned), planned);
    });
  }
  return meshObject(input, 'AuthorizationPolicy', meshObjectName(app), contributorReferences(contributors), {
    selector: { matchLabels: { [LABEL_APP_NAME]: app } },
    action: 'ALLOW',
    ...(rules.size ? { rules: [...rules.values()] } : {}),
  });
}

/** One ingress rule as an Istio rule; undefined when it cannot be expressed without widening it. */
function authorizationRule(input: MeshPlanInput, rule: SpecRule, location: string, report: MeshPolicyReport): IstioRule | undefined {
  const ports = istioPorts(rule.ports);
  if ('problem' in ports) {
    report.notes.push(`${location}: ${ports.problem}; the rule is left out of the AuthorizationPolicy, so the mesh denies what it allows`);
    return undefined;
  }
  const to = ports.ports ? { to: [{ operation: { ports: ports.ports } }] } : {};
  if (!rule.peers?.length) return to;

  const principals = new Set<string>();
  const sources: IstioSource[] = [];
  for (const peer of rule.peers) {
    if (peer.app) {
      const space = peer.space ?? input.namespace;
      const accounts = input.facts.serviceAccounts.get(`${space}/${peer.app}`);
      if (!accounts?.length && !report.missingServiceAccounts.includes(`${space}/${peer.app}`)) report.missingServiceAccounts.push(`${space}/${peer.app}`);
      accounts?.forEach((sa) => principals.add(`${input.config.trustDomain}/ns/${space}/sa/${sa}`));
    } else if (peer.selector || peer.namespaceSelector) {
      report.notes.push(`${location}: selector peers cannot be named as Istio sources; the mesh denies flows from them`);
    } else {
      const expansion = expandPeer(peer, { namespace: input.namespace, entities: input.entities, apiServer: input.facts.apiServer });
      if ('unknownEntity' in expansion) report.notes.push(`${location}: ${expansion.unknownEntity}; the mesh denies flows from it`);
      else sources.push(...expansion.peers.map(istioSource));
    }
  }
  if (principals.size) sources.unshift({ principals: [...principals].sort() });
  if (!sources.length) return undefined;
  return { from: sources.map((source) => ({ source })), ...to };
}

/**
 * Pod entities (DNS, ingress gateway, mesh control plane) become their namespace, an Istio source
 * matched on the peer's mTLS identity; `cluster` every namespace; addresses become ipBlocks.
 */
function istioSource(peer: V1NetworkPolicyPeer): IstioSource {
  if (peer.ipBlock) return { ipBlocks: [peer.ipBlock.cidr], ...(peer.ipBlock.except?.length ? { notIpBlocks: peer.ipBlock.except } : {}) };
  return { namespaces: [peer.namespaceSelector?.matchLabels?.[LABEL_NAMESPACE_NAME] ?? '*'] };
}

/** Istio matches port numbers as strings; undefined ports: every port. */
function istioPorts(ports: readonly PortSpec[] | undefined): { ports?: string[] } | { problem: string } {
  if (!ports?.length || ports.some((p) => p.port === undefined)) return {};
  const numbers = new Set<number>();
  for (const { port, endPort } of ports) {
    if (typeof port === 'string') return { problem: `the named port "${port}" cannot be expressed (Istio matches port numbers)` };
    const end = endPort ?? port!;
    if (end - port! + 1 > MAX_EXPANDED_PORTS) return { problem: `the port range ${port}-${end} spans more than ${MAX_EXPANDED_PORTS} ports` };
    for (let n = port!; n <= end; n++) numbers.add(n);
  }
  return { ports: [...numbers].sort((a, b) => a - b).map(String) };
}

function planPeerAuthentication(input: MeshPlanInput): DesiredMeshObject | undefined {
  const { space } = input.facts;
  if (!input.config.peerAuthentication || (!space && !input.policies.length)) return undefined;
  const owners = space ? [{ apiVersion: KF_API_VERSION, kind: SPACE_KIND, name: space.name, uid: space.uid, controller: true, blockOwnerDeletion: true }] : [];
  return meshObject(input, 'PeerAuthentication', PEER_AUTHENTICATION_NAME, owners, { mtls: { mode: 'STRICT' } });
}

function rulesOf(policy: AppNetworkPolicy, direction: Direction): SpecRule[] {
  return specRulesByDirection(policy.spec).find((d) => d.direction === direction)?.rules ?? [];
}

/** `entity "dns" and cidr peers are` / `a selector peer is`, for notes. */
function describePeers(peers: readonly Peer[]): string | undefined {
  if (!peers.length) return undefined;
  const kinds = [...new Set(peers.map((p) => (p.entity ? `entity "${p.entity}"` : p.cidr ? 'cidr' : 'selector')))];
  return `${kinds.join(', ')} peer${peers.length > 1 ? 's are' : ' is'}`;
}

function contributorReferences(contributors: readonly AppNetworkPolicy[]): MeshOwnerReference[] {
  return contributors.map(({ metadata: { name, uid } }) => {
    if (!uid) throw new Error(`${KIND} ${name} has no metadata.uid; an owner reference needs it`);
    return { apiVersion: API_VERSION, kind: KIND, name, uid, controller: false, blockOwnerDeletion: true };
  });
}

function meshObject(input: MeshPlanInput, kind: MeshKind, name: string, owners: MeshOwnerReference[], spec: Record<string, unknown>): DesiredMeshObject {
  const labels = { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SPACE]: labelValue(input.namespace) };
  return {
    apiVersion: meshKindInfo(kind).apiVersion,
    kind,
    metadata: { name, namespace: input.namespace, labels, ...(owners.length ? { ownerReferences: owners } : {}) },
    spec,
  };
}
