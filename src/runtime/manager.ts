/**
 * Runs a set of controllers in one process: shared informers, health and metrics endpoints, leader
 * election, and an orderly shutdown (stop taking work, finish what is in flight, hand the lease over,
 * stop watches). Followers keep their informer caches warm, so a takeover starts reconciling at once.
 */
import { trace } from '@opentelemetry/api';
import type { Server } from 'node:http';
import type { Controller, ControllerContext } from './controller.js';
import { EventRecorder } from './events.js';
import { startHealthServer } from './health-server.js';
import { SharedInformers } from './informers.js';
import { KubeClient } from './kube-client.js';
import { LeaderElector, leaseClientSettings, type LeaderElectionOptions } from './leader-election.js';
import type { Logger } from './logger.js';
import type { OperatorMetrics } from './metrics.js';

export interface ManagerOptions {
  client: KubeClient;
  log: Logger;
  /** The process's metrics: made before the manager, since the client reports into them too. */
  metrics: OperatorMetrics;
  /** Where /healthz, /readyz and /metrics listen; port 0 picks a free one. */
  healthAddress: { host: string; port: number };
  /**
   * Run the controllers only while holding this Lease; without it this replica always runs them. Lease
   * calls go through a client of their own (`leaseClientSettings`): a renewal never queues behind a burst
   * of reconcile writes, nor waits on their connection.
   */
  leaderElection?: LeaderElectionOptions;
  /** Leadership was lost: the process must stop writing at once (it exits and restarts as a follower). */
  onLostLeadership?: (reason: string) => void;
}

export class Manager {
  readonly context: ControllerContext;
  private readonly controllers: Controller[] = [];
  private server?: Server;
  private elector?: LeaderElector;
  private cachesSynced = false;

  constructor(private readonly options: ManagerOptions) {
    const metrics = options.metrics;
    this.context = {
      client: options.client,
      metrics,
      log: options.log,
      informers: new SharedInformers(options.client, options.log, metrics),
      events: new EventRecorder(options.client, options.log),
      tracer: trace.getTracer('appnetpol'),
    };
  }

  add(controller: Controller): void {
    this.controllers.push(controller);
  }

  /**
   * Serves health endpoints at once and syncs informers (ready from then on, leader or not); then
   * starts every controller, at once or when this replica becomes leader.
   */
  async start(): Promise<{ healthPort: number }> {
    this.server = await startHealthServer(this.options.healthAddress, {
      registry: this.context.metrics.registry,
      ready: () => this.cachesSynced && this.context.informers.synced,
    });
    const address = this.server.address();
    const healthPort = typeof address === 'object' && address ? address.port : this.options.healthAddress.port;
    const synced = this.context.informers.startAll();
    synced.catch(() => undefined); // awaited below; this keeps a failure during prepare() from counting as unhandled
    // The API server takes a while to answer the first lists: the process would only wait, so it prepares meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    for (const controller of this.controllers) controller.prepare?.();
    await synced;
    this.cachesSynced = true;
    const { leaderElection, onLostLeadership } = this.options;
    if (!leaderElection) {
      this.startControllers();
    } else {
      this.elector = new LeaderElector(
        new KubeClient(this.options.client.config, leaseClientSettings(leaderElection), this.options.metrics.clientObserver()),
        leaderElection,
        {
          onStartedLeading: () => this.startControllers(),
          onLostLeadership: (reason) => {
            this.context.metrics.setLeader(false);
            onLostLeadership?.(reason);
          },
        },
        this.options.log,
      );
      this.elector.start();
      this.options.log.info({ healthPort, lease: `${leaderElection.namespace}/${leaderElection.name}` }, 'caches synced; waiting to become leader');
    }
    return { healthPort };
  }

  private startControllers(): void {
    for (const controller of this.controllers) controller.start();
    this.context.metrics.setLeader(true);
    this.options.log.info({ controllers: this.controllers.map((c) => c.name) }, 'caches synced; controllers running');
  }

  async stop(): Promise<void> {
    await this.elector?.stop();
    await Promise.all(this.controllers.map((c) => c.stop()));
    this.context.metrics.setLeader(false);
    // Only after the last in-flight reconcile: the next leader must not overlap with this one.
    await this.elector?.release();
    await this.context.informers.stopAll();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}
