// GET /.well-known/oauth-authorization-server (RFC 8414 §3) and /.well-known/openid-configuration (the
// same document, for clients that look there first), GET /jwks.json (RFC 7517 §5; also
// /.well-known/jwks.json). The metadata is fixed for the life of the process (built from the configuration),
// so it is a static route: Bun answers it without JavaScript, with an ETag and 304 Not Modified to a matching
// If-None-Match (RFC 9110 §13.1.2), and no request id, log line or metrics sample (serve.ts). The JWKS changes
// when keys rotate: built once per key change, served by a handler.
import type { Deps } from '../../domain/deps.ts';
import { CORS } from '../headers.ts';
import type { RouteTable } from '../serve.ts';

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
const METADATA_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'Access-Control-Allow-Origin': CORS['Access-Control-Allow-Origin'] };
const JWKS_HEADERS = { 'Content-Type': 'application/jwk-set+json', 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': CORS['Access-Control-Allow-Origin'] };

export function discoveryRoutes(deps: Deps, extra: Record<string, unknown> = {}): RouteTable {
  const body = JSON.stringify(authorizationServerMetadata(deps, extra));
  const metadata = new Response(body, { headers: METADATA_HEADERS });
  const jwks = () => new Response(deps.keys.jwksJson(), { headers: JWKS_HEADERS });
  return {
    '/.well-known/oauth-authorization-server': { GET: metadata },
    '/.well-known/openid-configuration': { GET: metadata },
    '/jwks.json': { GET: jwks },
    '/.well-known/jwks.json': { GET: jwks },
  };
}
