/**
 * What every controller shares: a work queue of object keys, a periodic resync that re-queues every
 * key, and telemetry (span, duration, result metric, error log) around each reconcile.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Controller, ControllerContext } from './controller.js';
import { KubeApiError } from './kube-client.js';
import { WorkQueue } from './workqueue.js';

export interface QueueControllerOptions {
  concurrency: number;
  resyncMs: number;
}

export abstract class QueueController implements Controller {
  protected readonly queue: WorkQueue;
  private resyncTimer?: NodeJS.Timeout;

  constructor(
    readonly name: string,
    protected readonly ctx: ControllerContext,
    private readonly queueOptions: QueueControllerOptions,
  ) {
    this.queue = new WorkQueue({ concurrency: queueOptions.concurrency, metrics: ctx.metrics.queue(name) });
  }

  /** Every key the controller is responsible for, for the periodic resync. */
  protected abstract allKeys(): string[];

  /** Level-based reconcile of one key; throwing retries it with backoff. */
  protected abstract reconcile(key: string, log: Logger): Promise<void>;

  /** Log fields that name the object of a key. */
  protected abstract describeKey(key: string): Record<string, string>;

  start(): void {
    this.queue.start((key) => this.reconcileWithTelemetry(key));
    this.resyncTimer = setInterval(() => this.allKeys().forEach((key) => this.queue.add(key, 'resync')), this.queueOptions.resyncMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    await this.queue.shutdown();
  }

  private async reconcileWithTelemetry(key: string): Promise<void> {
    const fields = this.describeKey(key);
    const log = this.ctx.log.child({ controller: this.name, ...fields });
    const span = this.ctx.tracer.startSpan(`reconcile ${this.name}`, { attributes: Object.fromEntries(Object.entries(fields).map(([k, v]) => [`appnetpol.${k}`, v])) });
    const timer = this.ctx.metrics.reconcileDuration.startTimer({ controller: this.name });
    // The span is made current so the API calls of the reconcile become its children and its logs carry its ids.
    const inSpan = trace.setSpan(context.active(), span);
    try {
      await context.with(inSpan, () => this.reconcile(key, log));
      this.ctx.metrics.reconciled(this.name, 'success');
    } catch (error) {
      this.ctx.metrics.reconciled(this.name, 'error');
      context.with(inSpan, () => log.error({ err: error, reason: error instanceof KubeApiError ? error.reason : undefined }, 'reconcile failed; retrying with backoff'));
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      timer();
      span.end();
    }
  }
}
