/**
 * The HTTP face of the service: Cloud Foundry's routes, headers, status codes and error bodies, with
 * the W3C trace context of each request carried into the Kubernetes calls it causes.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { createServer as createHttpServer, STATUS_CODES } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../runtime/logger.js';
import { SERVICE_NAME } from '../runtime/tracing.js';
import { AnswerBuffers } from './answer-buffers.js';
import type { Authorizer } from './auth.js';
import type { AppDirectory } from './directory.js';
import type { CfApiMetrics } from './metrics.js';
import type { TlsPair } from './tls.js';
import { ADMIN_SCOPES, CfError, errorBody, MESSAGES, missingScopes, unsupportedVersion, WRITE_SCOPES } from './errors.js';
import { parseListFilter } from './filters.js';
import type { Caller, CfPolicyService } from './service.js';
import { API_VERSIONS, parsePolicies, policyListJson, type ApiVersion } from './wire.js';

export const BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Longer than any request line Node's HTTP server accepts (16 KiB of headers), so never the limit. */
const MAX_PATH_SEGMENT = 16 * 1024;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'deny',
  'content-security-policy': "frame-ancestors 'none'",
};

export interface ServerDeps {
  service: CfPolicyService;
  authorizer: Authorizer;
  directory: AppDirectory;
  log: Logger;
  metrics?: CfApiMetrics;
  /** Serve HTTPS with this certificate; plain HTTP without. */
  tls?: TlsPair;
  startedAt?: number;
}

type Access = 'admin' | 'write';

interface RequestState {
  context: Context;
  span: Span;
  caller?: Caller;
}

const tracer = trace.getTracer(SERVICE_NAME);

/** Go's time.Duration format, e.g. 1h2m3.5s, as Cloud Foundry prints its uptime. */
export function formatUptime(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = Number(((ms % 60_000) / 1000).toFixed(3));
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}

/**
 * A request Node's HTTP parser refuses never reaches a route: answer it in Cloud Foundry's shape too,
 * and say the connection closes, so a keep-alive client does not send its next request into it.
 */
