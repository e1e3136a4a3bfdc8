/**
 * Why a flow is allowed or denied, in words a platform team acts on: per direction, the policies that
 * select the endpoint and the rules that admit the flow, or what isolates it (naming the Space setting
 * or policy) and the smallest change that would admit it. Serves `appnetpol explain` and the
 * `Reachable` condition.
 */
import { LABEL_NAMESPACE_NAME } from '../api/types.js';
import type { DirectionVerdict, PolicyRef, RuleRef, Verdict } from './engine.js';
import { describeEndpoint, isPod, type Endpoint, type Flow, type PolicyDirection } from './model.js';
import { describePolicy, policyOrigin, spaceSetting, spaceSettingField } from './origin.js';
import { appOfPod, type ReachabilityView } from './snapshot.js';

export interface DirectionExplanation {
  direction: PolicyDirection;
  allowed: boolean;
  /** The end this direction is about. */
  subject: string;
  /** The subject is an address outside the cluster: no policy applies to it. */
  outside: boolean;
  selectedBy: string[];
  admittedBy: string[];
  /** Denied only: what isolates the subject and that nothing admits the flow. */
  blockedBy?: string;
  /** Denied only: the smallest change that would admit the flow. */
  fix?: string;
}

export interface Explanation {
  allowed: boolean;
  from: string;
  to: string;
  protocol: string;
  port: number;
  egress: DirectionExplanation;
  ingress: DirectionExplanation;
}

export function explainFlow(view: ReachabilityView, flow: Flow, names: { from: string; to: string } = { from: describeEndpoint(flow.from), to: describeEndpoint(flow.to) }): Explanation {
  const verdict: Verdict = view.engine.evaluate(flow);
  return {
    allowed: verdict.allowed,
    from: names.from,
    to: names.to,
    protocol: flow.protocol,
    port: flow.port,
    egress: explainDirection(view, verdict.egress, flow, flow.to),
    ingress: explainDirection(view, verdict.ingress, flow, flow.from),
  };
}

function explainDirection(view: ReachabilityView, verdict: DirectionVerdict, flow: Flow, peer: Endpoint): DirectionExplanation {
  const base = {
    direction: verdict.direction,
    allowed: verdict.allowed,
    subject: describeEndpoint(verdict.subject),
    outside: !isPod(verdict.subject),
    selectedBy: verdict.selectedBy.map(describePolicy),
    admittedBy: verdict.admittedBy.map(describeRule),
  };
  if (verdict.allowed) return base;
  return { ...base, blockedBy: blockedBy(view, verdict, flow, peer), fix: smallestFix(view, verdict, flow, peer) };
}

function describeRule(ref: RuleRef): string {
  const peers = ref.direction === 'ingress' ? 'from' : 'to';
  const peer = ref.peer === undefined ? `(no ${peers}: every peer)` : `${peers}[${ref.peer}]`;
  return `${describePolicy(ref.policy)} ${ref.direction}[${ref.rule}] ${peer}`;
}

/** `partner-cp/partner-api`, `partner-cp/pod/x` or an address, as the flow's peer is named in messages. */
function peerName(endpoint: Endpoint): string {
  if (!isPod(endpoint)) return endpoint.ip;
  const app = appOf(endpoint);
  return app ? `${endpoint.pod.namespace}/${app}` : `${endpoint.pod.namespace}/pod/${endpoint.pod.name}`;
}

function appOf(endpoint: Endpoint): string | undefined {
  return isPod(endpoint) ? appOfPod(endpoint.pod) : undefined;
}

/** The Space baselines among the selecting policies that are DenyAll in this direction. */
function denyingBaselines(view: ReachabilityView, verdict: DirectionVerdict): { space: string; field: string }[] {
  return verdict.selectedBy.flatMap((ref: PolicyRef) => {
    const origin = policyOrigin(ref);
    if (origin.kind !== 'space-baseline' && origin.kind !== 'kf-space') return [];
    if (spaceSetting(view.networkPolicy(ref.namespace, ref.name), verdict.direction) !== 'DenyAll') return [];
    return [{ space: origin.space, field: spaceSettingField(origin.workload, verdict.direction) }];
  });
}

