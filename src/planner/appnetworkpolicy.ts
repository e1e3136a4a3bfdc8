/**
 * The pure AppNetworkPolicy planner: spec + observed cluster facts -> the desired NetworkPolicy and the
 * Accepted, ResolvedRefs and Enforced conditions. The controller adds Programmed and Ready after applying.
 *
 * - Target pods: `app` selects `app.kubernetes.io/name=<app>` and `kf.dev/networkpolicy=<workload>`;
 *   `selector` is used as given, because the non-Kf workloads it is for carry no Kf labels. `workload`
 *   still names which pods the policy is about in the `kf.dev/networkpolicy` label of the object.
 * - `policyTypes` lists the directions present in the spec. A present but empty list denies that
 *   direction (apart from what other NetworkPolicies, such as the Space baseline, allow); an absent one
 *   is left to other policies.
 * - No NetworkPolicy is planned when the spec is invalid or names an entity that cannot be expanded;
 *   the controller then leaves the one it wrote before in place instead of widening or narrowing.
 */
import type { AppNetworkPolicy, AppNetworkPolicySpec, Condition } from '../api/types.js';
import { API_VERSION, KIND, LABEL_POLICY, LABEL_WORKLOAD } from '../api/types.js';
import type { EntityConfig } from '../config/entities.js';
import { condition, Reason } from './conditions.js';
import type { ClusterFacts } from './facts.js';
import { labelValue, networkPolicyName } from './names.js';
import { egressRule, ingressRule, ownedNetworkPolicy, type DesiredNetworkPolicy, type PlanEvent } from './network-policy.js';
import type { PeerContext } from './peers.js';
import { resolvedRefsCondition } from './refs.js';
import { planRules, ruleLocation, specRulesByDirection } from './rules.js';
import { appPodSelector, canonicalSelector, selectorKeyProblems, workloadLabel } from './selectors.js';

export interface AppNetworkPolicyPlanInput {
  policy: AppNetworkPolicy;
  facts: ClusterFacts;
  entities: EntityConfig;
  /** Schema and CEL validation messages (`path: message`); any of them rejects the spec. */
  schemaErrors?: string[];
}

export interface AppNetworkPolicyPlan {
  /** Absent: write nothing and leave what exists in place. */
  networkPolicy?: DesiredNetworkPolicy;
  /** Accepted, ResolvedRefs and Enforced, each for the policy's generation. */
  conditions: Condition[];
  /** A Warning for every condition that is False. */
  events: PlanEvent[];
}

const LEFT_IN_PLACE = 'No NetworkPolicy is written for this generation; the one written before, if any, stays in place.';

export function planAppNetworkPolicy(input: AppNetworkPolicyPlanInput): AppNetworkPolicyPlan {
  const { policy, facts } = input;
  const generation = policy.metadata.generation;
  const enforced = enforcedCondition(facts, generation);

  const specErrors = input.schemaErrors?.length ? input.schemaErrors : specInvariantProblems(policy.spec);
  if (specErrors.length) {
    return finish(undefined, [
      condition('Accepted', 'False', Reason.InvalidSpec, `the spec is invalid: ${specErrors.join('; ')}. ${LEFT_IN_PLACE}`, generation),
      condition('ResolvedRefs', 'Unknown', Reason.RefsNotChecked, 'not checked while the spec is invalid', generation),
      enforced,
    ]);
  }

  const namespace = requiredNamespace(policy);
  const context: PeerContext = { namespace, entities: input.entities, apiServer: facts.apiServer };
  const directions = specRulesByDirection(policy.spec).map(({ direction, rules }) => ({
    direction,
    ...planRules(direction, rules, context),
  }));
  const unknownEntities = directions.flatMap((d) => d.unknownEntities);
  const resolvedRefs = resolvedRefsCondition(policy, facts);
  if (unknownEntities.length) {
    return finish(undefined, [
      condition('Accepted', 'False', Reason.UnknownEntity, `${unknownEntities.join('; ')}. ${LEFT_IN_PLACE}`, generation),
      resolvedRefs,
      enforced,
    ]);
  }

  const ingress = directions.find((d) => d.direction === 'ingress');
  const egress = directions.find((d) => d.direction === 'egress');
  const { app, selector, workload } = policy.spec;
  const networkPolicy = desiredNetworkPolicy(policy, namespace, {
    podSelector: app ? appPodSelector(app, workload) : canonicalSelector(selector),
    ...(ingress?.rules.length ? { ingress: ingress.rules.map(ingressRule) } : {}),
    ...(egress?.rules.length ? { egress: egress.rules.map(egressRule) } : {}),
    policyTypes: directions.map((d) => (d.direction === 'ingress' ? 'Ingress' : 'Egress')),
  });
  return finish(networkPolicy, [
    condition('Accepted', 'True', Reason.Accepted, 'the spec is valid and every entity is known', generation),
    resolvedRefs,
    enforced,
  ]);
}

