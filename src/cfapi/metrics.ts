/** The CF API's metrics: requests by route and status code, their latency, and how often the auth caches answer. */
import { Counter, Histogram } from 'prom-client';
import { ProcessMetrics } from '../runtime/metrics.js';

/** Which answers of the API server a cache holds: TokenReviews (`token`) or SubjectAccessReviews (`access`). */
export type AuthCache = 'token' | 'access';

export class CfApiMetrics extends ProcessMetrics {
  readonly requests = new Counter({
    name: 'appnetpol_cf_api_requests_total',
    help: 'CF API requests answered, by method, route (the route template, "unmatched" for 404s) and status code.',
    labelNames: ['method', 'route', 'code'] as const,
    registers: [this.registry],
  });
  readonly requestDuration = new Histogram({
    name: 'appnetpol_cf_api_request_duration_seconds',
    help: 'Time from receiving a CF API request to the end of its answer, by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly authCacheLookups = new Counter({
    name: 'appnetpol_cf_api_auth_cache_lookups_total',
    help: 'Lookups in the caches of TokenReview (cache="token") and SubjectAccessReview (cache="access") answers, by result (hit or miss).',
    labelNames: ['cache', 'result'] as const,
    registers: [this.registry],
  });

  answered(method: string, route: string, code: number, seconds: number): void {
    this.requests.inc({ method, route, code: String(code) });
    this.requestDuration.observe({ method, route }, seconds);
  }

  authCacheLookup(cache: AuthCache, hit: boolean): void {
    this.authCacheLookups.inc({ cache, result: hit ? 'hit' : 'miss' });
  }
}
