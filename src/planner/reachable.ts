/**
 * The `Reachable` condition: whether every flow an AppNetworkPolicy declares to or from another app
 * (each rule x each `{app, space}` peer) gets through the NetworkPolicies on both sides, as the engine
 * evaluates them. Informative only: it never changes Ready.
 *
 * - A rule with ports must get every declared port through; one without ports, at least one port.
 *   Named ports are resolved on the destination's pods.
 * - Unknown while the policy's own pods or a peer's pods are not known (no pod, no Kf App).
 * - False names each blocked flow, the side that blocks it, the Space setting or policy that does, and
 *   the smallest change that would admit it.
 */
import type { AppNetworkPolicy, Condition, PortSpec } from '../api/types.js';
import type { Flow, PodFacts } from '../reachability/model.js';
import { blockedBy, smallestFix } from '../reachability/explain.js';
import { firstUncovered, formatRange, intersectPorts, isEmptyPortSet, MAX_PORT, normalizePorts, type PortRange, type PortSet } from '../reachability/ports.js';
import { compileSelector } from '../reachability/selectors.js';
import type { AppEndpoint, ReachabilityView } from '../reachability/snapshot.js';
import { condition, Reason } from './conditions.js';
import { ruleLocation, specRulesByDirection } from './rules.js';

interface Outcome {
  blocked: string[];
  unknown: string[];
  checked: number;
}

export function reachableCondition(policy: AppNetworkPolicy, view: ReachabilityView, generation: number | undefined): Condition {
  const namespace = policy.metadata.namespace!;
  const own = ownEndpoint(policy, view);
  const ownName = policy.spec.app ? `${namespace}/${policy.spec.app}` : `the pods of ${namespace}/${policy.metadata.name}`;
  if (!own) return condition('Reachable', 'Unknown', Reason.PodsUnknown, `${ownName}: no pods (and no Kf App) are known yet`, generation);
  const outcome: Outcome = { blocked: [], unknown: [], checked: 0 };
  for (const { direction, rules } of specRulesByDirection(policy.spec)) {
    rules.forEach((rule, index) => {
      for (const peer of rule.peers ?? []) {
        if (peer.app === undefined) continue;
        const peerSpace = peer.space ?? namespace;
        const where = `${ruleLocation(direction, index, rule.name)} ${direction === 'ingress' ? 'from' : 'to'} ${peerSpace}/${peer.app}`;
        const other = view.app(peerSpace, peer.app);
        if (!other) {
          outcome.unknown.push(`${where}: no pods (and no Kf App) of ${peerSpace}/${peer.app} are known`);
          continue;
        }
        outcome.checked++;
        const [from, to] = direction === 'ingress' ? [other, own] : [own, other];
        const problem = blockedFlow(view, from, to, rule.ports);
        if (problem) outcome.blocked.push(`${where}: ${problem}`);
      }
    });
  }
  if (outcome.blocked.length) return condition('Reachable', 'False', Reason.BlockedByPeer, outcome.blocked.join('; '), generation);
  if (outcome.unknown.length) return condition('Reachable', 'Unknown', Reason.PodsUnknown, outcome.unknown.join('; '), generation);
  const message = outcome.checked ? `every declared flow to and from other apps gets through (${outcome.checked} checked)` : 'no flows to or from other apps are declared';
  return condition('Reachable', 'True', Reason.Reachable, message, generation);
}

function ownEndpoint(policy: AppNetworkPolicy, view: ReachabilityView): AppEndpoint | undefined {
  const namespace = policy.metadata.namespace!;
  if (policy.spec.app) return view.app(namespace, policy.spec.app);
  const selector = compileSelector(policy.spec.selector ?? {});
  const pods = view.podsIn(namespace).filter((p) => selector.matches(p.labels));
  return pods.length ? { space: namespace, app: policy.metadata.name, pods, standIn: false } : undefined;
}

/** The declared ports, named ones resolved on the destination pod; undefined: every port. */
function declaredPorts(ports: readonly PortSpec[] | undefined, destination: PodFacts): PortSet | undefined {
  if (!ports?.length) return undefined;
  const ranges: PortRange[] = ports.flatMap((p): PortRange[] => {
    const protocol = p.protocol ?? 'TCP';
    if (p.port === undefined) return [{ protocol, from: 1, to: MAX_PORT }];
    if (typeof p.port === 'number') return [{ protocol, from: p.port, to: p.endPort ?? p.port }];
    return destination.ports
      .filter((c) => c.name === p.port && (c.protocol ?? 'TCP') === protocol)
      .map((c) => ({ protocol, from: c.containerPort, to: c.containerPort }));
  });
  return normalizePorts(ranges);
}

/** Why the flow from `from` to `to` does not get through on its declared ports; undefined when it does. */
function blockedFlow(view: ReachabilityView, from: AppEndpoint, to: AppEndpoint, ports: readonly PortSpec[] | undefined): string | undefined {
  const source = { pod: from.pods[0] };
  const destination = { pod: to.pods[0] };
  const allowed = view.engine.allowedPorts(source, destination);
  const declared = declaredPorts(ports, to.pods[0]);
  if (declared !== undefined && isEmptyPortSet(declared)) return `the named ports are not declared by ${to.space}/${to.app}'s pods`;
  const missing = declared === undefined ? (isEmptyPortSet(allowed) ? { protocol: 'TCP' as const, port: firstPortOf(to) } : undefined) : firstUncovered(declared, allowed);
  if (!missing) return undefined;
  const flow: Flow = { from: source, to: destination, ...missing };
  const verdict = view.engine.evaluate(flow);
  const sides = [verdict.egress, verdict.ingress].filter((d) => !d.allowed);
  const what = declared === undefined ? 'no port gets through' : `${formatRange({ protocol: missing.protocol, from: missing.port, to: missing.port })} is blocked${partly(declared, allowed)}`;
  const reasons = sides.map((d) => {
    const side = d.direction === 'egress' ? `${from.space}/${from.app} (egress)` : `${to.space}/${to.app} (ingress)`;
    return `on the side of ${side}: ${blockedBy(view, d, flow, d.direction === 'egress' ? destination : source)}: ${smallestFix(view, d, flow, d.direction === 'egress' ? destination : source)}`;
  });
  return `${what} ${reasons.join('; and ')}`;
}

function partly(declared: PortSet, allowed: PortSet): string {
  return isEmptyPortSet(intersectPorts(declared, allowed)) ? '' : ' (other declared ports get through)';
}

/** A port to name in the message when a rule lists none: the destination's first declared port, else 80. */
function firstPortOf(app: AppEndpoint): number {
  return app.pods[0].ports[0]?.containerPort ?? 80;
}