function finish(networkPolicy: DesiredNetworkPolicy | undefined, conditions: Condition[]): AppNetworkPolicyPlan {
  const events = conditions
    .filter((c) => c.status === 'False')
    .map((c): PlanEvent => ({ type: 'Warning', reason: c.reason, message: c.message }));
  return { ...(networkPolicy ? { networkPolicy } : {}), conditions, events };
}

function requiredNamespace(policy: AppNetworkPolicy): string {
  if (!policy.metadata.namespace) throw new Error(`AppNetworkPolicy ${policy.metadata.name} has no namespace`);
  return policy.metadata.namespace;
}

function desiredNetworkPolicy(
  policy: AppNetworkPolicy,
  namespace: string,
  spec: DesiredNetworkPolicy['spec'],
): DesiredNetworkPolicy {
  const { name, uid } = policy.metadata;
  const labels = { [LABEL_POLICY]: labelValue(name), [LABEL_WORKLOAD]: workloadLabel(policy.spec.workload) };
  return ownedNetworkPolicy({ apiVersion: API_VERSION, kind: KIND, name, uid }, { name: networkPolicyName(name), namespace, labels }, spec);
}

function enforcedCondition(facts: ClusterFacts, generation: number | undefined): Condition {
  if (facts.dataplane?.state === 'Detected') {
    const message = `NetworkPolicy-enforcing dataplane detected: ${facts.dataplane.detail}`;
    return condition('Enforced', 'True', Reason.Enforced, message, generation);
  }
  if (facts.dataplane?.state === 'NotEnforced') {
    return condition('Enforced', 'False', Reason.NotEnforced, `${facts.dataplane.detail}; NetworkPolicies are written but nothing enforces them`, generation);
  }
  const detail = facts.dataplane?.detail ?? 'the dataplane has not been observed (offline, or not detected yet)';
  return condition(
    'Enforced',
    'Unknown',
    Reason.NoEnforcingDataplaneDetected,
    `${detail}; NetworkPolicies are written but may not be enforced without a NetworkPolicy-enforcing CNI`,
    generation,
  );
}

/**
 * Shapes the planner relies on. The CRD schema rejects these at admission; checking here keeps an object
 * that bypassed it (older CRD, offline file) from turning into a policy that selects every pod.
 */
function specInvariantProblems(spec: AppNetworkPolicySpec): string[] {
  const problems: string[] = [];
  if ((spec.app === undefined) === (spec.selector === undefined)) problems.push('spec: set exactly one of app and selector');
  if (!spec.ingress && !spec.egress) {
    problems.push('spec: list ingress, egress or both (an empty list denies that direction)');
  }
  problems.push(...selectorKeyProblems(spec.selector, 'spec.selector'));
  for (const { direction, rules } of specRulesByDirection(spec)) {
    rules.forEach((rule, index) => {
      const location = ruleLocation(direction, index, rule.name);
      for (const peer of rule.peers ?? []) {
        const kinds = [peer.app ?? peer.space, peer.selector ?? peer.namespaceSelector, peer.entity, peer.cidr ?? peer.except];
        if (kinds.filter((k) => k !== undefined).length !== 1) {
          problems.push(`${location}: each peer needs exactly one of app, selector/namespaceSelector, entity, cidr`);
        }
        problems.push(...selectorKeyProblems(peer.selector, `${location} selector`), ...selectorKeyProblems(peer.namespaceSelector, `${location} namespaceSelector`));
      }
    });
  }
  return problems;
}
