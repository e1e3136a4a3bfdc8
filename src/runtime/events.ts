/**
 * Kubernetes Events for what a user should notice. The same event for the same object is sent once
 * per window, so a retrying reconcile does not flood the API server.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { KubeApiError, type KubeClient, type KubeObject } from './kube-client.js';

export type EventType = 'Normal' | 'Warning';

const REPEAT_WINDOW_MS = 10 * 60_000;

export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly component = 'appnetpol',
  ) {}

  /** Records an event about `object`; cluster-scoped objects get theirs in the default namespace. */
  async record(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const meta = object.metadata ?? {};
    const dedupKey = `${meta.uid}|${reason}|${message}`;
    const now = Date.now();
    if ((this.recent.get(dedupKey) ?? 0) > now - REPEAT_WINDOW_MS) return;
    const namespace = meta.namespace || 'default';
    const timestamp = new Date(now).toISOString();
    try {
      await this.client.create(`/api/v1/namespaces/${namespace}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${meta.name}.${randomBytes(8).toString('hex')}`, namespace },
        involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: this.component,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        count: 1,
      });
      // Only an event that was sent holds back its repeats: one lost to an outage goes out on the next try.
      this.recent.set(dedupKey, now);
      if (this.recent.size > 10_000) this.forgetOld(now);
    } catch (error) {
      if (isNamespaceTerminating(error)) {
        // The object goes with its namespace: no one will read the event, and trying again cannot help.
        this.recent.set(dedupKey, now);
        this.log.debug({ reason, name: meta.name, namespace: meta.namespace }, 'event not recorded: its namespace is being deleted');
        return;
      }
      this.log.warn({ reason, name: meta.name, namespace: meta.namespace, err: error }, 'could not record event');
    }
  }

  private forgetOld(now: number): void {
    for (const [key, at] of this.recent) if (at <= now - REPEAT_WINDOW_MS) this.recent.delete(key);
  }
}

/** The NamespaceLifecycle admission plugin's refusal of new objects in a namespace being deleted. */
function isNamespaceTerminating(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 403 && error.message.includes('because it is being terminated');
}
