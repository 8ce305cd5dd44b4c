// GET /.well-known/oauth-authorization-server (RFC 8414 §3) and /.well-known/openid-configuration (OIDC
// Discovery §3: the same document with the OpenID Provider fields), GET /jwks.json (RFC 7517 §5; also
// /.well-known/jwks.json). The metadata is fixed for the life of the process (built from the configuration),
// so by default it is a static route: Bun answers it without JavaScript — no request id, log line or metrics
// sample (serve.ts). With LOG_METADATA it is a handler like the others. Either way it carries the same ETag
// and a matching If-None-Match gets 304 Not Modified (RFC 9110 §13.1.2). The JWKS changes when keys rotate:
// built once per key change, served by a handler.
import { Elysia } from 'elysia';
import type { Deps } from '../../domain/deps.ts';
import { sha256Base64url } from '../../security/hash.ts';
import { ASYMMETRIC_ALGS } from '../../domain/assertions.ts';
import { DPOP_ALGS } from '../../domain/dpop.ts';
import { CORS, ifNoneMatches } from '../headers.ts';

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
    token_endpoint_auth_methods_supported: clientAuthMethods(deps.config, true),
    ...(deps.config.privateKeyJwt ? { token_endpoint_auth_signing_alg_values_supported: ASYMMETRIC_ALGS } : {}),
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true, // RFC 9207 §3
    resource_indicators_supported: true, // RFC 8707
    dpop_signing_alg_values_supported: DPOP_ALGS, // RFC 9449 §5.1
    ...extra,
  };
}

/** How clients may authenticate (RFC 8414 §2): secrets, keys when PRIVATE_KEY_JWT is on, and `none` for public clients where they may call. */
export function clientAuthMethods(config: Deps['config'], publicToo: boolean): string[] {
  return ['client_secret_basic', 'client_secret_post', ...(config.privateKeyJwt ? ['private_key_jwt'] : []), ...(publicToo ? ['none'] : [])];
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

/**
 * The metadata and JWKS routes: the RFC 8414 document, and the OpenID Provider metadata (OIDC Discovery
 * §3: the same fields and the OIDC ones) at /.well-known/openid-configuration. `fixed` holds both as Bun
 * static routes (path → Response) unless LOG_METADATA makes them handlers.
 */
export function discoveryRoutes(deps: Deps, extra: Record<string, unknown> = {}, oidcExtra: Record<string, unknown> = {}) {
  const oauth = authorizationServerMetadata(deps, extra);
  const documents: Record<string, string> = {
    '/.well-known/oauth-authorization-server': JSON.stringify(oauth),
    '/.well-known/openid-configuration': JSON.stringify({ ...oauth, ...oidcExtra }),
  };
  const document = () => new Response(deps.keys.jwksJson(), { headers: JWKS_HEADERS });
  // On a fresh server's first moments the ID-token key is still being made: the JWKS waits for it, so no
  // client caches a key set without it (a cached JWKS is refetched for an unknown kid only after a cool-down).
  const jwks = () => deps.keys.idKeyPending?.then(document) ?? document();
  const routes = new Elysia({ name: 'discovery' }).get('/jwks.json', jwks).get('/.well-known/jwks.json', jwks);
  const fixed: Record<string, { GET: Response }> = {};
  for (const [path, body] of Object.entries(documents)) {
    const etag = `"${sha256Base64url(body).slice(0, 22)}"`;
    const headers = { ...METADATA_HEADERS, ETag: etag };
    if (!deps.config.logMetadata) {
      fixed[path] = { GET: new Response(body, { headers }) };
      continue;
    }
    // RFC 9110 §15.4.5: a 304 carries the ETag and Cache-Control a 200 would have.
    const notModified = {
      ETag: etag,
      'Cache-Control': METADATA_HEADERS['Cache-Control'],
      'Access-Control-Allow-Origin': METADATA_HEADERS['Access-Control-Allow-Origin'],
    };
    routes.get(path, ({ request }) =>
      ifNoneMatches(request.headers.get('if-none-match'), etag) ? new Response(null, { status: 304, headers: notModified }) : new Response(body, { headers }),
    );
  }
  return { routes, fixed };
}
