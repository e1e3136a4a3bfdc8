/**
 * Whether NetworkPolicy is enforced, from the DaemonSets the cluster runs and the dataplane
 * configuration: pure, so the Enforced message can be tested for every known dataplane.
 */
import { KNOWN_DATAPLANES, type DataplaneConfig, type DataplaneSignature, type EnforcementEvidence } from '../config/dataplanes.js';
import type { DataplaneFact } from './facts.js';

/** The part of a DaemonSet detection reads. */
export interface DaemonSetView {
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: { name: string; image?: string; command?: string[]; args?: string[] }[] } } };
}

/** Every signature detection looks for: the known ones, then the configured ones. */
export function signatures(config: DataplaneConfig): DataplaneSignature[] {
  return [...KNOWN_DATAPLANES, ...config.additional];
}

/** The namespaces whose DaemonSets detection reads. */
export function dataplaneNamespaces(config: DataplaneConfig): string[] {
  return [...new Set(signatures(config).map((s) => s.namespace))].sort();
}

export function detectDataplane(daemonSets: readonly DaemonSetView[], config: DataplaneConfig): DataplaneFact {
  if (config.enforcement === 'enforced') {
    return { state: 'Detected', detail: 'the operator configuration states that NetworkPolicy is enforced (dataplane.enforcement: enforced)' };
  }
  if (config.enforcement === 'not-enforced') {
    return { state: 'NotEnforced', detail: 'the operator configuration states that NetworkPolicy is not enforced (dataplane.enforcement: not-enforced)' };
  }
  const byKey = new Map(daemonSets.map((d) => [`${d.metadata?.namespace}/${d.metadata?.name}`, d]));
  const enforcing: string[] = [];
  const notEnforcing: string[] = [];
  for (const signature of signatures(config)) {
    const where = `${signature.namespace}/${signature.daemonSet}`;
    const found = byKey.get(where);
    if (!found) continue;
    const missing = signature.evidence ? missingEvidence(found, signature.evidence) : undefined;
    if (missing) notEnforcing.push(`${signature.name} (DaemonSet ${where}: ${missing})`);
    else enforcing.push(`${signature.name} (DaemonSet ${where}${signature.evidence ? `, ${describe(signature.evidence)}` : ''})`);
  }
  if (enforcing.length) return { state: 'Detected', detail: `NetworkPolicy is enforced by ${enforcing.join('; ')}` };
  const present = notEnforcing.length ? `found ${notEnforcing.join('; ')}; ` : '';
  return {
    state: 'NotDetected',
    detail:
      `${present}no DaemonSet of a NetworkPolicy-enforcing dataplane was found in ${dataplaneNamespaces(config).join(', ')}. ` +
      'If the CNI enforces NetworkPolicy, add it to dataplane.additional in the operator configuration or set dataplane.enforcement: enforced',
  };
}

function describe(evidence: EnforcementEvidence): string {
  if (evidence.arg) return `container ${evidence.container} runs with ${evidence.arg}`;
  if (evidence.minImageTag) return `container ${evidence.container} image ${evidence.minImageTag} or later`;
  return `container ${evidence.container} present`;
}

/** Why `daemonSet` does not show `evidence`, or undefined when it does. */
function missingEvidence(daemonSet: DaemonSetView, evidence: EnforcementEvidence): string | undefined {
  const container = daemonSet.spec?.template?.spec?.containers?.find((c) => c.name === evidence.container);
  if (!container) return `it has no ${evidence.container} container, so enforcement is off`;
  if (evidence.arg && ![...(container.command ?? []), ...(container.args ?? [])].includes(evidence.arg)) {
    return `container ${evidence.container} does not run with ${evidence.arg}, so enforcement is off`;
  }
  if (evidence.minImageTag) {
    const tag = imageTag(container.image);
    if (tag === undefined || tag < evidence.minImageTag) {
      return `container ${evidence.container} runs image ${container.image ?? '(none)'}, older than ${evidence.minImageTag} or without a comparable tag, which does not enforce`;
    }
  }
  return undefined;
}

/** The tag of an image reference (registry ports and digests aside), if it has one. */
function imageTag(image: string | undefined): string | undefined {
  const withoutDigest = image?.split('@')[0] ?? '';
  const lastPart = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastPart.indexOf(':');
  return colon === -1 ? undefined : lastPart.slice(colon + 1);
}
