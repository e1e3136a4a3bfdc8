/** Informers shared by every controller of a process: one list and watch per resource and selector. */
import type { Logger } from 'pino';
import { Informer, type InformerOptions } from './informer.js';
import type { KubeClient, KubeObject } from './kube-client.js';
import type { ProcessMetrics } from './metrics.js';

export class SharedInformers {
  private readonly informers = new Map<string, Informer<KubeObject>>();

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly metrics: ProcessMetrics,
  ) {}

  for<T extends KubeObject>(options: InformerOptions): Informer<T> {
    const key = `${options.path}?${options.labelSelector ?? ''}&${options.fieldSelector ?? ''}`;
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer<KubeObject>(this.client, options, this.log, this.metrics);
      this.informers.set(key, informer);
    }
    return informer as unknown as Informer<T>;
  }

  async startAll(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  get synced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced);
  }
}
