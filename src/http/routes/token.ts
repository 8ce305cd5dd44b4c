// POST /token (also /oauth/token, AuthGate's path): RFC 6749 §3.2, §4.1.3, §4.4, §5, §6; RFC 7636 §4.5.
// Form-encoded only; grant_type is dispatched by hand so an unknown grant is unsupported_grant_type.
import type { Static } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { authenticateClient, parseBasicAuth } from '../../domain/clients.ts';
import type { Deps } from '../../domain/deps.ts';
import { InvalidClient, InvalidRequest, UnsupportedGrantType } from '../../domain/errors.ts';
import { exchangeAuthorizationCode } from '../../domain/grants/authorization-code.ts';
import { clientCredentials } from '../../domain/grants/client-credentials.ts';
import { refreshTokens } from '../../domain/grants/refresh-token.ts';
import type { TokenResponse } from '../../domain/tokens.ts';
import { JSON_NO_STORE_CORS } from '../headers.ts';
import * as input from '../input.ts';
import { param, repeated } from '../input.ts';
import { enforce } from '../../domain/rate-limit.ts';
import { originOf, requestMeta } from '../context.ts';

export const TokenForm = t.Object({
  grant_type: param(128),
  code: param(512),
  redirect_uri: param(2000),
  code_verifier: param(128),
  refresh_token: param(512),
  scope: param(2000),
  resource: repeated(2000),
  client_id: param(256),
  client_secret: param(512),
  device_code: param(512),
});
type TokenParams = Static<typeof TokenForm>;

type GrantHandler = (
  deps: Deps,
  client: Awaited<ReturnType<typeof authenticateClient>>,
  p: TokenParams,
  origin: ReturnType<typeof originOf>,
) => Promise<TokenResponse>;

const GRANTS: Record<string, GrantHandler> = {
  authorization_code: (deps, client, p, origin) =>
    exchangeAuthorizationCode(deps, client, { code: p.code, redirectUri: p.redirect_uri, codeVerifier: p.code_verifier }, origin),
  refresh_token: (deps, client, p) => refreshTokens(deps, client, { refreshToken: p.refresh_token, scope: p.scope, resources: p.resource ?? [] }),
  client_credentials: (deps, client, p) => clientCredentials(deps, client, { scope: p.scope, resources: p.resource ?? [] }),
};

/** Client credentials from the Basic header and the body (RFC 6749 §2.3.1). */
export function clientCredentialsOf(request: Request, p: { client_id?: string; client_secret?: string }) {
  const basic = parseBasicAuth(request.headers.get('authorization'));
  if (basic === 'malformed') throw new InvalidClient('malformed Basic authorization header');
  return { basic, clientId: p.client_id, clientSecret: p.client_secret, ip: requestMeta(request).ip };
}

export function tokenRoutes(deps: Deps, extraGrants: Record<string, GrantHandler> = {}) {
  const grants = { ...GRANTS, ...extraGrants };
  const handler = async ({ request, body: p }: { request: Request; body: TokenParams }) => {
    const grantType = p.grant_type;
    if (!grantType) throw new InvalidRequest('grant_type is missing');
    const grant = Object.hasOwn(grants, grantType) ? grants[grantType] : undefined;
    if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    const client = await authenticateClient(deps, clientCredentialsOf(request, p));
    enforce(deps.limits.tokenClient, client.id, () => deps.metrics.rateLimited('token_client'));
    const body = await grant(deps, client, p, originOf(request));
    deps.metrics.tokenIssued(grantType);
    return new Response(JSON.stringify(body), { headers: JSON_NO_STORE_CORS });
  };
  // The per-IP limit runs before the body is read.
  const hooks = {
    ...input.form(TokenForm, { before: (request) => enforce(deps.limits.tokenIp, requestMeta(request).ip, () => deps.metrics.rateLimited('token')) }),
    headers: input.authorizationHeader,
  };
  return new Elysia({ name: 'token' }).post('/token', handler, hooks).post('/oauth/token', handler, hooks);
}
