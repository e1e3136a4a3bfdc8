/** What every controller gets from the manager, and what the manager expects of a controller. */
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { EventRecorder } from './events.js';
import type { SharedInformers } from './informers.js';
import type { KubeClient } from './kube-client.js';
import type { OperatorMetrics } from './metrics.js';

export interface ControllerContext {
  client: KubeClient;
  informers: SharedInformers;
  metrics: OperatorMetrics;
  events: EventRecorder;
  log: Logger;
  tracer: Tracer;
}

export interface Controller {
  readonly name: string;
  /** Work that needs no cluster (compiling validators): the manager runs it while the first lists are in flight. */
  prepare?(): void;
  /** Starts the workers; informers are started (and synced) by the manager beforehand. */
  start(): void;
  /** Stops taking work and resolves when in-flight reconciles are done. */
  stop(): Promise<void>;
}
