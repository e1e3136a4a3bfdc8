/**
 * A de-duplicating work queue with bounded concurrency and per-key exponential backoff, in the
 * manner of client-go's: a key is never processed by two workers at once, and a key added while it
 * is being processed runs once more afterwards.
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
  metrics?: QueueMetrics;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys added again while a worker held them. */
  private readonly dirty = new Set<string>();
  private readonly enqueuedAt = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private active = 0;
  private handler?: (key: string) => Promise<ReconcileResult | void>;
  private shuttingDown = false;

  constructor(private readonly options: WorkQueueOptions) {}

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.enqueuedAt.set(key, Date.now());
    this.options.metrics?.adds.inc();
    this.options.metrics?.depth.set(this.queue.length);
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
    return this.queue.length;
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
    this.queue.length = 0;
    this.queued.clear();
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.handler && !this.shuttingDown && this.active < this.options.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      this.options.metrics?.depth.set(this.queue.length);
      const waited = Date.now() - (this.enqueuedAt.get(key) ?? Date.now());
      this.enqueuedAt.delete(key);
      this.options.metrics?.latency.observe(waited / 1000);
      void this.process(key);
    }
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
      this.processing.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      if (this.active === 0 && this.shuttingDown) this.idleWaiters.splice(0).forEach((resolve) => resolve());
      this.pump();
    }
  }

  private backoff(failures: number): number {
    const base = this.options.baseBackoffMs ?? 200;
    const max = this.options.maxBackoffMs ?? 300_000;
    return Math.min(max, base * 2 ** Math.min(failures - 1, 30));
  }
}
