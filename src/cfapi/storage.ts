/**
 * Writes policies into AppNetworkPolicies: one object `cf-<app>` per app, in the app's namespace, with
 * an egress rule per policy the app sends on and an ingress rule per policy it receives on. Every write
 * is a read-modify-write guarded by resourceVersion, retried on conflicts, so replicas can write the
 * same object at once. A request that fails part-way undoes the halves it added (see `applyAll`).
 */
import { API_VERSION, KIND, LABEL_MANAGED_BY, MANAGED_BY, PLURAL, GROUP, VERSION, type AppNetworkPolicy, type EgressRule, type IngressRule } from '../api/types.js';
import { LIMITS } from '../api/appnetworkpolicy-schema.js';
import { isConflict, isNotFound, type KubeClient, type KubeObject } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import { CfError, MESSAGES } from './errors.js';
import type { AppLocation, Direction, PolicyIndex } from './policy-index.js';
import { ruleName, type CfPolicy } from './policy.js';

/** Marks the AppNetworkPolicies this service owns (next to app.kubernetes.io/managed-by). */
export const LABEL_SOURCE = 'networking.kf.dev/source';
export const SOURCE_CF_API = 'cf-api';
export const CF_API_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_SOURCE}=${SOURCE_CF_API}`;

const MAX_ATTEMPTS = 20;
/** Objects written at once by one request (a cleanup may touch thousands). */
const WRITE_CONCURRENCY = 16;
/** Recent own writes remembered, enough for the objects of a few requests in flight. */
const WRITTEN_MEMORY = 4096;

type StoredObject = AppNetworkPolicy & KubeObject;

export function objectName(app: string): string {
  return `cf-${app}`;
}

/** One half of a policy: the rule in one app's object. */
export interface Half {
  app: AppLocation;
  direction: Direction;
  rule: EgressRule | IngressRule;
}

export function halvesOf(policy: CfPolicy, source: AppLocation, destination: AppLocation): Half[] {
  const name = ruleName(policy);
  const ports = [{ protocol: policy.protocol === 'tcp' ? ('TCP' as const) : ('UDP' as const), port: policy.start, ...(policy.end > policy.start ? { endPort: policy.end } : {}) }];
  return [
    { app: source, direction: 'egress', rule: { name, to: [{ app: destination.name, space: destination.namespace }], ports } },
    { app: destination, direction: 'ingress', rule: { name, from: [{ app: source.name, space: source.namespace }], ports } },
  ];
}

/** What to do to one object: rules to add (unless present) and rule names to remove, per direction. */
interface ObjectChange {
  app: AppLocation;
  add: Half[];
  remove: { direction: Direction; name: string }[];
}

function groupByObject(adds: Half[], removes: Half[]): ObjectChange[] {
  const changes = new Map<string, ObjectChange>();
  const changeOf = (app: AppLocation) => {
    const key = `${app.namespace}/${app.name}`;
    let change = changes.get(key);
    if (!change) changes.set(key, (change = { app, add: [], remove: [] }));
    return change;
  };
  for (const half of adds) changeOf(half.app).add.push(half);
  for (const half of removes) changeOf(half.app).remove.push({ direction: half.direction, name: half.rule.name! });
  return [...changes.values()];
}

/** Like Promise.allSettled over `items.map(task)`, with at most `limit` tasks running. */
async function settleEach<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      results[i] = await task(items[i]).then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class PolicyStore {
  /** What this process wrote last, per path: newer than the informer cache until the watch catches up. */
  private readonly written = new Map<string, StoredObject | null>();

  constructor(
    private readonly client: KubeClient,
    private readonly index: PolicyIndex,
    private readonly log: Logger,
    /** The informer's copy of an object, so a write needs no read first; a conflict falls back to a fresh GET. */
    private readonly cached: (namespace: string, name: string) => StoredObject | undefined = () => undefined,
  ) {}

  /**
   * Adds the halves missing from their objects. All or nothing: when one object cannot be written, the
   * rules this call added elsewhere are removed again. Should that undo fail too (the API server went
   * away), the halves it left are listed and a repeated create completes them or a delete removes them.
   */
  async add(halves: Half[]): Promise<void> {
    const changes = groupByObject(halves, []);
    const results = await settleEach(changes, WRITE_CONCURRENCY, (change) => this.write(change));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failure) return;
    const undo = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    await settleEach(groupByObject([], undo), WRITE_CONCURRENCY, (change) => this.write(change)).then((undone) => {
      const failed = undone.filter((r) => r.status === 'rejected').length;
      if (failed) this.log.warn({ objects: failed }, 'could not undo a partly written create; a repeated create or delete completes it');
    });
    throw failure.reason;
  }

  /** Removes the halves; one that cannot be removed stays listed, so deleting again finishes the job. */
  async remove(halves: Half[]): Promise<void> {
    const results = await settleEach(groupByObject([], halves), WRITE_CONCURRENCY, (change) => this.write(change));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** Applies one object change with optimistic concurrency; returns the halves it actually added. */
  private async write(change: ObjectChange): Promise<Half[]> {
    const name = objectName(change.app.name);
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${change.app.namespace}/${PLURAL}/${name}`;
    for (let attempt = 1; ; attempt++) {
      try {
        const current = attempt === 1 ? this.latestKnown(change.app.namespace, name, path) : await this.client.get<StoredObject>(path).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
        return await this.writeOnce(change, path, current);
      } catch (error) {
        // A 404 means the copy we wrote against was gone already; the next attempt reads afresh.
        if (!(isConflict(error) || isNotFound(error)) || attempt >= MAX_ATTEMPTS) throw asCfError(error, this.log, path);
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      }
    }
  }

  /** The newer of the informer's copy and this process's last write (resource versions are etcd revisions). */
  private latestKnown(namespace: string, name: string, path: string): StoredObject | undefined {
    const cached = this.cached(namespace, name);
    const own = this.written.get(path);
    if (own === undefined) return cached;
    const revision = (o: StoredObject | null | undefined) => (/^\d+$/.test(o?.metadata.resourceVersion ?? '') ? BigInt(o!.metadata.resourceVersion!) : 0n);
    return cached && revision(cached) > revision(own) ? cached : (own ?? undefined);
  }

  private remember(path: string, obj: StoredObject | null): void {
    this.written.delete(path);
    if (this.written.size >= WRITTEN_MEMORY) this.written.delete(this.written.keys().next().value!);
    this.written.set(path, obj);
  }

  private async writeOnce(change: ObjectChange, path: string, current: StoredObject | undefined): Promise<Half[]> {
    if (current && current.metadata.labels?.[LABEL_SOURCE] !== SOURCE_CF_API) {
      throw new Error(`${path} exists but was not written by the cf-api (label ${LABEL_SOURCE}=${SOURCE_CF_API} missing)`);
    }
    const rules = { egress: [...(current?.spec.egress ?? [])] as (EgressRule | IngressRule)[], ingress: [...(current?.spec.ingress ?? [])] as (EgressRule | IngressRule)[] };
    const removing = new Set(change.remove.map((r) => `${r.direction}/${r.name}`));
    for (const direction of ['egress', 'ingress'] as const) rules[direction] = rules[direction].filter((rule) => !removing.has(`${direction}/${rule.name}`));
    const added = change.add.filter((half) => !rules[half.direction].some((rule) => rule.name === half.rule.name));
    for (const half of added) rules[half.direction].push(half.rule);
    const removedCount = (current?.spec.egress?.length ?? 0) + (current?.spec.ingress?.length ?? 0) + added.length - rules.egress.length - rules.ingress.length;
    if (added.length === 0 && removedCount === 0) return [];
    if (rules.egress.length > LIMITS.rulesPerDirection || rules.ingress.length > LIMITS.rulesPerDirection) throw new CfError(403, MESSAGES.quotaExceeded);

    if (rules.egress.length === 0 && rules.ingress.length === 0) {
      if (current) {
        await this.client.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: current.metadata.resourceVersion } } });
        this.index.forget(current);
        this.remember(path, null);
      }
      return added;
    }
    const desired: StoredObject = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        ...(current?.metadata ?? {}),
        name: objectName(change.app.name),
        namespace: change.app.namespace,
        labels: { ...(current?.metadata.labels ?? {}), [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SOURCE]: SOURCE_CF_API },
      },
      spec: {
        ...(current?.spec ?? {}),
        app: change.app.name,
        ...(rules.egress.length ? { egress: rules.egress as EgressRule[] } : { egress: undefined }),
        ...(rules.ingress.length ? { ingress: rules.ingress as IngressRule[] } : { ingress: undefined }),
      },
    };
    const written = current
      ? await this.client.replace(path, desired) // carries current's resourceVersion: a conflict if it moved
      : await this.client.create(path.slice(0, path.lastIndexOf('/')), desired);
    this.index.observe(written);
    this.remember(path, written);
    return added;
  }
}

/** Input problems pass through; API trouble becomes Cloud Foundry's terse 500 (details go to the log). */
function asCfError(error: unknown, log: Logger, path: string): CfError {
  if (error instanceof CfError) return error;
  log.error({ path, err: error }, 'writing a cf-api AppNetworkPolicy failed');
  return new CfError(500, MESSAGES.writeFailed);
}
