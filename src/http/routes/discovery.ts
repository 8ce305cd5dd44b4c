// GET /.well-known/oauth-authorization-server (RFC 8414 §3) and /.well-known/openid-configuration (the
// same document, for clients that look there first), GET /jwks.json (RFC 7517 §5; also
// /.well-known/jwks.json). Built once per key change, not per request.
import { Elysia } from 'elysia';
import type { Deps } from '../../domain/deps.ts';
import { CORS } from '../headers.ts';

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

export function discoveryRoutes(deps: Deps, extra: Record<string, unknown> = {}) {
  const body = JSON.stringify(authorizationServerMetadata(deps, extra));
  const metadata = () =>
    new Response(body, { headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=3600', ...CORS } });
  const jwks = () =>
    new Response(deps.keys.jwksJson(), { headers: { 'Content-Type': 'application/jwk-set+json', 'Cache-Control': 'public, max-age=300', ...CORS } });
  return new Elysia({ name: 'discovery' })
    .get('/.well-known/oauth-authorization-server', metadata)
    .get('/.well-known/openid-configuration', metadata)
    .get('/jwks.json', jwks)
    .get('/.well-known/jwks.json', jwks);
}
