/** Prometheus metrics of the operator: one registry, created once per process. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface QueueMetrics {
  depth: { set(value: number): void };
  adds: { inc(): void };
  retries: { inc(): void };
  latency: { observe(seconds: number): void };
}

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'appnetpol_reconcile_total',
    help: 'Reconciles by controller and result (success or error).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'appnetpol_reconcile_duration_seconds',
    help: 'Time one reconcile takes, by controller.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: 'appnetpol_workqueue_depth', help: 'Keys waiting in the work queue.', labelNames: ['controller'] as const, registers: [this.registry] });
  readonly queueAdds = new Counter({ name: 'appnetpol_workqueue_adds_total', help: 'Keys added to the work queue.', labelNames: ['controller'] as const, registers: [this.registry] });
  readonly queueRetries = new Counter({ name: 'appnetpol_workqueue_retries_total', help: 'Keys retried after a failed reconcile.', labelNames: ['controller'] as const, registers: [this.registry] });
  readonly queueLatency = new Histogram({
    name: 'appnetpol_workqueue_queue_duration_seconds',
    help: 'Time a key waits in the work queue before a worker takes it.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: 'appnetpol_watch_restarts_total',
    help: 'Watches started again, by resource and cause: ended (the API server closed it, as it does routinely) or failed.',
    labelNames: ['resource', 'cause'] as const,
    registers: [this.registry],
  });
  private readonly managedObjectCounts = new Map<string, () => number>();
  readonly managedObjects = new Gauge({
    name: 'appnetpol_managed_objects',
    help: 'Objects the operator manages, by kind, as its informer caches hold them.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
    // Read at scrape time, so the value is never stale and needs no bookkeeping on every event.
    collect: () => {
      for (const [kind, count] of this.managedObjectCounts) this.managedObjects.set({ kind }, count());
    },
  });
  readonly apiRequests = new Counter({ name: 'appnetpol_api_writes_total', help: 'Writes the operator sent to the API server, by kind and verb.', labelNames: ['kind', 'verb'] as const, registers: [this.registry] });
  readonly invalidSpaceConfig = new Gauge({ name: 'appnetpol_space_invalid_network_config', help: '1 for each Space whose networkConfig has an invalid value.', labelNames: ['space'] as const, registers: [this.registry] });
  readonly reachabilitySeconds = new Counter({
    name: 'appnetpol_reachability_seconds_total',
    help: 'Time spent evaluating Reachable conditions and keeping the NetworkPolicy engine current.',
    registers: [this.registry],
  });
  readonly leader = new Gauge({ name: 'appnetpol_leader', help: '1 while this replica runs the controllers (holds the leader lease), else 0.', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.leader.set(0);
  }

  /** Reports `count()` as appnetpol_managed_objects{kind}; registering a kind again replaces its source. */
  countManagedObjects(kind: string, count: () => number): void {
    this.managedObjectCounts.set(kind, count);
  }

  queue(controller: string): QueueMetrics {
    return {
      depth: { set: (v) => this.queueDepth.set({ controller }, v) },
      adds: { inc: () => this.queueAdds.inc({ controller }) },
      retries: { inc: () => this.queueRetries.inc({ controller }) },
      latency: { observe: (s) => this.queueLatency.observe({ controller }, s) },
    };
  }
}
