/**
 * Prometheus metrics, one registry per process. Names and labels follow controller-runtime and client-go
 * (controller_runtime_reconcile_*, workqueue_*, leader_election_master_status, rest_client_requests_total),
 * so the dashboards and alerts written for Kubernetes controllers work unchanged; what only appnetpol
 * knows is prefixed appnetpol_.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClientObserver } from './kube-client.js';
import { readPackageManifest } from './package-manifest.js';

export interface QueueMetrics {
  depth: { set(value: number): void };
  adds: { inc(): void };
  retries: { inc(): void };
  latency: { observe(seconds: number): void };
  workDuration: { observe(seconds: number): void };
  /** Registers where the start times (performance.now()) of the keys being worked on are read, at scrape time. */
  inFlight(startTimes: () => Iterable<number>): void;
}

/** client-go's workqueue buckets: 1 ns to 10 s, by powers of ten. */
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10];

/** What every appnetpol process exports: Node.js defaults, build info, Kubernetes API requests, watch restarts. */
export class ProcessMetrics {
  readonly registry = new Registry();
  readonly restClientRequests = new Counter({
    name: 'rest_client_requests_total',
    help: 'Requests to the API server by status code (<error> when no answer came), method and host, as client-go counts them.',
    labelNames: ['code', 'method', 'host'] as const,
    registers: [this.registry],
  });
  readonly apiRetries = new Counter({
    name: 'appnetpol_api_retries_total',
    help: 'Requests to the API server tried again, by cause: throttled (429), server-error (5xx on a read) or connection.',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });
  readonly watchRestarts = new Counter({
    name: 'appnetpol_watch_restarts_total',
    help: 'Watches started again, by resource and cause: ended (the API server closed it, as it does routinely) or failed.',
    labelNames: ['resource', 'cause'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'appnetpol_build_info',
      help: 'Always 1; the labels say which appnetpol and Node.js run.',
      labelNames: ['version', 'nodejs_version'] as const,
      registers: [this.registry],
    }).set({ version: readPackageManifest().version, nodejs_version: process.versions.node }, 1);
  }

  /** Feeds the Kubernetes client's answers and retries into rest_client_requests_total and appnetpol_api_retries_total. */
  clientObserver(): ClientObserver {
    return {
      response: (method, code, host) => this.restClientRequests.inc({ code, method, host }),
      retry: (cause) => this.apiRetries.inc({ cause }),
    };
  }
}

/** The controller's metrics. */
export class OperatorMetrics extends ProcessMetrics {
  readonly reconciles = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Reconciles by controller and result (success or error).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Reconciles that failed, by controller; each is retried with backoff.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Time one reconcile takes, by controller.',
    labelNames: ['controller'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: 'workqueue_depth', help: 'Keys waiting in the work queue.', labelNames: ['name'] as const, registers: [this.registry] });
  readonly queueAdds = new Counter({ name: 'workqueue_adds_total', help: 'Keys added to the work queue.', labelNames: ['name'] as const, registers: [this.registry] });
  readonly queueRetries = new Counter({ name: 'workqueue_retries_total', help: 'Keys queued again after a failed reconcile.', labelNames: ['name'] as const, registers: [this.registry] });
  readonly queueLatency = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'Time a key waits in the work queue before a worker takes it.',
    labelNames: ['name'] as const,
    buckets: QUEUE_BUCKETS,
    registers: [this.registry],
  });
  readonly workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'Time a worker takes to process a key.',
    labelNames: ['name'] as const,
    buckets: QUEUE_BUCKETS,
    registers: [this.registry],
  });
  private readonly inFlightSources = new Map<string, () => Iterable<number>>();
  readonly unfinishedWork = new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help: 'Seconds of work in progress not yet observed by work_duration; growing values mean stuck workers.',
    labelNames: ['name'] as const,
    registers: [this.registry],
    collect: () => this.collectInFlight(),
  });
  readonly longestRunning = new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'Seconds the longest running worker has been working on its key.',
    labelNames: ['name'] as const,
    registers: [this.registry],
    collect: () => this.collectInFlight(),
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
  private notReadyCount?: () => number;
  readonly policiesNotReady = new Gauge({
    name: 'appnetpol_appnetworkpolicies_not_ready',
    help: 'AppNetworkPolicies whose Ready condition is not True for their current generation, as the informer cache holds them.',
    registers: [this.registry],
    collect: () => {
      if (this.notReadyCount) this.policiesNotReady.set(this.notReadyCount());
    },
  });
  readonly apiRequests = new Counter({ name: 'appnetpol_api_writes_total', help: 'Writes the operator sent to the API server, by kind and verb.', labelNames: ['kind', 'verb'] as const, registers: [this.registry] });
  readonly invalidSpaceConfig = new Gauge({ name: 'appnetpol_space_invalid_network_config', help: '1 for each Space whose networkConfig has an invalid value.', labelNames: ['space'] as const, registers: [this.registry] });
  private readonly leaderStatus = new Gauge({
    name: 'leader_election_master_status',
    help: '1 while this replica runs the controllers (holds the leader Lease of this name), else 0.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  readonly reachabilitySeconds = new Counter({
    name: 'appnetpol_reachability_seconds_total',
    help: 'Time spent evaluating Reachable conditions and keeping the NetworkPolicy engine current.',
    registers: [this.registry],
  });

  /** `leaseName`: the leader Lease (also the label when leader election is off and this replica always leads). */
  constructor(private readonly leaseName: string) {
    super();
    this.setLeader(false);
  }

  setLeader(leading: boolean): void {
    this.leaderStatus.set({ name: this.leaseName }, leading ? 1 : 0);
  }

  /** One reconcile's outcome, counted the way controller-runtime does. */
  reconciled(controller: string, result: 'success' | 'error'): void {
    this.reconciles.inc({ controller, result });
    if (result === 'error') this.reconcileErrors.inc({ controller });
  }

  /** Reports `count()` as appnetpol_managed_objects{kind}; registering a kind again replaces its source. */
  countManagedObjects(kind: string, count: () => number): void {
    this.managedObjectCounts.set(kind, count);
  }

  /** Reports `count()` as appnetpol_appnetworkpolicies_not_ready, read at scrape time. */
  countPoliciesNotReady(count: () => number): void {
    this.notReadyCount = count;
  }

  queue(name: string): QueueMetrics {
    return {
      depth: { set: (v) => this.queueDepth.set({ name }, v) },
      adds: { inc: () => this.queueAdds.inc({ name }) },
      retries: { inc: () => this.queueRetries.inc({ name }) },
      latency: { observe: (s) => this.queueLatency.observe({ name }, s) },
      workDuration: { observe: (s) => this.workDuration.observe({ name }, s) },
      inFlight: (startTimes) => this.inFlightSources.set(name, startTimes),
    };
  }

  private collectInFlight(): void {
    const now = performance.now();
    for (const [name, startTimes] of this.inFlightSources) {
      let total = 0;
      let longest = 0;
      for (const started of startTimes()) {
        total += now - started;
        longest = Math.max(longest, now - started);
      }
      this.unfinishedWork.set({ name }, total / 1000);
      this.longestRunning.set({ name }, longest / 1000);
    }
  }
}
