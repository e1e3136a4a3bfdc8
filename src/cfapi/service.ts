/** The policy operations behind the routes, for an authenticated caller. */
import { createHash } from 'node:crypto';
import type { KubeClient } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import type { Authorizer, UserInfo } from './auth.js';
import type { AppDirectory, AppRef } from './directory.js';
import { CfError, MESSAGES } from './errors.js';
import { matchesFilter, type ListFilter } from './filters.js';
import type { PolicyIndex, StoredPolicy } from './policy-index.js';
import { comparePolicies, policyKey, type CfPolicy } from './policy.js';
import { halvesOf, type PolicyStore } from './storage.js';

export interface Caller {
  user: UserInfo;
  /** May create AppNetworkPolicies everywhere: no quota, sees everything. */
  admin: boolean;
}

export interface ServiceDeps {
  client: KubeClient;
  authorizer: Authorizer;
  directory: AppDirectory;
  index: PolicyIndex;
  store: PolicyStore;
  log: Logger;
  /** Most policies one source app may have, for write callers. */
  quota: number;
}

export interface Tag {
  id: string;
  tag: string;
  type: 'app';
}

/** A stable tag per app GUID without shared state: 32 bits of its hash, upper-case hex. */
export function tagOf(guid: string): string {
  return createHash('sha256').update(guid).digest('hex').slice(0, 8).toUpperCase();
}

function uniquePolicies(policies: CfPolicy[]): CfPolicy[] {
  return [...new Map(policies.map((p) => [policyKey(p), p])).values()];
}

export class CfPolicyService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(caller: Caller, requested: CfPolicy[]): Promise<void> {
    const policies = uniquePolicies(requested);
    const apps = await this.resolveApps(caller, policies);
    if (!caller.admin) this.checkQuota(policies);
    // Every half goes to the store, even where the index lists the policy: the index may lag a delete made
    // a moment ago (here or by another replica), and only the store confirms a no-op against the API server.
    await this.deps.store.add(policies.flatMap((policy) => halvesOf(policy, apps.get(policy.source)!, apps.get(policy.destination)!)));
  }

  async delete(caller: Caller, requested: CfPolicy[]): Promise<void> {
    const policies = uniquePolicies(requested);
    if (!caller.admin) await this.resolveApps(caller, policies);
    // Where the index does not list a policy (yet), its apps say where it would be stored.
    const halves = policies.flatMap((policy) => {
      const stored = this.deps.index.get(policy);
      if (stored) return halvesOf(stored, stored.sourceApp, stored.destinationApp);
      const source = this.deps.directory.byGuid(policy.source);
      const destination = this.deps.directory.byGuid(policy.destination);
      return source && destination ? halvesOf(policy, source, destination) : [];
    });
    await this.deps.store.remove(halves);
  }

  async list(caller: Caller, filter: ListFilter): Promise<StoredPolicy[]> {
    const candidates = filter.kind === 'either' ? this.deps.index.involvingSorted(filter.ids) : this.deps.index.sorted(this.candidates(filter));
    return caller.admin ? candidates : await this.visibleTo(caller.user, candidates);
  }

  /**
   * Deletes the policies whose source or destination app is gone, judged by a fresh list of the apps:
   * if that list cannot be read, nothing is deleted.
   */
  async cleanup(): Promise<StoredPolicy[]> {
    const existing = await this.deps.directory.freshGuids(this.deps.client).catch((error: Error) => {
      this.deps.log.error({ err: error }, 'cleanup: listing apps failed; deleting nothing');
      throw new CfError(500, MESSAGES.readFailed);
    });
    const stale = [...this.deps.index.all()].filter((p) => !existing.has(p.source) || !existing.has(p.destination));
    await this.deps.store.remove(stale.flatMap((p) => halvesOf(p, p.sourceApp, p.destinationApp)));
    if (stale.length) this.deps.log.info({ policies: stale.length }, 'cleanup deleted policies of apps that no longer exist');
    return stale.sort(comparePolicies);
  }

  tags(): Tag[] {
    return [...this.deps.index.guids()].sort().map((id) => ({ id, tag: tagOf(id), type: 'app' }));
  }

  /** Every app must exist and, for a write caller, live in a namespace it may write to. */
  private async resolveApps(caller: Caller, policies: CfPolicy[]): Promise<Map<string, AppRef>> {
    const apps = new Map<string, AppRef>();
    for (const guid of new Set(policies.flatMap((p) => [p.source, p.destination]))) {
      const app = this.deps.directory.byGuid(guid);
      if (!app) throw new CfError(403, MESSAGES.inaccessibleApps);
      apps.set(guid, app);
    }
    if (!caller.admin) {
      const namespaces = [...new Set([...apps.values()].map((a) => a.namespace))];
      const allowed = await Promise.all(namespaces.map((namespace) => this.deps.authorizer.mayWrite(caller.user, namespace)));
      if (allowed.includes(false)) throw new CfError(403, MESSAGES.inaccessibleApps);
    }
    return apps;
  }

  private checkQuota(policies: CfPolicy[]): void {
    const added = new Map<string, number>();
    for (const policy of policies) {
      if (!this.deps.index.get(policy)) added.set(policy.source, (added.get(policy.source) ?? 0) + 1);
    }
    for (const [source, count] of added) {
      if (this.deps.index.withSource(source).length + count > this.deps.quota) throw new CfError(403, MESSAGES.quotaExceeded);
    }
  }

  /** What a source/destination filter matches, looked up by GUID rather than by scanning every policy. */
  private candidates(filter: Exclude<ListFilter, { kind: 'either' }>): StoredPolicy[] {
    const { index } = this.deps;
    // Looked up by sources, checked for destinations (when both are given).
    if (filter.kind === 'both' && filter.sources) return index.involving(filter.sources, { source: true, destination: false }).filter((p) => matchesFilter(filter, p));
    if (filter.kind === 'both' && filter.destinations) return index.involving(filter.destinations, { source: false, destination: true });
    return [...index.all()];
  }

  /** Asks about every namespace concerned at once, then keeps (in order) the policies whose both apps the user may write. */
  private async visibleTo(user: UserInfo, policies: StoredPolicy[]): Promise<StoredPolicy[]> {
    const namespaces = [...new Set(policies.flatMap((p) => [p.sourceApp.namespace, p.destinationApp.namespace]))];
    const allowed = new Set((await Promise.all(namespaces.map(async (ns) => ((await this.deps.authorizer.mayWrite(user, ns)) ? ns : undefined)))).filter((ns) => ns !== undefined));
    return policies.filter((p) => allowed.has(p.sourceApp.namespace) && allowed.has(p.destinationApp.namespace));
  }
}
