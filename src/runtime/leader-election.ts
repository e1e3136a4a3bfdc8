/**
 * Leader election on a coordination.k8s.io/v1 Lease, so several replicas can run and exactly one
 * reconciles. Every write carries the resourceVersion that was read (a 409 means another replica won
 * the race), and expiry is judged by this replica's own clock: a lease counts as expired only once its
 * record has not changed for its whole duration since this replica first saw it, so clock skew between
 * replicas does not matter.
 */
import { untraced } from './tracing.js';
import type { Logger } from 'pino';
import { isConflict, isNotFound, type ClientSettings, type KubeClient, type KubeObject } from './kube-client.js';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export type Lease = KubeObject & { spec?: LeaseSpec };

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** Unique per replica: what the Lease names as its holder. */
  identity: string;
  /** How long followers wait after the last renewal they saw before taking over. */
  leaseDurationMs: number;
  /** The leader gives up when it could not renew for this long (shorter than the lease duration). */
  renewDeadlineMs: number;
  /** How often the leader renews and followers look at the lease. */
  retryPeriodMs: number;
}

export interface LeadershipCallbacks {
  onStartedLeading(): void;
  /** Leadership was lost without this replica asking (failed renewals, or the lease taken). */
  onLostLeadership(reason: string): void;
}

export type LeaseDecision =
  | { action: 'create' }
  | { action: 'renew' }
  | { action: 'acquire'; reason: 'released' | 'expired' }
  | { action: 'follow'; holder: string; expiresInMs: number };

/**
 * What a replica should do with the lease it just read. `unchangedSince` is when this replica first
 * saw the lease's current record; `now` is on the same (local) clock.
 */
export function decideLease(lease: Lease | undefined, identity: string, now: number, unchangedSince: number, defaultDurationMs: number): LeaseDecision {
  if (!lease) return { action: 'create' };
  const holder = lease.spec?.holderIdentity ?? '';
  if (holder === identity) return { action: 'renew' };
  if (holder === '') return { action: 'acquire', reason: 'released' };
  const durationMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000 || defaultDurationMs;
  const expiresInMs = unchangedSince + durationMs - now;
  return expiresInMs <= 0 ? { action: 'acquire', reason: 'expired' } : { action: 'follow', holder, expiresInMs };
}

