/**
 * `appnetpol render FILE`: what the operator would write for the AppNetworkPolicies and Kf Spaces in a
 * manifest, planned offline, so a GitOps reviewer sees the NetworkPolicies a change produces.
 *
 * Offline there is no cluster: spaces and apps are not checked (ResolvedRefs Unknown), the dataplane is
 * not observed (Enforced Unknown), owner references carry a placeholder uid, and the kube-apiserver
 * entity is drawn with a placeholder address from the documentation range (RFC 5737) unless the caller
 * passes the real endpoints. Each of these is said in a comment next to the object it affects. A Space's
 * namespace is taken to exist.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { isSpace, type Space } from '../api/space.js';
import type { AppNetworkPolicy, Condition } from '../api/types.js';
import { API_VERSION, KIND } from '../api/types.js';
import { formatIssue, type ValidationIssue } from '../api/validate.js';
import { DEFAULT_ENTITIES, type EntityConfig } from '../config/entities.js';
import { DEFAULT_ESSENTIALS, type EssentialsConfig } from '../config/essentials.js';
import { planAppNetworkPolicy, type AppNetworkPolicyPlan } from '../planner/appnetworkpolicy.js';
import type { ApiServerEndpoints } from '../planner/facts.js';
import { specRulesByDirection } from '../planner/rules.js';
import { planSpace, type SpacePlan } from '../planner/space.js';

export interface RenderOptions {
  /** The CRD schema + CEL validation: `validateAppNetworkPolicy`, passed in so tests can stand in for it. */
  validate: (obj: unknown) => ValidationIssue[];
  entities?: EntityConfig;
  essentials?: EssentialsConfig;
  /** Real kube-apiserver endpoints; without them a placeholder is drawn. */
  apiServer?: ApiServerEndpoints;
  /** Namespace for documents that name none, as kubectl would use; default `default`. */
  namespace?: string;
}

export interface RenderResult {
  /** The desired objects as multi-document YAML, each preceded by its source and conditions as comments. */
  yaml: string;
  /** What keeps the manifest from producing what it says: parse errors, rejected policies, invalid Spaces. */
  problems: string[];
}

export const PLACEHOLDER_UID = '00000000-0000-0000-0000-000000000000';
export const PLACEHOLDER_API_SERVER: ApiServerEndpoints = { addresses: ['192.0.2.1'], ports: [{ port: 6443, protocol: 'TCP' }] };

/** Output options shared with the golden tests: no folded lines, no YAML anchors. */
export const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

export function renderManifests(text: string, source: string, options: RenderOptions): RenderResult {
  const blocks: string[] = [];
  const problems: string[] = [];
  parseAllDocuments(text).forEach((document, index) => {
    const where = `${source} document ${index + 1}`;
    if (document.errors.length) {
      problems.push(...document.errors.map((e) => `${where}: ${e.message}`));
      return;
    }
    const object: unknown = document.toJS();
    const rendered = isAppNetworkPolicy(object) ? renderPolicy(object, where, options) : isSpace(object) ? renderSpace(object, where, options) : undefined;
    if (!rendered) return;
    blocks.push(rendered.block);
    problems.push(...rendered.problems);
  });
  const header = comment([
    `Rendered offline by appnetpol from ${source}: spaces and apps are not checked, the dataplane is not observed,`,
    `and owner references of objects without a uid carry ${PLACEHOLDER_UID}; the API server assigns the real one.`,
  ]);
  return { yaml: [header, ...blocks].join('---\n'), problems };
}

export function isAppNetworkPolicy(object: unknown): object is AppNetworkPolicy {
  if (typeof object !== 'object' || object === null) return false;
  const { apiVersion, kind } = object as Record<string, unknown>;
  return apiVersion === API_VERSION && kind === KIND;
}

/** An AppNetworkPolicy manifest planned offline: namespace defaulted, placeholders where the cluster would say. */
export function planPolicyOffline(manifest: AppNetworkPolicy, options: RenderOptions): { policy: AppNetworkPolicy; plan: AppNetworkPolicyPlan; schemaErrors: string[] } {
  const metadata = manifest.metadata ?? { name: '' };
  const namespace = metadata.namespace ?? options.namespace ?? 'default';
  const policy: AppNetworkPolicy = { ...manifest, metadata: { ...metadata, namespace, uid: metadata.uid ?? PLACEHOLDER_UID } };
  const schemaErrors = options.validate(manifest).map(formatIssue);
  const plan = planAppNetworkPolicy({
    policy,
    facts: { apiServer: options.apiServer ?? PLACEHOLDER_API_SERVER },
    entities: options.entities ?? DEFAULT_ENTITIES,
    schemaErrors,
  });
  return { policy, plan, schemaErrors };
}

/** A Kf Space manifest planned offline (its namespace taken to exist). */
export function planSpaceOffline(manifest: Space, options: Omit<RenderOptions, 'validate'>): { space: Space; plan: SpacePlan } {
  const metadata = manifest.metadata ?? { name: '' };
  const space: Space = { ...manifest, metadata: { ...metadata, uid: metadata.uid ?? PLACEHOLDER_UID } };
  return { space, plan: planSpace({ space, entities: options.entities ?? DEFAULT_ENTITIES, essentials: options.essentials ?? DEFAULT_ESSENTIALS }) };
}

function renderPolicy(manifest: AppNetworkPolicy, where: string, options: RenderOptions): { block: string; problems: string[] } {
  const { policy, plan, schemaErrors } = planPolicyOffline(manifest, options);
  const title = `AppNetworkPolicy ${policy.metadata.namespace}/${policy.metadata.name} (${where})`;
  const notes = [title, ...plan.conditions.map(describeCondition)];
  if (!options.apiServer && !schemaErrors.length && usesEntity(policy, 'kube-apiserver')) {
    const placeholder = PLACEHOLDER_API_SERVER.addresses.join(', ');
    notes.push(`kube-apiserver is drawn at placeholder ${placeholder}; the operator uses the live default/kubernetes endpoints`);
  }
  if (!plan.networkPolicy) notes.push('no NetworkPolicy is rendered for this policy');
  const block = comment(notes) + (plan.networkPolicy ? stringify(plan.networkPolicy, YAML_OPTIONS) : '');
  const rejected = plan.conditions.filter((c) => c.type === 'Accepted' && c.status === 'False');
  return { block, problems: rejected.map((c) => `${title}: ${c.reason}: ${c.message}`) };
}

function renderSpace(manifest: Space, where: string, options: RenderOptions): { block: string; problems: string[] } {
  const { space, plan } = planSpaceOffline(manifest, options);
  const title = `Space ${space.metadata.name} (${where})`;
  const notes = [title, ...plan.workloads.flatMap((w) => (w.invalid ? [`  ${w.invalid}`] : []))];
  const objects = plan.workloads.flatMap((w) => w.networkPolicies ?? []).map((np) => stringify(np, YAML_OPTIONS));
  const block = comment(notes) + objects.join('---\n');
  return { block, problems: plan.events.map((e) => `${title}: ${e.reason}: ${e.message}`) };
}

function describeCondition(c: Condition): string {
  return `  ${c.type} ${c.status} (${c.reason}): ${c.message}`;
}

function usesEntity(policy: AppNetworkPolicy, entity: string): boolean {
  return specRulesByDirection(policy.spec).some(({ rules }) => rules.some((r) => r.peers?.some((p) => p.entity === entity)));
}

function comment(lines: string[]): string {
  return lines.map((line) => `# ${line.replace(/\s*\n\s*/g, ' ')}\n`).join('');
}
