/**
 * Who is calling and what they may do: the bearer token is checked with a TokenReview; rights come
 * from SubjectAccessReviews on creating AppNetworkPolicies, so RBAC is the only policy there is. "admin"
 * may create them in every namespace, "write" in the namespaces of the apps concerned. Answers are
 * cached briefly (like the API server's own webhook authenticator) so list traffic costs no API calls.
 */
import { createHash } from 'node:crypto';
import { GROUP, PLURAL } from '../api/types.js';
import type { KubeClient, KubeObject } from '../runtime/kube-client.js';
import type { Logger } from '../runtime/logger.js';
import { CfError, MESSAGES, unauthenticated } from './errors.js';
import type { CfApiMetrics } from './metrics.js';
import { LRUCache } from 'lru-cache';

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

interface TokenReview extends KubeObject {
  status?: { authenticated?: boolean; user?: UserInfo; error?: string };
}

interface SubjectAccessReview extends KubeObject {
  status?: { allowed?: boolean };
}

const CACHE_TTL_MS = 10_000;
/** A namespace's "no" inside mayWriteAny's race for a "yes". */
const NO = Symbol('not allowed');
const CACHE_ENTRIES = 10_000;

/** RFC 6750's credentials: the scheme (any case), one space, exactly one token of its characters. */
const BEARER = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of an `Authorization` header; anything but exactly one well-formed token fails verification. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw unauthenticated(MESSAGES.missingAuthorization);
  const match = BEARER.exec(header);
  if (!match) throw unauthenticated(MESSAGES.tokenNotVerified);
  return match[1];
}

/** Anonymous requests are callers to the API server when it allows them, never to this service. */
function isAnonymous(user: UserInfo): boolean {
  return user.username === 'system:anonymous' || (user.groups ?? []).includes('system:unauthenticated');
}

export class Authorizer {
  /** TokenReview answers by token hash; concurrent requests with one token share one review in flight. */
  private readonly users: LRUCache<string, UserInfo, string>;
  /** SubjectAccessReview answers by (user, namespace), shared the same way. */
  private readonly decisions: LRUCache<string, boolean, { user: UserInfo; namespace: string }>;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly metrics?: CfApiMetrics,
  ) {
    this.users = new LRUCache({ max: CACHE_ENTRIES, ttl: CACHE_TTL_MS, fetchMethod: (_key, _stale, { context }) => this.review(context) });
    this.decisions = new LRUCache({ max: CACHE_ENTRIES, ttl: CACHE_TTL_MS, fetchMethod: (_key, _stale, { context }) => this.accessReview(context.user, context.namespace) });
  }

  async authenticate(header: string | undefined): Promise<UserInfo> {
    const token = bearerToken(header);
    const status: LRUCache.Status<string, UserInfo, string> = {};
    const user = await this.users.fetch(createHash('sha256').update(token).digest('hex'), { context: token, status });
    this.metrics?.authCacheLookup('token', status.fetch !== 'miss');
    return user!;
  }

  private async review(token: string): Promise<UserInfo> {
    const review = await this.client
      .create<TokenReview>('/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } })
      .catch((error: Error) => {
        this.log.error({ err: error }, 'TokenReview failed');
        throw new CfError(500, MESSAGES.tokenReviewFailed);
      });
    // A refusal is thrown, so it is not cached: the next request with the token asks again.
    if (!review.status?.authenticated || !review.status.user?.username || isAnonymous(review.status.user)) throw unauthenticated(MESSAGES.tokenNotVerified);
    return review.status.user;
  }

  /** May create AppNetworkPolicies in every namespace. */
  isAdmin(user: UserInfo): Promise<boolean> {
    return this.mayCreate(user, '');
  }

  /** May create AppNetworkPolicies in this namespace. */
  mayWrite(user: UserInfo, namespace: string): Promise<boolean> {
    return this.mayCreate(user, namespace);
  }

  /**
   * Whether the caller may write in at least one of these namespaces (the "network.write" scope): all
   * asked at once, answered by the first yes; a failed review counts only when no namespace says yes.
   */
  mayWriteAny(user: UserInfo, namespaces: readonly string[]): Promise<boolean> {
    return Promise.any(namespaces.map(async (namespace) => (await this.mayWrite(user, namespace)) || Promise.reject(NO))).catch((error: AggregateError) => {
      const failure = error.errors.find((e) => e !== NO);
      if (failure) throw failure;
      return false;
    });
  }

  private async mayCreate(user: UserInfo, namespace: string): Promise<boolean> {
    const status: LRUCache.Status<string, boolean, { user: UserInfo; namespace: string }> = {};
    const allowed = await this.decisions.fetch(JSON.stringify([user.username, user.uid, user.groups, user.extra, namespace]), { context: { user, namespace }, status });
    this.metrics?.authCacheLookup('access', status.fetch !== 'miss');
    return allowed!;
  }

  private async accessReview(user: UserInfo, namespace: string): Promise<boolean> {
    const review = await this.client
      .create<SubjectAccessReview>('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, resourceAttributes: { verb: 'create', group: GROUP, resource: PLURAL, namespace } },
      })
      .catch((error: Error) => {
        this.log.error({ err: error }, 'SubjectAccessReview failed');
        throw new CfError(500, MESSAGES.readFailed);
      });
    return review.status?.allowed === true;
  }
}
