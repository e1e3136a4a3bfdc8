/**
 * A thin JSON client for the Kubernetes REST API. Objects stay plain JSON exactly as the API server
 * sends them, so what is cached, compared and written is what the server stores.
 */
import { HttpMethod, KubeConfig, RequestContext } from './client-node.js';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Agent, type Dispatcher } from 'undici';
import type { ObjectMetadata } from '../api/types.js';
import { apiRoute } from './api-route.js';
import { TokenBucket } from './rate-limiter.js';
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

  /** The status under the name client-node's ListWatch reads (a 410 makes it list afresh). */
  get statusCode(): number {
    return this.status;
  }
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
}

/** How the client treats the API server: its own rate limit, a timeout per request, retries. */
export interface ClientSettings {
  /** Requests per second sustained; 0 turns the client-side limit off (the API server's fairness still applies). */
  qps: number;
  /** Requests that may go at once before `qps` paces them. */
  burst: number;
  /** Longest one request may take, answer included (watches are not requests here). */
  timeoutMs: number;
  /** Retries of one request: a 429 of any method, and for reads a 5xx or a lost connection. */
  maxRetries: number;
}

export const DEFAULT_CLIENT_SETTINGS: ClientSettings = { qps: 500, burst: 1000, timeoutMs: 30_000, maxRetries: 8 };

/** Why a request is tried again. */
export type RetryCause = 'throttled' | 'server-error' | 'connection';

/** Told of every answer (or failure to get one) and every retry, for metrics. */
export interface ClientObserver {
  response(method: string, code: string, host: string): void;
  retry(cause: RetryCause): void;
}

/** Answers worth asking again for a read; a write is left to its caller (a retry could apply it twice). */
const RETRIED_READ_STATUSES = new Set([500, 502, 503, 504]);
const READ_METHODS = new Set(['GET', 'HEAD']);
const MAX_BACKOFF_MS = 5_000;
/** Longest Retry-After honoured; a longer one is capped so a request never sleeps past its usefulness. */
const MAX_RETRY_AFTER_MS = 10_000;

/** Exponential backoff with full jitter: a crowd of clients retrying does not return in step. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt);
}

/** Retry-After in seconds (what the API server sends) or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A request unanswered this long has the client check its connection: over HTTP/2 one connection carries
 * every request, and one that silently died (a dropped load-balancer flow, a half-open TCP connection)
 * would otherwise hold them all until their timeout. Any answer to the check, even 401, proves it alive.
 */
const CHECK_CONNECTION_AFTER_MS = 5_000;
const CONNECTION_CHECK_TIMEOUT_MS = 5_000;

/** A watch that passes no data this long is ended with a TimeoutError, which ListWatch answers by watching again at once. */
const WATCH_INACTIVITY_MS = 30_000;

/** Ends a watch; what client-node's ListWatch keeps of the Watch it is given. */
export interface WatchHandle {
  abort(): void;
}

const tracer = trace.getTracer(SERVICE_NAME);

export class KubeClient {
  readonly server: string;
  /**
   * client-node builds a new connection pool for every request it authenticates; one per client keeps
   * TLS connections alive and reused instead of opening (and leaving idle) one per call.
   */
  private dispatcher?: Dispatcher;
  /** The connection check in flight, if any: one at a time, whatever the number of slow requests. */
  private checking?: Promise<void>;
  /** Connections dropped because their check got no answer; their requests fail with that reason. */
  private readonly dead = new WeakSet<Dispatcher>();
  private readonly limiter?: TokenBucket;
  private readonly host: string;