/** "global-auth is DenyAll for ingress (spec.networkConfig.appNetworkPolicy.ingress) and nothing there admits partner-cp/partner-api on TCP 5555" */
export function blockedBy(view: ReachabilityView, verdict: DirectionVerdict, flow: Flow, peer: Endpoint): string {
  const what = `${peerName(peer)} on ${flow.protocol} ${flow.port}`;
  const baselines = denyingBaselines(view, verdict);
  if (baselines.length) {
    const { space, field } = baselines[0];
    return `${space} is DenyAll for ${verdict.direction} (Space ${space} ${field}) and nothing there admits ${what}`;
  }
  const isolating = verdict.selectedBy.map(describePolicy).join(', ');
  return `${describeEndpoint(verdict.subject)} is isolated for ${verdict.direction} by ${isolating} and none of them admits ${what}`;
}

function specPeer(endpoint: Endpoint): string {
  if (!isPod(endpoint)) return `{cidr: ${endpoint.ip}/${endpoint.ip.includes(':') ? 128 : 32}}`;
  const app = appOf(endpoint);
  if (app) return `{app: ${app}, space: ${endpoint.pod.namespace}}`;
  const labels = Object.entries(endpoint.pod.labels).map(([k, v]) => `${k}: ${v}`).join(', ');
  return `{selector: {matchLabels: {${labels}}}, namespaceSelector: {matchLabels: {${LABEL_NAMESPACE_NAME}: ${endpoint.pod.namespace}}}}`;
}

/** An AppNetworkPolicy rule for the subject's app (added to its policy, or in a new one); for other pods, a NetworkPolicy rule. */
export function smallestFix(view: ReachabilityView, verdict: DirectionVerdict, flow: Flow, peer: Endpoint): string {
  const peersKey = verdict.direction === 'ingress' ? 'from' : 'to';
  const rule = `{${peersKey}: [${specPeer(peer)}], ports: [{protocol: ${flow.protocol}, port: ${flow.port}}]}`;
  const subject = verdict.subject;
  if (!isPod(subject)) return `nothing to change on ${describeEndpoint(subject)}`;
  const app = appOf(subject);
  const namespace = subject.pod.namespace;
  if (!app) return `add a NetworkPolicy in ${namespace} selecting pod ${subject.pod.name} with the ${verdict.direction} rule ${rule}`;
  const existing = view.policiesOfApp(namespace, app);
  const target = existing.find((p) => p.spec?.[verdict.direction] !== undefined) ?? existing[0];
  if (target) return `add an ${verdict.direction} rule to ${app}'s AppNetworkPolicy ${namespace}/${target.metadata.name}: ${rule}`;
  return `create an AppNetworkPolicy in ${namespace} for app ${app} with the ${verdict.direction} rule ${rule}`;
}

/** The text `appnetpol explain` prints: the verdict first, then each direction. */
export function formatExplanation(e: Explanation): string {
  const lines = [`${e.allowed ? 'ALLOWED' : 'DENIED'}: ${e.from} -> ${e.to} on ${e.protocol} ${e.port}`];
  for (const d of [e.egress, e.ingress]) {
    const title = d.direction === 'egress' ? `egress from ${d.subject}` : `ingress to ${d.subject}`;
    if (d.outside) {
      lines.push('', `${title}: allowed (outside the cluster: no NetworkPolicy applies)`);
      continue;
    }
    if (!d.selectedBy.length) {
      lines.push('', `${title}: allowed (no NetworkPolicy selects it for ${d.direction}: not isolated)`);
      continue;
    }
    lines.push('', `${title}: ${d.allowed ? 'allowed' : 'DENIED'}`, '  selected by:', ...d.selectedBy.map((s) => `    ${s}`));
    if (d.allowed) lines.push('  admitted by:', ...d.admittedBy.map((a) => `    ${a}`));
    else lines.push(`  blocked: ${d.blockedBy}`, `  to admit it: ${d.fix}`);
  }
  return `${lines.join('\n')}\n`;
}
