/**
 * The pure Space planner: a Kf Space's `spec.networkConfig` -> the NetworkPolicies of its namespace.
 *
 * - Per workload (app pods, build pods) a baseline selecting `kf.dev/networkpolicy=<workload>`, with
 *   `policyTypes: [Ingress, Egress]`, the rule `{}` (everything) for PermitAll and no rule for DenyAll.
 *   Empty or absent means PermitAll, as in Kf.
 * - Per workload with a DenyAll direction, an essentials policy re-allowing what the platform needs in
 *   the denied directions only: egress to cluster DNS and the mesh control plane, ingress from the
 *   ingress gateway (apps), configured extra egress (builds). Without anything to re-allow there is none.
 * - An invalid value plans nothing for that workload: what was applied before stays, neither wider nor
 *   narrower. The other workload is planned as usual.
 * - Until the namespace exists nothing is planned.
 */
import type { Space, WorkloadNetworkConfig } from '../api/space.js';
import { KF_API_VERSION, SPACE_KIND } from '../api/space.js';
import type { Peer, PortSpec, Workload } from '../api/types.js';
import { LABEL_SPACE, LABEL_WORKLOAD } from '../api/types.js';
import type { EntityConfig } from '../config/entities.js';
import type { EssentialsConfig } from '../config/essentials.js';
import { labelValue, SPACE_POLICY_NAMES } from './names.js';
import { egressRule, ingressRule, ownedNetworkPolicy, type DesiredNetworkPolicy, type PlanEvent } from './network-policy.js';
import { planRules, type Direction, type SpecRule } from './rules.js';
import { workloadLabel, workloadPodSelector } from './selectors.js';

export const INVALID_NETWORK_CONFIG = 'InvalidNetworkConfig';

const WORKLOADS: readonly Workload[] = ['App', 'Build'];
const DIRECTIONS: readonly Direction[] = ['ingress', 'egress'];

export interface SpacePlanInput {
  space: Space;
  /** Whether the Space's namespace exists; undefined when not observed (offline rendering). */
  namespaceExists?: boolean;
  entities: EntityConfig;
  essentials: EssentialsConfig;
}

export interface SpaceWorkloadPlan {
  workload: Workload;
  /** Baseline, then essentials when needed; absent when the config is invalid (write nothing). */
  networkPolicies?: DesiredNetworkPolicy[];
  /** Names of this workload's policies that must not exist: an essentials policy no longer needed. */
  unwanted: string[];
  /** Why the workload's config is invalid, naming each field and value. */
  invalid?: string;
}

export interface SpacePlan {
  /** The Space's namespace: the Space's name. */
  namespace: string;
  /** The namespace does not exist yet: nothing is planned until it does. */
  waitingForNamespace: boolean;
  /** One per workload, app first; empty while waiting for the namespace. */
  workloads: SpaceWorkloadPlan[];
  /** One Warning (InvalidNetworkConfig) naming every invalid value, if any. */
  events: PlanEvent[];
}

type Setting = 'PermitAll' | 'DenyAll';

export function planSpace(input: SpacePlanInput): SpacePlan {
  const namespace = input.space.metadata.name;
  if (input.namespaceExists === false) return { namespace, waitingForNamespace: true, workloads: [], events: [] };
  const workloads = WORKLOADS.map((workload) => planWorkload(input, workload));
  const invalid = workloads.flatMap((w) => (w.invalid ? [w.invalid] : []));
  const events: PlanEvent[] = invalid.length ? [{ type: 'Warning', reason: INVALID_NETWORK_CONFIG, message: invalid.join(' ') }] : [];
  return { namespace, waitingForNamespace: false, workloads, events };
}

function planWorkload(input: SpacePlanInput, workload: Workload): SpaceWorkloadPlan {
  const label = workloadLabel(workload);
  const names = SPACE_POLICY_NAMES[label];
  const field = `spec.networkConfig.${label}NetworkPolicy`;
  const parsed = parseWorkloadConfig(input.space.spec?.networkConfig?.[`${label}NetworkPolicy`], field);
  if ('problems' in parsed) {
    const invalid = `${parsed.problems.join('; ')}. The ${label} policies applied before stay in place until this is corrected.`;
    return { workload, unwanted: [], invalid };
  }
  const baseline = spaceNetworkPolicy(input.space, workload, names.baseline, {
    podSelector: workloadPodSelector(workload),
    policyTypes: ['Ingress', 'Egress'],
    ...(parsed.ingress === 'PermitAll' ? { ingress: [{}] } : {}),
    ...(parsed.egress === 'PermitAll' ? { egress: [{}] } : {}),
  });
  const essentials = input.essentials.enabled ? essentialsPolicy(input, workload, parsed) : undefined;
  return essentials
    ? { workload, networkPolicies: [baseline, essentials], unwanted: [] }
    : { workload, networkPolicies: [baseline], unwanted: [names.essentials] };
}

