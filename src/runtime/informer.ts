/**
 * A supervised informer: client-node's ListWatch (list, then watch; relist on 410) over the client's own
 * watch, plus a supervisor that restarts a watch that failed, with backoff, and an optional mode for
 * resources whose CRD may be absent (then the cache is empty and `present` is false until it appears).
 */
import { ListWatch, type KubernetesListObject, type Watch } from './client-node.js';
import type { Logger } from 'pino';
import { isNotFound, type KubeClient, type KubeObject } from './kube-client.js';
import type { ProcessMetrics } from './metrics.js';
import { shareRepeatedStrings } from './shared-values.js';

export interface InformerHandlers<T> {
  add?(obj: T): void;
  update?(obj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  /** Name for logs and metrics, e.g. "networkpolicies". */
  resource: string;
  /** Collection path, e.g. /apis/networking.k8s.io/v1/networkpolicies. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** The resource may not be served (CRD not installed): keep checking instead of failing. */
  optional?: boolean;
  /** How often an absent optional resource is looked for again. */
  absentRetryMs?: number;
  /** Drops, in place, the fields no reader needs before an object is cached (memory for large kinds such as pods). */
  trim?: (obj: KubeObject) => void;
}

const MAX_RESTART_DELAY_MS = 30_000;

/** client-node types its objects more narrowly than our plain JSON; at run time they are the same. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ClientObject = any;

export class Informer<T extends KubeObject> {
  private readonly listWatch: ListWatch<ClientObject>;
  private readonly handlers: InformerHandlers<T>[] = [];
  private restartDelayMs = 500;
  private restartTimer?: NodeJS.Timeout;
  private stopped = false;
  private synced = false;
  private served = true;
  private lastError?: unknown;
  private readonly presenceListeners: ((present: boolean) => void)[] = [];

  constructor(
    client: KubeClient,
    private readonly options: InformerOptions,
    private readonly log: Logger,
    private readonly metrics?: ProcessMetrics,
  ) {
    const list = async (): Promise<KubernetesListObject<ClientObject>> => {
      const query = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
      // Trimmed page by page: a large first list never holds every object whole at once.
      const result = await client.list<T>(options.path, query, (item) => trimmedForCache(item, options.trim));
      return { apiVersion: 'v1', kind: 'List', metadata: result.metadata, items: result.items };
    };
    // ListWatch calls nothing but watch() on its Watch, and only abort() on what that returns.
    const watch = { watch: client.watch.bind(client) } as unknown as Watch;
    this.listWatch = new ListWatch<ClientObject>(options.path, watch, list, false, options.labelSelector, options.fieldSelector);
    // Listed objects arrive trimmed already; trimming again finds nothing left to drop.
    this.listWatch.on('add', (obj: T) => {
      const cached = trimmedForCache(obj, options.trim);
      this.handlers.forEach((h) => h.add?.(cached));
    });
    this.listWatch.on('update', (obj: T) => {
      const cached = trimmedForCache(obj, options.trim);
      this.handlers.forEach((h) => h.update?.(cached));
    });
    this.listWatch.on('delete', (obj: T) => this.handlers.forEach((h) => h.delete?.(obj)));
    this.listWatch.on('error', (error) => this.onError(error));
    // ListWatch reconnects by itself when the API server ends a watch; count those too.
    let connects = 0;
    this.listWatch.on('connect', () => {
      if (connects++ > 0) this.metrics?.watchRestarts.inc({ resource: options.resource, cause: 'ended' });
    });
  }

  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
  }

  /** Called with true when an optional resource starts being served, false when it stops. */
  onPresenceChange(listener: (present: boolean) => void): void {
    this.presenceListeners.push(listener);
  }

  /** Resolves once the first list has succeeded (or an optional resource was found absent). */
  async start(): Promise<void> {
    this.stopped = false;
    for (;;) {
      this.lastError = undefined;
      await this.listWatch.start();
      if (this.lastError === undefined) {
        this.setServed(true);
        this.synced = true;
        return;
      }
      if (this.options.optional && isNotFound(this.lastError)) {
        this.synced = true;
        return;
      }
      if (this.stopped) return;
      await new Promise((r) => setTimeout(r, this.nextRestartDelay()));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.listWatch.stop();
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** False while an optional resource is not served by the API server. */
  get present(): boolean {
    return this.served;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.listWatch.list(namespace);
  }

  private onError(error: unknown): void {
    this.lastError = error;
    if (this.stopped) return;
    this.metrics?.watchRestarts.inc({ resource: this.options.resource, cause: 'failed' });
    if (this.options.optional && isNotFound(error)) {
      if (this.served) this.log.info({ resource: this.options.resource }, 'resource is not served; watching for it to appear');
      this.setServed(false);
      this.scheduleRestart(this.options.absentRetryMs ?? 15_000);
      return;
    }
    this.log.warn({ resource: this.options.resource, err: error }, 'watch failed; restarting');
    if (this.synced) this.scheduleRestart(this.nextRestartDelay());
  }

  private scheduleRestart(delayMs: number): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.lastError = undefined;
      void this.listWatch.start().then(() => {
        if (this.lastError === undefined) {
          this.restartDelayMs = 500;
          this.setServed(true);
        }
      });
    }, delayMs);
    this.restartTimer.unref();
  }

  private nextRestartDelay(): number {
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(MAX_RESTART_DELAY_MS, this.restartDelayMs * 2);
    return delay;
  }

  private setServed(present: boolean): void {
    if (this.served === present) return;
    this.served = present;
    this.presenceListeners.forEach((listener) => listener(present));
  }
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Drops metadata.managedFields and kubectl's last-applied copy from a cached object (the cache holds
 * this very object): together they are often the larger part of an object, and nothing here reads them.
 */
function trimmedForCache<T extends KubeObject>(obj: T, trim: InformerOptions['trim']): T {
  const metadata = obj.metadata;
  if (metadata && (metadata.managedFields !== undefined || metadata.annotations?.[LAST_APPLIED] !== undefined)) {
    obj.metadata = without(metadata, ['managedFields']);
    if (metadata.annotations?.[LAST_APPLIED] !== undefined) obj.metadata.annotations = without(metadata.annotations, [LAST_APPLIED]);
  }
  trim?.(obj);
  shareRepeatedStrings(obj);
  return obj;
}

/**
 * A copy of `object` without `keys`. Trimming builds objects anew rather than deleting from them:
 * V8 turns an object that lost a property into a dictionary, larger than the object it was.
 */
export function without<T extends object>(object: T, keys: readonly string[]): T {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) if (!keys.includes(key)) copy[key] = value;
  return copy as T;
}

/** A copy of `object` with only `keys` (those it has), built anew like `without`'s. */
export function only<T extends object>(object: T, keys: readonly string[]): T {
  const copy: Record<string, unknown> = {};
  for (const key of keys) if ((object as Record<string, unknown>)[key] !== undefined) copy[key] = (object as Record<string, unknown>)[key];
  return copy as T;
}

/**
 * Drops, in place, every top-level field of a cached object but `keep` (the cache holds this very object).
 * The fields are set to undefined rather than deleted, for the same reason `without` copies: a Kf App
 * whose spec and status were deleted takes about 700 bytes as a dictionary, 300 as it was.
 */
export function keepFields(obj: KubeObject, keep: readonly string[]): void {
  for (const key of Object.keys(obj)) if (!keep.includes(key)) obj[key] = undefined;
}
