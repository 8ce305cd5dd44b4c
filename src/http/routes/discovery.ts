// GET /.well-known/oauth-authorization-server (RFC 8414 §3) and /.well-known/openid-configuration (the
// same document, for clients that look there first), GET /jwks.json (RFC 7517 §5; also
// /.well-known/jwks.json). The metadata is fixed for the life of the process (built from the configuration),
// so by default it is a static route: Bun answers it without JavaScript — no request id, log line or metrics
// sample (serve.ts). With LOG_METADATA it is a handler like the others. Either way it carries the same ETag
// and a matching If-None-Match gets 304 Not Modified (RFC 9110 §13.1.2). The JWKS changes when keys rotate:
// built once per key change, served by a handler.
import type { Deps } from '../../domain/deps.ts';
import { sha256Base64url } from '../../security/hash.ts';
import { CORS, ifNoneMatches } from '../headers.ts';
import type { Handler, RouteTable } from '../serve.ts';

export function authorizationServerMetadata(deps: Deps, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base = deps.config.baseUrl;
  return {
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks.json`,
    scopes_supported: deps.config.scopes,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true, // RFC 9207 §3
    resource_indicators_supported: true, // RFC 8707
    ...extra,
  };
}

// Public documents: any origin may read them (no WWW-Authenticate to expose here).
const METADATA_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'public, max-age=3600',
  'Access-Control-Allow-Origin': CORS['Access-Control-Allow-Origin'],
};
const JWKS_HEADERS = {
  'Content-Type': 'application/jwk-set+json',
  'Cache-Control': 'public, max-age=300',
  'Access-Control-Allow-Origin': CORS['Access-Control-Allow-Origin'],
};

export function discoveryRoutes(deps: Deps, extra: Record<string, unknown> = {}): RouteTable {
  const metadata = metadataRoute(JSON.stringify(authorizationServerMetadata(deps, extra)), deps.config.logMetadata);
  const jwks = () => new Response(deps.keys.jwksJson(), { headers: JWKS_HEADERS });
  return {
    '/.well-known/oauth-authorization-server': { GET: metadata },
    '/.well-known/openid-configuration': { GET: metadata },
    '/jwks.json': { GET: jwks },
    '/.well-known/jwks.json': { GET: jwks },
  };
}

/** The metadata as a fixed Response (Bun serves it, with HEAD and 304) or, when it is to be logged, a handler
 * doing the same. The entity tag is ours in both cases (RFC 9110 §8.8.3: a strong tag; the bytes never change
 * while the process runs). */
function metadataRoute(body: string, logged: boolean): Response | Handler {
  const etag = `"${sha256Base64url(body).slice(0, 22)}"`;
  const headers = { ...METADATA_HEADERS, ETag: etag };
  if (!logged) return new Response(body, { headers });
  // §15.4.5: a 304 carries the ETag and Cache-Control a 200 would have.
  const notModified = {
    ETag: etag,
    'Cache-Control': METADATA_HEADERS['Cache-Control'],
    'Access-Control-Allow-Origin': METADATA_HEADERS['Access-Control-Allow-Origin'],
  };
  return (req) =>
    ifNoneMatches(req.headers.get('if-none-match'), etag) ? new Response(null, { status: 304, headers: notModified }) : new Response(body, { headers });
}
