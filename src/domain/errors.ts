// OAuth errors as classes, one per RFC error code (RFC 6749 §4.1.2.1 and §5.2, RFC 8628 §3.5,
// RFC 7591 §3.2.2, RFC 6750 §3.1, RFC 8707 §2). Routes and services only throw these; the one error
// handler (src/http/error-handler.ts) turns them into responses. No framework imports here.

export class OAuthError extends Error {
  override name = 'OAuthError';
  /** Extra response headers (WWW-Authenticate, Retry-After). */
  headers: Record<string, string> = {};
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
  toJSON(): { error: string; error_description?: string } {
    return this.description ? { error: this.error, error_description: this.description } : { error: this.error };
  }
}

const make = (code: string, status = 400) =>
  class extends OAuthError {
    constructor(description = '') {
      super(code, description, status);
    }
  };

export const InvalidRequest = make('invalid_request');
export const InvalidGrant = make('invalid_grant');
export const UnauthorizedClient = make('unauthorized_client');
export const UnsupportedGrantType = make('unsupported_grant_type');
export const UnsupportedResponseType = make('unsupported_response_type');
export const InvalidScope = make('invalid_scope');
export const InvalidTarget = make('invalid_target'); // RFC 8707 §2
export const AccessDenied = make('access_denied', 403);
export const ServerError = make('server_error', 500);
export const TemporarilyUnavailable = make('temporarily_unavailable', 503);
export const LoginRequired = make('login_required');
export const ConsentRequired = make('consent_required');
export const NotFound = make('not_found', 404);

/** RFC 6749 §5.2: failed client authentication → 401 with WWW-Authenticate when the client used Basic. */
export class InvalidClient extends OAuthError {
  constructor(description = 'client authentication failed', basic = true) {
    super('invalid_client', description, 401);
    if (basic) this.headers['WWW-Authenticate'] = 'Basic realm="auth", charset="UTF-8"';
  }
}

/** A bearer credential that is missing or wrong: 401 with a Bearer challenge (RFC 6750 §3, §3.1). */
export class InvalidToken extends OAuthError {
  constructor(description: string, realm = 'auth') {
    super('invalid_token', description, 401);
    this.headers['WWW-Authenticate'] = `Bearer realm="${realm}", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`;
  }
}

/** A token without the scope a resource needs: 403 with a Bearer challenge naming it (RFC 6750 §3.1). */
export class InsufficientScope extends OAuthError {
  constructor(scope: string, description: string, realm = 'auth') {
    super('insufficient_scope', description, 403);
    this.headers['WWW-Authenticate'] = `Bearer realm="${realm}", error="insufficient_scope", scope="${scope}"`;
  }
}

/** Too many requests: 429 with Retry-After (RFC 6585 §4). */
export class TooManyRequests extends OAuthError {
  constructor(retryAfterS: number, description = 'too many requests; retry later') {
    super('too_many_requests', description, 429);
    this.headers['Retry-After'] = String(Math.max(1, Math.ceil(retryAfterS)));
  }
}

/**
 * An error of the authorization endpoint. `redirectable` is false while the client or redirect_uri is
 * unverified: then it is shown as a page, never redirected (RFC 6749 §4.1.2.1).
 */
export class AuthorizeError extends OAuthError {
  constructor(
    error: string,
    description: string,
    readonly redirectable: boolean,
    readonly redirectUri?: string,
    readonly state?: string,
  ) {
    super(error, description, 400);
  }
}