function answerUnparsable(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || !socket.writable) {
    socket.destroy();
    return;
  }
  // Headers too large may belong to a HEAD request, whose answer must have no body: none then, as Node's own.
  const [status, body] = error.code === 'HPE_HEADER_OVERFLOW' ? [431, ''] : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, errorBody(MESSAGES.requestTimeout)] : [400, errorBody(MESSAGES.badRequest)];
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close', ...SECURITY_HEADERS };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${body}`);
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const startedAt = deps.startedAt ?? Date.now();
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    // A version segment of any length reaches the version check (406), as it does in Cloud Foundry.
    // The routes read the raw query with Cloud Foundry's rules (parseListFilter): Fastify's parse of each
    // request's query, ~7 KiB of GUIDs in a list, would be thrown away.
    routerOptions: { maxParamLength: MAX_PATH_SEGMENT, querystringParser: () => ({}) },
    // Paths that fail before routing (a bad % escape) still get Cloud Foundry's body and the headers.
    frameworkErrors: (_error, _request, reply) => void (reply as FastifyReply).code(400).headers(SECURITY_HEADERS).type('application/json').send(errorBody(MESSAGES.badPath)),
    clientErrorHandler: answerUnparsable,
    serverFactory: (handler) => (deps.tls ? createHttpsServer(deps.tls, handler) : createHttpServer(handler)),
  });
  const states = new WeakMap<FastifyRequest, RequestState>();

  // Cloud Foundry reads every body as JSON whatever its content type, even one that is no media type at
  // all: the header is dropped before Fastify would refuse it, and the one parser takes any body as text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    delete request.headers['content-type'];
    reply.headers(SECURITY_HEADERS);
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(`${request.method} ${request.routeOptions.url ?? 'unknown route'}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] } }, parent);
    states.set(request, { context: trace.setSpan(parent, span), span });
  });
  app.addHook('onResponse', async (request, reply) => {
    const state = states.get(request);
    state?.span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) state?.span.setStatus({ code: SpanStatusCode.ERROR });
    state?.span.end();
    deps.metrics?.answered(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  /** Runs `work` inside the request's trace context, so the Kubernetes calls it makes join the trace. */
  const inTrace = <T>(request: FastifyRequest, work: () => Promise<T>): Promise<T> => context.with(states.get(request)?.context ?? ROOT_CONTEXT, work);

  /** Version, then token, then rights: before the body is read, so strangers cannot make us read 10 MB. */
  const guard = (access: Access) => async (request: FastifyRequest) =>
    inTrace(request, async () => {
      const { version } = request.params as { version: string };
      if (!API_VERSIONS.includes(version)) throw unsupportedVersion(version);
      const user = await deps.authorizer.authenticate(request.headers.authorization);
      const admin = await deps.authorizer.isAdmin(user);
      if (access === 'admin' && !admin) throw missingScopes(ADMIN_SCOPES);
      if (!admin && !(await deps.authorizer.mayWriteAny(user, deps.directory.namespaces()))) throw missingScopes(WRITE_SCOPES);
      states.get(request)!.caller = { user, admin };
    });

  /** `handle` answers an object to serialize, or JSON already made (text or bytes). */
  const api = (method: 'GET' | 'POST', path: string, access: Access, handle: (caller: Caller, version: ApiVersion, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    app.route({
      method,
      url: `/networking/:version/external${path}`,
      onRequest: guard(access),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const { version } = request.params as { version: ApiVersion };
        const result = await inTrace(request, () => handle(states.get(request)!.caller!, version, request, reply));
        // Spelled out: Fastify adds the charset to text it sends, not to bytes.
        return reply.type('application/json; charset=utf-8').send(typeof result === 'string' || Buffer.isBuffer(result) ? result : JSON.stringify(result));
      },
    });

  const bodyOf = (request: FastifyRequest) => (typeof request.body === 'string' ? request.body : '');
  const rawQuery = (request: FastifyRequest) => request.url.split('?')[1] ?? '';

  api('POST', '/policies', 'write', async (caller, version, request) => {
    await deps.service.create(caller, parsePolicies(bodyOf(request), version));
    return {};
  });
  api('POST', '/policies/delete', 'write', async (caller, version, request) => {
    await deps.service.delete(caller, parsePolicies(bodyOf(request), version));
    return {};
  });
  const answerBuffers = new AnswerBuffers();
  api('GET', '/policies', 'write', async (caller, version, request, reply) =>
    policyListJson(await deps.service.list(caller, parseListFilter(rawQuery(request))), version, (size) => answerBuffers.lend(size, reply.raw)),
  );
  api('POST', '/policies/cleanup', 'admin', async (_caller, version) => policyListJson(await deps.service.cleanup(), version));
  api('GET', '/tags', 'admin', async () => ({ tags: deps.service.tags() }));
  api('GET', '/whoami', 'admin', async (caller) => ({ subject: caller.user.username }));

  const uptime = async (_request: FastifyRequest, reply: FastifyReply) => reply.type('text/plain').send(`Network policy server, up for ${formatUptime(Date.now() - startedAt)}\n`);
  app.get('/', uptime);
  app.get('/networking', uptime);
  app.get('/health', async (_request, reply) => reply.code(200).send());

  app.setNotFoundHandler(async (_request, reply) => reply.code(404).type('application/json').send(errorBody(MESSAGES.notFound)));
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (error instanceof CfError) return reply.code(error.status).headers(error.headers).type('application/json').send(errorBody(error.message));
    if (error.statusCode !== undefined && error.statusCode < 500) return reply.code(400).type('application/json').send(errorBody(MESSAGES.bodyUnreadable));
    deps.log.error({ err: error, path: request.url.split('?')[0] }, 'request failed');
    return reply.code(500).type('application/json').send(errorBody('internal server error'));
  });
  return app;
}
