/**
 * A thin JSON client for the Kubernetes REST API. Objects stay plain JSON exactly as the API server
 * sends them, so what is cached, compared and written is what the server stores.
 */
import { KubeConfig, RequestContext, HttpMethod } from '@kubernetes/client-node';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { fetch } from 'undici';
import type { ObjectMetadata } from '../api/types.js';
import { apiRoute } from './api-route.js';
import { SERVICE_NAME } from './tracing.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetadata & { [key: string]: unknown };
  [key: string]: unknown;
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** A failed API call, carrying the API server's own Status reason and message. */
export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

const tracer = trace.getTracer(SERVICE_NAME);

export class KubeClient {
  readonly server: string;
  /**
   * client-node builds a new connection pool for every request it authenticates; one per client keeps
   * TLS connections alive and reused instead of opening (and leaving idle) one per call.
   */
  private dispatcher?: ReturnType<RequestContext['getDispatcher']>;
  /** Called once per request with its method and status code (`<error>` when no answer came), for metrics. */
  onResponse?: (method: string, code: string) => void;

  constructor(readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/$/, '');
  }

  static fromFile(path: string): KubeClient {
    const config = new KubeConfig();
    config.loadFromFile(path);
    return new KubeClient(config);
  }

  /** One API call in a client span named by method and route, with the trace context passed on. */
  request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const route = apiRoute(path);
    const attributes = { 'http.request.method': method, 'url.template': route, 'server.address': new URL(this.server).hostname };
    return tracer.startActiveSpan(`${method} ${route}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      let answered = false;
      try {
        return await this.send<T>(method, path, options, (status) => {
          answered = true;
          span.setAttribute('http.response.status_code', status);
          this.onResponse?.(method, String(status));
        });
      } catch (error) {
        if (!answered) this.onResponse?.(method, '<error>');
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  private async send<T>(method: string, path: string, options: RequestOptions, onStatus: (status: number) => void): Promise<T> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const requestContext = new RequestContext(url.toString(), method as HttpMethod);
    await this.config.applySecurityAuthentication(requestContext);
    const headers: Record<string, string> = { ...requestContext.getHeaders(), accept: 'application/json' };
    propagation.inject(context.active(), headers);
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(url, { method, headers, body, dispatcher: (this.dispatcher ??= requestContext.getDispatcher()), signal: options.signal });
    onStatus(response.status);
    const text = await response.text();
    if (!response.ok) throw apiError(response.status, text, method, path);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T extends KubeObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** Lists every page. */
  async list<T extends KubeObject>(path: string, query: Query = {}): Promise<KubeList<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.request<KubeList<T>>('GET', path, { query: { ...query, limit: 500, continue: continueToken } });
      items.push(...page.items);
      continueToken = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (continueToken);
    return { metadata: { resourceVersion }, items };
  }

  create<T extends KubeObject>(path: string, body: T, query: Query = {}): Promise<T> {
    return this.request<T>('POST', path, { body, query });
  }

  /** Server-side apply of a full intent object. */
  apply<T extends KubeObject>(path: string, body: T, fieldManager: string, options: { force?: boolean; subresource?: string } = {}): Promise<T> {
    return this.request<T>('PATCH', options.subresource ? `${path}/${options.subresource}` : path, {
      body,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, force: options.force ?? true },
    });
  }

  mergePatch<T extends KubeObject>(path: string, patch: unknown, query: Query = {}): Promise<T> {
    return this.request<T>('PATCH', path, { body: patch, contentType: 'application/merge-patch+json', query });
  }

  replace<T extends KubeObject>(path: string, body: T, query: Query = {}): Promise<T> {
    return this.request<T>('PUT', path, { body, query });
  }

  async delete(path: string, query: Query = {}): Promise<void> {
    await this.request('DELETE', path, { query });
  }
}

function apiError(status: number, text: string, method: string, path: string): KubeApiError {
  let reason = '';
  let message = text || `HTTP ${status}`;
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    reason = parsed.reason ?? '';
    message = parsed.message ?? message;
  } catch {
    // Not a Status object: keep the raw text.
  }
  return new KubeApiError(status, reason, message, method, path);
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 404;
}

export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409;
}