  constructor(
    readonly config: KubeConfig,
    private readonly settings: ClientSettings = DEFAULT_CLIENT_SETTINGS,
    private readonly observer?: ClientObserver,
  ) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/$/, '');
    this.host = new URL(this.server).host;
    if (settings.qps > 0) this.limiter = new TokenBucket(settings.qps, settings.burst);
  }

  static fromFile(path: string, settings?: ClientSettings, observer?: ClientObserver): KubeClient {
    const config = new KubeConfig();
    config.loadFromFile(path);
    return new KubeClient(config, settings, observer);
  }

  /** One API call in a client span named by method and route, with the trace context passed on. */
  request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const route = apiRoute(path);
    const attributes = { 'http.request.method': method, 'url.template': route, 'server.address': new URL(this.server).hostname };
    return tracer.startActiveSpan(`${method} ${route}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        return await this.send<T>(method, path, options, (status) => span.setAttribute('http.response.status_code', status));
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /**
   * Sends a request within the client's rate limit and timeout. A 429 is tried again after the API
   * server's Retry-After (any method: a throttled request was not executed); a read also after a 5xx or
   * a lost connection, with jittered backoff. What still fails is thrown to the caller.
   */
  private async send<T>(method: string, path: string, options: RequestOptions, onStatus: (status: number) => void): Promise<T> {
    const url = this.urlOf(path, options.query ?? {});
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const isRead = READ_METHODS.has(method);
    for (let attempt = 0; ; attempt++) {
      await this.limiter?.take();
      const { requestContext, headers } = await this.authenticated(url, method);
      propagation.inject(context.active(), headers);
      if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      // A timer cleared with the answer: AbortSignal.timeout would fire for every finished request too.
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), this.settings.timeoutMs);
      let response: Dispatcher.ResponseData;
      let text: string;
      // Our own pool even without TLS settings: a hung one is destroyed below, which the global one must never be.
      const dispatcher = (this.dispatcher ??= requestContext.getDispatcher() ?? new Agent());
      const check = setTimeout(() => this.checkConnection(dispatcher, url.origin), CHECK_CONNECTION_AFTER_MS);
      try {
        // undici's request API rather than fetch: no web streams or spec-mandated copies on every call.
        response = await dispatcher.request({ origin: url.origin, path: url.pathname + url.search, method: method as Dispatcher.HttpMethod, headers, body, signal: timeout.signal });
        text = await response.body.text();
      } catch (error) {
        this.observer?.response(method, '<error>', this.host);
        if (timeout.signal.aborted) {
          // The connection may be the one that hangs (over HTTP/2 it carries every request): drop it, so
          // the next request opens a new one instead of waiting on the same dead connection.
          this.drop(dispatcher);
          throw new Error(`${method} ${path}: no answer within ${this.settings.timeoutMs / 1000}s`, { cause: error });
        }
        const reason = this.dead.has(dispatcher) ? `the connection stopped answering (a check on it got no answer within ${CONNECTION_CHECK_TIMEOUT_MS / 1000}s)` : (error as Error).message;
        if (!isRead || attempt >= this.settings.maxRetries) throw new Error(`${method} ${path}: ${reason}`, { cause: error });
        this.observer?.retry('connection');
        await sleep(backoffMs(attempt));
        continue;
      } finally {
        clearTimeout(timer);
        clearTimeout(check);
      }
      const status = response.statusCode;
      onStatus(status);
      this.observer?.response(method, String(status), this.host);
      if (status >= 200 && status < 300) return (text ? JSON.parse(text) : undefined) as T;
      const throttled = status === 429;
      if (attempt < this.settings.maxRetries && (throttled || (isRead && RETRIED_READ_STATUSES.has(status)))) {
        this.observer?.retry(throttled ? 'throttled' : 'server-error');
        const retryAfter = response.headers['retry-after'];
        const asked = throttled ? retryAfterMs(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) : undefined;
        // Clients told the same Retry-After should not all come back in the same millisecond.
        await sleep(asked === undefined ? backoffMs(attempt) : asked + backoffMs(0));
        continue;
      }
      throw apiError(status, text, method, path);
    }
  }

  private urlOf(path: string, query: Query): URL {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
    return url;
  }

  /** The kubeconfig's credentials for one call (they may change between calls: exec plugins, token files). */
  private async authenticated(url: URL, method: string): Promise<{ requestContext: RequestContext; headers: Record<string, string> }> {
    const requestContext = new RequestContext(url.toString(), method as HttpMethod);
    await this.config.applySecurityAuthentication(requestContext);
    return { requestContext, headers: { ...requestContext.getHeaders(), accept: 'application/json' } };
  }

  /** Asks `dispatcher` for /version; no answer in time means its connection is dead, so it is dropped. */
  private checkConnection(dispatcher: Dispatcher, origin: string): void {
    if (this.checking || this.dispatcher !== dispatcher) return;
    this.checking = dispatcher
      .request({ origin, path: '/version', method: 'GET', signal: AbortSignal.timeout(CONNECTION_CHECK_TIMEOUT_MS) })
      .then((answer) => answer.body.dump())
      .catch(() => {
        this.dead.add(dispatcher);
        this.drop(dispatcher);
      })
      .finally(() => (this.checking = undefined));
  }

  /** Stops using `dispatcher`: the next request opens a new connection, and requests still on it fail. */
  private drop(dispatcher: Dispatcher): void {
    if (this.dispatcher === dispatcher) this.dispatcher = undefined;
    void dispatcher.destroy().catch(() => undefined);
  }

  /**
   * Watches a collection as client-node's ListWatch expects of its Watch: `onEvent` for every event, then
   * `done` once when the watch ends (null when the server ended it). Each watch has a connection of its own,
   * so a long-lived stream never holds up requests, read as a Node stream split at newlines: no web
   * streams or readline per event. An event that is not JSON ends the watch with an error, so the informer
   * watches again from the last event it took instead of missing one.
   */
  async watch(path: string, query: Query, onEvent: (type: string, object: KubeObject) => void, done: (error: Error | null) => void): Promise<WatchHandle> {
    const url = this.urlOf(path, { ...query, watch: true });
    const { requestContext, headers } = await this.authenticated(url, 'GET');
    const dispatcher = requestContext.getDispatcher() ?? new Agent();
    const controller = new AbortController();
    let idleTimer: NodeJS.Timeout | undefined;
    let ended = false;
    const end = (error: Error | null) => {
      if (ended) return;
      ended = true;
      clearTimeout(idleTimer);
      controller.abort();
      void dispatcher.destroy().catch(() => undefined);
      done(error);
    };
    const stillAlive = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => end(new DOMException(`GET ${path}: the watch passed no data for ${WATCH_INACTIVITY_MS / 1000}s`, 'TimeoutError')), WATCH_INACTIVITY_MS);
      idleTimer.unref();
    };
    stillAlive();
    try {
      const response = await dispatcher.request({ origin: url.origin, path: url.pathname + url.search, method: 'GET', headers, signal: controller.signal });
      if (response.statusCode !== 200) throw apiError(response.statusCode, await response.body.text(), 'GET', path);
      stillAlive();
      const body = response.body.setEncoding('utf8');
      let partial = '';
      body.on('data', (chunk: string) => {
        stillAlive();
        let lines: WatchLines;
        try {
          lines = watchEvents(partial + chunk, path);
        } catch (error) {
          end(error as Error);
          return;
        }
        partial = lines.rest;
        for (const event of lines.events) if (!ended) onEvent(event.type, event.object);
      });
      body.on('error', end);
      body.on('end', () => end(null));
      body.on('close', () => end(null));
    } catch (error) {
      end(error as Error);
    }
    return { abort: () => controller.abort() };
  }

  get<T extends KubeObject>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** Lists every page. */
  /** Every page of a collection; `eachItem` may trim an item as its page arrives, before the next page is read. */
  async list<T extends KubeObject>(path: string, query: Query = {}, eachItem?: (item: T) => void): Promise<KubeList<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.request<KubeList<T>>('GET', path, { query: { ...query, limit: 500, continue: continueToken } });
      if (eachItem) page.items.forEach(eachItem);
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

export interface WatchEvent {
  type: string;
  object: KubeObject;
}

export interface WatchLines {
  events: WatchEvent[];
  /** The incomplete last line, which the next chunk continues. */
  rest: string;
}

/** The events of a watch's complete lines in `text` (one JSON event per line); a line that is not JSON throws. */
export function watchEvents(text: string, path: string): WatchLines {
  const events: WatchEvent[] = [];
  let start = 0;
  for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
    const line = text.slice(start, newline);
    start = newline + 1;
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as WatchEvent);
    } catch {
      throw new Error(`GET ${path}: a watch event is not JSON: ${line.length > 100 ? `${line.slice(0, 100)}…` : line}`);
    }
  }
  return { events, rest: text.slice(start) };
}

function apiError(status: number, text: string, method: string, path: string): KubeApiError {
  let reason = '';
  let message = text.trim() || `HTTP ${status}`;
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

/** The API server refused the request itself (forbidden, invalid): a retry alone will not change that. */
export function isRefusal(error: unknown): boolean {
  return error instanceof KubeApiError && [400, 403, 422].includes(error.status);
}

export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409;
}