/** The spec this replica writes when it acquires or renews. */
export function leaseSpecFor(previous: LeaseSpec | undefined, identity: string, durationMs: number, now: Date): LeaseSpec {
  const renewing = previous?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: Math.ceil(durationMs / 1000),
    acquireTime: renewing && previous?.acquireTime ? previous.acquireTime : microTime(now),
    renewTime: microTime(now),
    leaseTransitions: (previous?.leaseTransitions ?? 0) + (renewing || !previous ? 0 : 1),
  };
}

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Settings for the client the elector calls through: its own connection; no client-side limit (a few
 * calls per retry period, and the API server's leader-election FlowSchema is limit enough); no retries of
 * its own, since the elector retries. A call that hangs is given up early enough for a second try, on a
 * new connection, to fit in the renew deadline: one dead connection must not cost the lease.
 */
export function leaseClientSettings({ renewDeadlineMs, retryPeriodMs }: LeaderElectionOptions): ClientSettings {
  return { qps: 0, burst: 0, maxRetries: 0, timeoutMs: Math.max(1000, (renewDeadlineMs - retryPeriodMs) / 2) };
}

export class LeaderElector {
  private readonly collection: string;
  private readonly path: string;
  private observed?: { record: string; since: number };
  private lastWritten?: Lease;
  private leading = false;
  private stopped = false;
  private loopTimer?: NodeJS.Timeout;
  private deadlineTimer?: NodeJS.Timeout;
  private attempt?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
    private readonly callbacks: LeadershipCallbacks,
    private readonly log: Logger,
  ) {
    this.collection = `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases`;
    this.path = `${this.collection}/${options.name}`;
    this.log = log.child({ lease: `${options.namespace}/${options.name}`, identity: options.identity });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops acquiring and renewing; resolves once an attempt in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.loopTimer);
    clearTimeout(this.deadlineTimer);
    await this.attempt;
  }

  /** Hands the lease over at once: an empty holder lets a follower acquire on its next look. */
  async release(): Promise<void> {
    if (!this.leading || !this.lastWritten) return;
    this.leading = false;
    const released: Lease = {
      ...this.lastWritten,
      spec: { ...this.lastWritten.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
    };
    try {
      await this.call('PUT', this.path, released);
      this.log.info('lease released');
    } catch (error) {
      // A 409 means another replica already took the lease over: nothing left to hand over.
      if (!isConflict(error)) this.log.warn({ err: error }, 'could not release the lease; followers take over once it expires');
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.loopTimer = setTimeout(() => {
      this.attempt = this.tryAcquireOrRenew().then((done) => {
        this.attempt = undefined;
        // A leader whose renewal failed has only the rest of its renew deadline: it tries again soon.
        this.schedule(done || !this.leading ? this.options.retryPeriodMs : this.options.retryPeriodMs / 4);
      });
    }, delayMs);
  }

  /** One look at the lease, and the write it calls for. False if a call failed. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    if (this.leading && this.lastWritten) {
      // The leader renews from the record it wrote last: one call, where reading first would take two.
      const renewed = await this.write(this.lastWritten, 'renew');
      if (renewed !== 'stale') return renewed === 'written';
      // The lease was changed or deleted since: read it and decide like any replica.
    }
    let lease: Lease | undefined;
    try {
      lease = await this.call('GET', this.path).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    } catch (error) {
      this.log.warn({ err: error }, 'could not read the lease');
      return false;
    }
    if (this.stopped) return true;
    const now = Date.now();
    this.observe(lease, now);
    const decision = decideLease(lease, this.options.identity, now, this.observed!.since, this.options.leaseDurationMs);
    if (decision.action === 'follow') {
      if (this.leading) this.lose(`lease taken over by ${decision.holder}`);
      return true;
    }
    // Stale: another replica wrote the lease since it was read; the next look decides again.
    return (await this.write(lease, decision.action === 'acquire' ? decision.reason : decision.action)) !== 'failed';
  }

  /** Writes this replica's claim on top of `lease` (created when there is none); on success the replica leads. */
  private async write(lease: Lease | undefined, reason: string): Promise<'written' | 'stale' | 'failed'> {
    const written: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: lease?.metadata ?? { name: this.options.name, namespace: this.options.namespace },
      spec: leaseSpecFor(lease?.spec, this.options.identity, this.options.leaseDurationMs, new Date()),
    };
    try {
      this.lastWritten = lease ? await this.call('PUT', this.path, written) : await this.call('POST', this.collection, written);
    } catch (error) {
      if (isConflict(error) || isNotFound(error)) return 'stale';
      this.log.warn({ err: error, reason }, 'could not write the lease');
      return 'failed';
    }
    this.armDeadline();
    if (!this.leading && !this.stopped) {
      this.leading = true;
      this.log.info({ reason }, 'became leader');
      this.callbacks.onStartedLeading();
    }
    return 'written';
  }

  /** Remembers when the lease's record last changed, by this replica's clock. */
  private observe(lease: Lease | undefined, now: number): void {
    const record = JSON.stringify(lease?.spec ?? null);
    if (this.observed?.record === record) return;
    const holder = lease?.spec?.holderIdentity;
    const previousHolder = this.observed ? (JSON.parse(this.observed.record) as LeaseSpec | null)?.holderIdentity : undefined;
    if (holder && holder !== this.options.identity && holder !== previousHolder) this.log.info({ holder }, 'lease held by another replica; following');
    this.observed = { record, since: now };
  }

  /** A leader that cannot renew within the deadline must stop before followers consider the lease expired. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.lose(`no renewal for ${this.options.renewDeadlineMs} ms`), this.options.renewDeadlineMs);
  }

  private lose(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    clearTimeout(this.deadlineTimer);
    this.log.error({ reason }, 'lost leadership');
    this.callbacks.onLostLeadership(reason);
  }

  /** One API call on the lease (through a client with `leaseClientSettings`). Untraced: renewals every few seconds would drown the traces that matter. */
  private call(method: 'GET' | 'POST' | 'PUT', path: string, body?: Lease): Promise<Lease> {
    return untraced(() => this.client.request<Lease>(method, path, { body }));
  }
}
