// POST /token (also /oauth/token, AuthGate's path): RFC 6749 §3.2, §4.1.3, §4.4, §5, §6; RFC 7636 §4.5.
// RFC 8693 §2 (token exchange) and RFC 7523 §2.1 (jwt-bearer) when configured. Form-encoded only; grant_type
// is dispatched by hand so an unknown grant is unsupported_grant_type.
import type { Static } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { authenticateClient, type ClientCredentials, parseBasicAuth } from '../../domain/clients.ts';
import { jwtBearer, jwtBearerEnabled } from '../../domain/grants/jwt-bearer.ts';
import { type TokenExchangeResponse, tokenExchange } from '../../domain/grants/token-exchange.ts';
import { JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT } from '../../domain/grant-types.ts';
import { pathOf } from '../serve.ts';
import { checkProof, dpopHeader, InvalidDpopProof, spendProof } from '../../domain/dpop.ts';
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

/** The client authentication parameters every endpoint that authenticates clients takes (RFC 6749 §2.3.1, RFC 7523 §2.2). */
export const CLIENT_AUTH_FIELDS = {
  client_id: param(2048),
  client_secret: param(512),
  client_assertion_type: param(128),
  client_assertion: param(8192),
};

export const TokenForm = t.Object({
  grant_type: param(128),
  code: param(512),
  redirect_uri: param(2000),
  code_verifier: param(128),
  refresh_token: param(512),
  scope: param(2000),
  resource: repeated(2000),
  device_code: param(512),
  // RFC 7523 §2.1
  assertion: param(8192),
  // RFC 8693 §2.1
  subject_token: param(8192),
  subject_token_type: param(128),
  actor_token: param(8192),
  actor_token_type: param(128),
  requested_token_type: param(128),
  audience: repeated(2000),
  ...CLIENT_AUTH_FIELDS,
});
type TokenParams = Static<typeof TokenForm>;

type GrantHandler = (
  deps: Deps,
  client: Awaited<ReturnType<typeof authenticateClient>>,
  p: TokenParams,
  origin: ReturnType<typeof originOf>,
  /** The thumbprint of the request's DPoP key (RFC 9449), or null. */
  jkt: string | null,
) => Promise<TokenResponse | TokenExchangeResponse>;

const GRANTS: Record<string, GrantHandler> = {
  authorization_code: (deps, client, p, origin, jkt) =>
    exchangeAuthorizationCode(deps, client, { code: p.code, redirectUri: p.redirect_uri, codeVerifier: p.code_verifier, jkt }, origin),
  refresh_token: (deps, client, p, _origin, jkt) =>
    refreshTokens(deps, client, { refreshToken: p.refresh_token, scope: p.scope, resources: p.resource ?? [], jkt }),
  client_credentials: (deps, client, p, _origin, jkt) => clientCredentials(deps, client, { scope: p.scope, resources: p.resource ?? [], jkt }),
};

/** The grants switched on by configuration. */
function extensionGrants(deps: Deps): Record<string, GrantHandler> {
  const out: Record<string, GrantHandler> = {};
  if (deps.config.tokenExchange)
    out[TOKEN_EXCHANGE_GRANT] = (deps, client, p, origin, jkt) =>
      tokenExchange(deps, client, {
        subjectToken: p.subject_token,
        subjectTokenType: p.subject_token_type,
        actorToken: p.actor_token,
        actorTokenType: p.actor_token_type,
        requestedTokenType: p.requested_token_type,
        resources: p.resource ?? [],
        audiences: p.audience ?? [],
        scope: p.scope,
        ip: origin.ip,
        jkt,
      });
  if (jwtBearerEnabled(deps.config))
    out[JWT_BEARER_GRANT] = (deps, client, p, origin) =>
      jwtBearer(deps, client, { assertion: p.assertion, scope: p.scope, resources: p.resource ?? [], ip: origin.ip });
  return out;
}

