/**
 * The ResolvedRefs condition: do the target app and every peer app and space exist?
 *
 * Missing references do not stop the NetworkPolicy from being written: its selectors start matching
 * when the app or space appears. What cannot be checked is said so: offline (no namespaces observed)
 * the condition is Unknown; without the apps.kf.dev CRD, app references are taken as resolved.
 */
import type { AppNetworkPolicy, Condition, ConditionStatus } from '../api/types.js';
import { condition, Reason } from './conditions.js';
import type { ClusterFacts } from './facts.js';
import { ruleLocation, specRulesByDirection } from './rules.js';

interface AppRef {
  space: string;
  app: string;
  /** Where the reference is written, for messages. */
  location: string;
}

/** Messages list this many missing references, then a count of the rest. */
const MAX_LISTED = 10;

function appRefs(policy: AppNetworkPolicy): AppRef[] {
  const namespace = policy.metadata.namespace ?? '';
  const { spec } = policy;
  const refs: AppRef[] = spec.app ? [{ space: namespace, app: spec.app, location: 'spec.app' }] : [];
  for (const { direction, rules } of specRulesByDirection(spec)) {
    rules.forEach((rule, index) => {
      for (const peer of rule.peers ?? []) {
        if (!peer.app) continue;
        refs.push({ space: peer.space ?? namespace, app: peer.app, location: ruleLocation(direction, index, rule.name) });
      }
    });
  }
  return refs;
}

/** `what not found (where, where)` per distinct reference. */
function describeMissing(missing: Map<string, Set<string>>): string[] {
  return [...missing].map(([what, locations]) => `${what} not found (${[...locations].join(', ')})`);
}

function addTo(missing: Map<string, Set<string>>, what: string, location: string): void {
  const locations = missing.get(what) ?? new Set<string>();
  locations.add(location);
  missing.set(what, locations);
}

export function resolvedRefsCondition(policy: AppNetworkPolicy, facts: ClusterFacts): Condition {
  const resolvedRefs = (status: ConditionStatus, reason: string, message: string) =>
    condition('ResolvedRefs', status, reason, message, policy.metadata.generation);
  const refs = appRefs(policy);
  const missingSpaces = new Map<string, Set<string>>();
  const missingApps = new Map<string, Set<string>>();
  for (const ref of refs) {
    if (facts.namespaces && !facts.namespaces.has(ref.space)) {
      addTo(missingSpaces, `space ${ref.space}`, ref.location);
    } else if (facts.apps && !facts.apps.get(ref.space)?.has(ref.app)) {
      addTo(missingApps, `app ${ref.space}/${ref.app}`, ref.location);
    }
  }
  const problems = [...describeMissing(missingSpaces), ...describeMissing(missingApps)];
  if (problems.length) {
    const listed = problems.slice(0, MAX_LISTED).join('; ');
    const more = problems.length > MAX_LISTED ? ` and ${problems.length - MAX_LISTED} more` : '';
    return resolvedRefs(
      'False',
      missingSpaces.size ? Reason.SpaceNotFound : Reason.AppNotFound,
      `${listed}${more}. The NetworkPolicy is written anyway; it matches them once they exist.`,
    );
  }
  if (!refs.length) return resolvedRefs('True', Reason.ResolvedRefs, 'the policy references no app or space');
  if (!facts.namespaces) {
    return resolvedRefs('Unknown', Reason.RefsNotChecked, 'cluster state not observed (offline): apps and spaces were not checked');
  }
  const message = facts.apps
    ? 'the app and every referenced app and space exist'
    : 'every referenced space exists; apps were not checked because the apps.kf.dev CRD is not installed';
  return resolvedRefs('True', Reason.ResolvedRefs, message);
}
