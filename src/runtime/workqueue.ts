/**
 * A de-duplicating work queue with bounded concurrency and per-key exponential backoff, in the
 * manner of client-go's: a key is never processed by two workers at once, and a key added while it
 * is being processed runs once more afterwards. Keys added by a periodic resync wait in a lane of
 * their own behind keys added because something changed, and take at most a share of the time, so a
 * resync of thousands of objects neither delays a user's update here nor starves the API server of
 * the CPU it shares with the operator.
 */
import type { QueueMetrics } from './metrics.js';

export interface ReconcileResult {
  /** Process the key again after this many milliseconds (level-based polling, not an error). */
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  concurrency: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Longest run of reconciles without letting I/O in (default 2 ms). */
  yieldEveryMs?: number;
  metrics?: QueueMetrics;
}

/** `changed`: something about the key's object changed; `resync`: the periodic re-check of everything. */
export type Lane = 'changed' | 'resync';
const LANES: readonly Lane[] = ['changed', 'resync'];
/** Share of the time that reconciles of resync keys may take. */
const RESYNC_SHARE = 0.25;
/** Most resync time that can build up unused: the longest burst of resync reconciles. */
const RESYNC_BURST_MS = 2;

export class WorkQueue {
  private readonly lanes: Record<Lane, string[]> = { changed: [], resync: [] };
  /** Each waiting key and the lane it waits in (a key promoted to `changed` leaves a stale entry behind in `resync`). */
  private readonly queued = new Map<string, Lane>();
  /** Keys a worker holds, with when it took them (performance.now()) and the lane they came from. */
  private readonly processing = new Map<string, { since: number; lane: Lane }>();
  /** Keys added again while a worker held them. */
  private readonly dirty = new Map<string, Lane>();
  private readonly enqueuedAt = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private active = 0;
  private handler?: (key: string) => Promise<ReconcileResult | void>;
  private shuttingDown = false;
  private pumpScheduled = false;
  private lastYield = performance.now();
  /** Time resync reconciles may still take (ms), refilled at RESYNC_SHARE of the time that passes. */
  private resyncBudgetMs = RESYNC_BURST_MS;
  private resyncBudgetAt = performance.now();
  private resyncWake?: NodeJS.Timeout;

  constructor(private readonly options: WorkQueueOptions) {
    options.metrics?.inFlight(() => [...this.processing.values()].map((taken) => taken.since));
  }

  add(key: string, lane: Lane = 'changed'): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      if (this.dirty.get(key) !== 'changed') this.dirty.set(key, lane);
      return;
    }
    const waiting = this.queued.get(key);
    if (waiting === 'changed' || waiting === lane) return;
    this.queued.set(key, lane);
    this.lanes[lane].push(key);
    if (!waiting) {
      this.enqueuedAt.set(key, Date.now());
      this.options.metrics?.adds.inc();
    }
    this.options.metrics?.depth.set(this.length);
    this.pump();
  }

  /** Adds the key once the delay has passed; an earlier pending delay for the key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown || this.timers.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  get length(): number {
    return this.queued.size;
  }

  start(handler: (key: string) => Promise<ReconcileResult | void>): void {
    this.handler = handler;
    this.pump();
  }

  /** Stops taking new work and resolves when what is in flight has finished. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    clearTimeout(this.resyncWake);
    for (const lane of LANES) this.lanes[lane].length = 0;
    this.queued.clear();
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.handler && !this.shuttingDown && this.active < this.options.concurrency && this.queued.size > 0) {
      const taken = this.next();
      if (!taken) return;
      const { key, lane } = taken;
      this.processing.set(key, { since: performance.now(), lane });
      this.active++;
      this.options.metrics?.depth.set(this.length);
      const waited = Date.now() - (this.enqueuedAt.get(key) ?? Date.now());
      this.enqueuedAt.delete(key);
      this.options.metrics?.latency.observe(waited / 1000);
      void this.process(key);
    }
  }

  /**
   * The first key of the first non-empty lane, skipping entries of keys that moved lanes; none while
   * only resync keys wait and their share of the time is used up (a timer takes them up again).
   */
  private next(): { key: string; lane: Lane } | undefined {
    for (const lane of LANES) {
      const keys = this.lanes[lane];
      while (keys.length > 0 && this.queued.get(keys[0]) !== lane) keys.shift();
      if (keys.length === 0) continue;
      if (lane === 'resync' && !this.resyncAllowed()) return undefined;
      const key = keys.shift()!;
      this.queued.delete(key);
      return { key, lane };
    }
    throw new Error('work queue: no key waiting although the count says so');
  }

  private refillResyncBudget(): void {
    const now = performance.now();
    this.resyncBudgetMs = Math.min(RESYNC_BURST_MS, this.resyncBudgetMs + (now - this.resyncBudgetAt) * RESYNC_SHARE);
    this.resyncBudgetAt = now;
  }

  private resyncAllowed(): boolean {
    this.refillResyncBudget();
    if (this.resyncBudgetMs > 0) return true;
    if (!this.resyncWake) {
      this.resyncWake = setTimeout(() => {
        this.resyncWake = undefined;
        this.pump();
      }, Math.ceil(-this.resyncBudgetMs / RESYNC_SHARE));
      this.resyncWake.unref();
    }
    return false;
  }

  private async process(key: string): Promise<void> {
    try {
      const result = await this.handler!(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch {
      // The handler reports its own errors; the queue only schedules the retry.
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      this.options.metrics?.retries.inc();
      this.addAfter(key, this.backoff(failures));
    } finally {
      const taken = this.processing.get(key)!;
      const tookMs = performance.now() - taken.since;
      this.options.metrics?.workDuration.observe(tookMs / 1000);
      if (taken.lane === 'resync') {
        this.refillResyncBudget();
        this.resyncBudgetMs -= tookMs;
      }
      this.processing.delete(key);
      this.active--;
      const again = this.dirty.get(key);
      if (again) {
        this.dirty.delete(key);
        this.add(key, again);
      }
      if (this.active === 0 && this.shuttingDown) this.idleWaiters.splice(0).forEach((resolve) => resolve());
      this.pumpSoon();
    }
  }

  /**
   * Takes the next keys, letting pending I/O run first every few milliseconds: reconciles that need
   * no request finish in microtasks, and chaining them without a break would hold back watch events
   * (a user's change among them) until a whole resync is through.
   */
  private pumpSoon(): void {
    if (performance.now() - this.lastYield < (this.options.yieldEveryMs ?? 2)) return this.pump();
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.lastYield = performance.now();
      this.pump();
    });
  }

  private backoff(failures: number): number {
    const base = this.options.baseBackoffMs ?? 200;
    const max = this.options.maxBackoffMs ?? 300_000;
    return Math.min(max, base * 2 ** Math.min(failures - 1, 30));
  }
}