/** Client credentials from the Basic header and the body (RFC 6749 §2.3.1), or a client assertion (RFC 7523 §2.2). */
export function clientCredentialsOf(
  request: Request,
  p: { client_id?: string; client_secret?: string; client_assertion_type?: string; client_assertion?: string },
): ClientCredentials {
  const basic = parseBasicAuth(request.headers.get('authorization'));
  if (basic === 'malformed') throw new InvalidClient('malformed Basic authorization header');
  return {
    basic,
    clientId: p.client_id,
    clientSecret: p.client_secret,
    assertionType: p.client_assertion_type,
    assertion: p.client_assertion,
    endpoint: pathOf(request.url),
    ip: requestMeta(request).ip,
  };
}

/** No client authentication at all: no Basic header, client_id, secret or assertion. */
function anonymous(request: Request, p: TokenParams): boolean {
  return (
    !request.headers.get('authorization') &&
    p.client_id === undefined &&
    p.client_secret === undefined &&
    p.client_assertion === undefined &&
    p.client_assertion_type === undefined
  );
}

export function tokenRoutes(deps: Deps, extraGrants: Record<string, GrantHandler> = {}) {
  const grants = { ...GRANTS, ...extensionGrants(deps), ...extraGrants };
  const handler = async ({ request, body: p }: { request: Request; body: TokenParams }) => {
    const grantType = p.grant_type;
    if (!grantType) throw new InvalidRequest('grant_type is missing');
    const grant = Object.hasOwn(grants, grantType) ? grants[grantType] : undefined;
    if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    // RFC 9449 §5: a DPoP proof binds what is issued to the client's key (checked before anything else is
    // done; its jti is recorded once the client has authenticated, so a refused request writes nothing).
    const header = dpopHeader(request);
    const proof = header === null ? null : await checkProof(deps, header, { htm: 'POST', htu: `${deps.config.baseUrl}${pathOf(request.url)}` });
    const headers = deps.config.dpopNonce ? { ...JSON_NO_STORE_CORS, 'DPoP-Nonce': deps.dpopNonces.current() } : JSON_NO_STORE_CORS;
    // A workload token presented as the grant is the credential itself (RFC 7523 §2.1 without client authentication).
    if (grantType === JWT_BEARER_GRANT && Object.hasOwn(grants, JWT_BEARER_GRANT) && anonymous(request, p)) {
      const body = await jwtBearer(deps, null, {
        assertion: p.assertion,
        scope: p.scope,
        resources: p.resource ?? [],
        ip: requestMeta(request).ip,
        jkt: proof?.jkt,
        // The assertion authenticates here: the proof's jti is recorded once it is verified (RFC 9449 §4.3 item 11).
        accepted: proof ? () => spendProof(deps, proof) : undefined,
      });
      deps.metrics.tokenIssued(grantType);
      return new Response(JSON.stringify(body), { headers });
    }
    const client = await authenticateClient(deps, clientCredentialsOf(request, p));
    enforce(deps.limits.tokenClient, client.id, () => deps.metrics.rateLimited('token_client'));
    // RFC 9449 §5.2: a client registered with dpop_bound_access_tokens must send a proof.
    if (!proof && client.metadata.dpop_bound_access_tokens === true)
      throw new InvalidDpopProof('this client must send a DPoP proof (dpop_bound_access_tokens)');
    if (proof) await spendProof(deps, proof); // RFC 9449 §4.3 item 11
    const body = await grant(deps, client, p, originOf(request), proof?.jkt ?? null);
    deps.metrics.tokenIssued(grantType);
    return new Response(JSON.stringify(body), { headers });
  };
  // The per-IP limit runs before the body is read.
  const hooks = input.form(TokenForm, {
    before: (request) => enforce(deps.limits.tokenIp, requestMeta(request).ip, () => deps.metrics.rateLimited('token')),
    headers: input.authorizationHeader,
  });
  return new Elysia({ name: 'token' }).post('/token', handler, hooks).post('/oauth/token', handler, hooks);
}