function parseWorkloadConfig(config: unknown, field: string): Record<Direction, Setting> | { problems: string[] } {
  if (config === undefined || config === null) return { ingress: 'PermitAll', egress: 'PermitAll' };
  if (typeof config !== 'object' || Array.isArray(config)) {
    return { problems: [`${field}: invalid value ${JSON.stringify(config)}: must be a mapping with ingress and egress`] };
  }
  const problems: string[] = [];
  const settings = { ingress: 'PermitAll', egress: 'PermitAll' } as Record<Direction, Setting>;
  for (const direction of DIRECTIONS) {
    const value = (config as WorkloadNetworkConfig)[direction];
    if (value === 'PermitAll' || value === 'DenyAll') settings[direction] = value;
    else if (value !== undefined && value !== null && value !== '') {
      problems.push(`${field}.${direction}: invalid value ${JSON.stringify(value)}: must be PermitAll, DenyAll or empty (empty means PermitAll)`);
    }
  }
  return problems.length ? { problems } : settings;
}

/** The platform endpoints a denied direction would cut off, as spec rules with entity and CIDR peers. */
function essentialRules(workload: Workload, direction: Direction, buildEgress: EssentialsConfig['buildEgress']): SpecRule[] {
  const rule = (peer: Peer, ports?: PortSpec[]): SpecRule => ({ peers: [peer], ...(ports ? { ports } : {}) });
  if (direction === 'ingress') return workload === 'App' ? [rule({ entity: 'ingress-gateway' })] : [];
  const platform = [rule({ entity: 'dns' }), rule({ entity: 'mesh-control-plane' })];
  return workload === 'Build' ? [...platform, ...buildEgress.map((e) => rule({ cidr: e.cidr }, e.ports))] : platform;
}

function essentialsPolicy(input: SpacePlanInput, workload: Workload, settings: Record<Direction, Setting>): DesiredNetworkPolicy | undefined {
  const context = { namespace: input.space.metadata.name, entities: input.entities, apiServer: undefined };
  const denied = DIRECTIONS.filter((d) => settings[d] === 'DenyAll');
  const planned = denied.map((direction) => ({ direction, ...planRules(direction, essentialRules(workload, direction, input.essentials.buildEgress), context) }));
  const unknown = planned.flatMap((p) => p.unknownEntities);
  // Entities are merged over defaults when the configuration is loaded, so this is a programming error.
  if (unknown.length) throw new Error(`essentials cannot be planned: ${unknown.join('; ')}`);
  const withRules = planned.filter((p) => p.rules.length);
  if (!withRules.length) return undefined;
  const rulesOf = (direction: Direction) => withRules.find((p) => p.direction === direction)?.rules;
  const ingress = rulesOf('ingress');
  const egress = rulesOf('egress');
  return spaceNetworkPolicy(input.space, workload, SPACE_POLICY_NAMES[workloadLabel(workload)].essentials, {
    podSelector: workloadPodSelector(workload),
    policyTypes: withRules.map((p) => (p.direction === 'ingress' ? 'Ingress' : 'Egress')),
    ...(ingress ? { ingress: ingress.map(ingressRule) } : {}),
    ...(egress ? { egress: egress.map(egressRule) } : {}),
  });
}

function spaceNetworkPolicy(space: Space, workload: Workload, name: string, spec: DesiredNetworkPolicy['spec']): DesiredNetworkPolicy {
  const spaceName = space.metadata.name;
  const labels = { [LABEL_SPACE]: labelValue(spaceName), [LABEL_WORKLOAD]: workloadLabel(workload) };
  const owner = { apiVersion: KF_API_VERSION, kind: SPACE_KIND, name: spaceName, uid: space.metadata.uid };
  return ownedNetworkPolicy(owner, { name, namespace: spaceName, labels }, spec);
}
