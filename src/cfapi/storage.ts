/**
 * Writes policies into AppNetworkPolicies: one object `cf-<app>` per app, in the app's namespace, with
 * an egress rule per policy the app sends on and an ingress rule per policy it receives on. Writes to one
 * object are serialized and batched within the process; each is a read-modify-write guarded by
 * resourceVersion, retried on conflicts, so replicas can write the same object at once. A request that fails part-way undoes the halves it added (see `add`).
 */
import { API_VERSION, KIND, LABEL_MANAGED_BY, MANAGED_BY, PLURAL, GROUP, VERSION, POLICIES_PATH, type AppNetworkPolicy, type EgressRule, type IngressRule, type PortSpec } from '../api/types.js';
import { LIMITS } from '../api/appnetworkpolicy-schema.js';
import { keepFields, only, type InformerOptions } from '../runtime/informer.js';
import { isConflict, isNotFound, type KubeClient, type KubeObject } from '../runtime/kube-client.js';
import { SharedValues } from '../runtime/shared-values.js';
import type { Logger } from '../runtime/logger.js';
import { CfError, MESSAGES } from './errors.js';
import type { AppLocation, Direction, PolicyIndex } from './policy-index.js';
import { ruleName, type CfPolicy } from './policy.js';

/** Marks the AppNetworkPolicies this service owns (next to app.kubernetes.io/managed-by). */
export const LABEL_SOURCE = 'networking.kf.dev/source';
export const SOURCE_CF_API = 'cf-api';
export const CF_API_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY},${LABEL_SOURCE}=${SOURCE_CF_API}`;

/**
 * How long one write keeps retrying conflicts with other replicas before the caller gets a 500: long,
 * since a busy API server evaluating large objects can keep one replica losing for many seconds.
 */
const CONFLICT_DEADLINE_MS = 60_000;
/** Objects written at once by one request (a cleanup may touch thousands). */
const WRITE_CONCURRENCY = 16;
/** Recent own writes remembered, enough for the objects of a few requests in flight. */
const WRITTEN_MEMORY = 4096;

type StoredObject = AppNetworkPolicy & KubeObject;

/**
 * What a write carries over from the cached copy besides the spec: a PUT without uid, generation or
 * managedFields keeps the server's, while labels, annotations, owners and finalizers would be lost.
 */
const WRITTEN_METADATA = ['name', 'namespace', 'resourceVersion', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'deletionTimestamp'];
/**
 * One frozen array per distinct port list: 120,000 cached rules at 60,000 policies use a few hundred.
 * Frozen, so a writer that changed one in place would throw instead of changing other rules.
 */
const sharedPorts = new SharedValues<PortSpec[]>(10_000);

function sharedPortsOf(ports: PortSpec[]): PortSpec[] {
  return sharedPorts.of(JSON.stringify(ports), () => Object.freeze(ports.map((p) => Object.freeze(p))) as PortSpec[]);
}

/** Keeps what the index and writes read of a cached object: spec, resourceVersion and WRITTEN_METADATA, not status. */
function keepForWrites(obj: KubeObject): void {
  keepFields(obj, ['apiVersion', 'kind', 'metadata', 'spec']);
  obj.metadata = only(obj.metadata ?? {}, WRITTEN_METADATA);
  const spec = (obj as StoredObject).spec;
  for (const rule of [...(spec?.egress ?? []), ...(spec?.ingress ?? [])]) if (rule.ports) rule.ports = sharedPortsOf(rule.ports);
}

/** The informer of this service's AppNetworkPolicies (20,000 at the published scale), trimmed for the index and writes. */
export const CF_API_POLICIES: InformerOptions = { resource: 'appnetworkpolicies', path: POLICIES_PATH, labelSelector: CF_API_SELECTOR, trim: keepForWrites };

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

/** A caller's change waiting for its object's writer; settled with the halves it actually added. */
interface PendingChange {
  change: ObjectChange;
  resolve(added: Half[]): void;
  reject(error: unknown): void;
}

/** What this process last wrote at a path; `object` undefined = it deleted the object at `revision`. */
interface OwnWrite {
  app: AppLocation;
  object?: StoredObject;
  revision: bigint;
}

/** Thrown when a copy from memory says there is nothing to do: a no-op is only answered after a fresh read. */
const UNCONFIRMED_NO_OP = new Error('nothing to change according to the cached copy');

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

/** etcd revisions are increasing integers; anything else counts as the oldest. */
function revisionOf(obj: KubeObject | undefined): bigint {
  const version = obj?.metadata?.resourceVersion ?? '';
  return /^\d+$/.test(version) ? BigInt(version) : 0n;
}

/** The rules of one object, changed in place one caller's change at a time. */
class RuleSet {
  private readonly rules: Record<Direction, (EgressRule | IngressRule)[]>;
  private readonly names: Record<Direction, Set<string | undefined>>;
  changed = false;

  constructor(current: StoredObject | undefined) {
    this.rules = { egress: [...(current?.spec.egress ?? [])], ingress: [...(current?.spec.ingress ?? [])] };
    this.names = { egress: new Set(this.rules.egress.map((r) => r.name)), ingress: new Set(this.rules.ingress.map((r) => r.name)) };
  }

  get egress(): EgressRule[] {
    return this.rules.egress as EgressRule[];
  }

  get ingress(): IngressRule[] {
    return this.rules.ingress as IngressRule[];
  }

  /** Applies one change; a change that would overflow the object is refused whole and leaves no trace. */
  apply(change: ObjectChange): Half[] | CfError {
    const removing = change.remove.filter((r) => this.names[r.direction].has(r.name));
    const adding = { egress: new Set<string | undefined>(), ingress: new Set<string | undefined>() };
    const added = change.add.filter((half) => {
      const name = half.rule.name;
      if (this.names[half.direction].has(name) || adding[half.direction].has(name)) return false;
      adding[half.direction].add(name);
      return true;
    });
    const size = (direction: Direction) => this.rules[direction].length - removing.filter((r) => r.direction === direction).length + added.filter((h) => h.direction === direction).length;
    if (size('egress') > LIMITS.rulesPerDirection || size('ingress') > LIMITS.rulesPerDirection) return new CfError(403, MESSAGES.quotaExceeded);
    for (const direction of ['egress', 'ingress'] as const) {
      const gone = new Set(removing.filter((r) => r.direction === direction).map((r) => r.name));
      if (gone.size) this.rules[direction] = this.rules[direction].filter((rule) => !gone.has(rule.name!));
      for (const name of gone) this.names[direction].delete(name);
    }
    for (const half of added) {
      this.rules[half.direction].push(half.rule);
      this.names[half.direction].add(half.rule.name);
    }
    if (removing.length || added.length) this.changed = true;
    return added;
  }
}

export class PolicyStore {
  /** What this process wrote last, per path: newer than the informer cache until the watch catches up. */
  private readonly written = new Map<string, OwnWrite>();
  /** Changes waiting per object path; present while that object's writer runs. */
  private readonly lanes = new Map<string, PendingChange[]>();

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

  /**
   * Queues a change for its object. One writer per object and process applies every change waiting for it
   * in one read-modify-write, so concurrent requests to one app neither conflict with each other nor wait
   * for a write each; conflicts with other replicas are retried with backoff until CONFLICT_DEADLINE_MS.
   */
  private write(change: ObjectChange): Promise<Half[]> {
    const path = `/apis/${GROUP}/${VERSION}/namespaces/${change.app.namespace}/${PLURAL}/${objectName(change.app.name)}`;
    return new Promise<Half[]>((resolve, reject) => {
      const waiting = this.lanes.get(path);
      if (waiting) return void waiting.push({ change, resolve, reject });
      this.lanes.set(path, [{ change, resolve, reject }]);
      void this.drain(path, change.app);
    });
  }

  private async drain(path: string, app: AppLocation): Promise<void> {
    for (let batch = this.lanes.get(path)!; batch.length > 0; batch = this.lanes.get(path)!) {
      this.lanes.set(path, []);
      await this.writeBatch(path, app, batch);
    }
    this.lanes.delete(path);
  }

  /** Settles every change of the batch; never throws. */
  private async writeBatch(path: string, app: AppLocation, batch: PendingChange[]): Promise<void> {
    const deadline = Date.now() + CONFLICT_DEADLINE_MS;
    for (let attempt = 1; ; attempt++) {
      const fresh = attempt > 1;
      try {
        const current = fresh ? await this.client.get<StoredObject>(path).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e))) : this.latestKnown(app, path);
        const results = await this.writeOnce(app, path, current, batch, fresh);
        batch.forEach((pending, i) => (results[i] instanceof CfError ? pending.reject(results[i]) : pending.resolve(results[i] as Half[])));
        return;
      } catch (error) {
        // A 404 means the copy we wrote against was gone already; the next attempt reads afresh.
        const retry = error === UNCONFIRMED_NO_OP || isConflict(error) || isNotFound(error);
        if (!retry || Date.now() >= deadline) {
          const failure = asCfError(error, this.log, path, attempt);
          for (const pending of batch) pending.reject(failure);
          return;
        }
        if (error !== UNCONFIRMED_NO_OP) await new Promise((r) => setTimeout(r, Math.random() * Math.min(1000, 5 * 2 ** attempt)));
      }
    }
  }

  /** The newer of the informer's copy and this process's last write (resource versions are etcd revisions). */
  private latestKnown(app: AppLocation, path: string): StoredObject | undefined {
    const cached = this.cached(app.namespace, objectName(app.name));
    const own = this.written.get(path);
    if (!own) return cached;
    return cached && revisionOf(cached) > own.revision ? cached : own.object;
  }

  /** Whether the informer's copy is as new as this write (for a delete: the copy is gone, or newer). */
  private cacheHolds(own: OwnWrite): boolean {
    const cached = this.cached(own.app.namespace, objectName(own.app.name));
    if (!cached) return own.object === undefined;
    return revisionOf(cached) >= own.revision;
  }

  /**
   * Keeps a write until the informer holds it too: the oldest entries are dropped as soon as the cache
   * is as new, so a steady load keeps a few objects here instead of a second copy of thousands.
   */
  private remember(path: string, write: OwnWrite): void {
    this.written.delete(path);
    for (const [oldest, own] of this.written) {
      if (this.written.size < WRITTEN_MEMORY && !this.cacheHolds(own)) break;
      this.written.delete(oldest);
    }
    this.written.set(path, write);
  }

  /** One read-modify-write of the object for every change in the batch; per change, its added halves or its refusal. */
  private async writeOnce(app: AppLocation, path: string, current: StoredObject | undefined, batch: PendingChange[], fresh: boolean): Promise<(Half[] | CfError)[]> {
    if (current && current.metadata.labels?.[LABEL_SOURCE] !== SOURCE_CF_API) {
      throw new Error(`${path} exists but was not written by the cf-api (label ${LABEL_SOURCE}=${SOURCE_CF_API} missing)`);
    }
    const rules = new RuleSet(current);
    const results = batch.map((pending) => rules.apply(pending.change));
    if (!rules.changed) {
      if (!fresh) throw UNCONFIRMED_NO_OP;
      return results;
    }
    if (rules.egress.length === 0 && rules.ingress.length === 0) {
      if (current) {
        const gone = await this.client.request<StoredObject | undefined>('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: current.metadata.resourceVersion } } });
        // The answer carries the deletion's revision: older watch events of the object must not bring it back.
        const deletedAt = gone?.metadata?.resourceVersion ? gone : current;
        this.index.forget(deletedAt);
        this.remember(path, { app, revision: revisionOf(deletedAt) });
      }
      return results;
    }
    const desired: StoredObject = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        ...(current?.metadata ?? {}),
        name: objectName(app.name),
        namespace: app.namespace,
        labels: { ...(current?.metadata.labels ?? {}), [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_SOURCE]: SOURCE_CF_API },
      },
      spec: {
        ...(current?.spec ?? {}),
        app: app.name,
        ...(rules.egress.length ? { egress: rules.egress } : { egress: undefined }),
        ...(rules.ingress.length ? { ingress: rules.ingress } : { ingress: undefined }),
      },
    };
    const written = current
      ? await this.client.replace(path, desired) // carries current's resourceVersion: a conflict if it moved
      : await this.client.create(path.slice(0, path.lastIndexOf('/')), desired);
    this.index.observe(written);
    this.remember(path, { app, object: written, revision: revisionOf(written) });
    return results;
  }
}

/** Input problems pass through; API trouble becomes Cloud Foundry's terse 500 (details go to the log). */
function asCfError(error: unknown, log: Logger, path: string, attempts: number): CfError {
  if (error instanceof CfError) return error;
  log.error({ path, attempts, err: error }, 'writing a cf-api AppNetworkPolicy failed');
  return new CfError(500, MESSAGES.writeFailed);
}
