/** Failures answered with Cloud Foundry's `{"error": "..."}` body and status. */
export class CfError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'CfError';
  }
}

/** The strings clients match on, exactly as Cloud Foundry's policy server spells them. */
export const MESSAGES = {
  missingAuthorization: 'missing authorization header',
  tokenNotVerified: 'failed to verify token with uaa',
  inaccessibleApps: 'one or more applications cannot be found or accessed',
  quotaExceeded: 'policy quota exceeded',
  bodyUnreadable: 'failed reading request body',
  readFailed: 'database read failed',
  writeFailed: 'database write failed',
  tokenReviewFailed: 'failed to verify token',
  notFound: 'not found',
  /** Not Cloud Foundry's (its Go server answers such paths before its handlers): our wording, its shape. */
  badPath: 'invalid request path',
} as const;

export const ADMIN_SCOPES = ['network.admin'];
export const WRITE_SCOPES = ['network.admin', 'network.write'];

export function unauthenticated(message: string): CfError {
  return new CfError(401, message, { 'www-authenticate': 'Bearer' });
}

/** The caller holds neither of the allowed "scopes" (Kubernetes rights standing in for UAA scopes). */
export function missingScopes(allowed: string[]): CfError {
  return new CfError(403, `provided scopes [] do not include allowed scopes [${allowed.join(' ')}]`);
}

export function unsupportedVersion(version: string): CfError {
  return new CfError(406, `api version '${version}' not supported`);
}

/** `{"error": "..."}` with the space after the colon that Cloud Foundry's bodies have. */
export function errorBody(message: string): string {
  return `{"error": ${JSON.stringify(message)}}`;
}
