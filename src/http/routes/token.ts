// POST /token (also /oauth/token, AuthGate's path): RFC 6749 §3.2, §4.1.3, §4.4, §5, §6; RFC 7636 §4.5.
// Form-encoded only; grant_type is dispatched by hand so an unknown grant is unsupported_grant_type.
import { authenticateClient, parseBasicAuth } from '../../domain/clients.ts';
import type { Deps } from '../../domain/deps.ts';
import { InvalidClient, InvalidRequest, UnsupportedGrantType } from '../../domain/errors.ts';
import { exchangeAuthorizationCode } from '../../domain/grants/authorization-code.ts';
import { clientCredentials } from '../../domain/grants/client-credentials.ts';
import { refreshTokens } from '../../domain/grants/refresh-token.ts';
import type { TokenResponse } from '../../domain/tokens.ts';
import { JSON_NO_STORE_CORS } from '../headers.ts';
import { formParams, type Params, type ParamSpec } from '../params.ts';
import { enforce } from '../../domain/rate-limit.ts';
import { requestMeta } from '../context.ts';
import type { RouteTable } from '../serve.ts';

export const TOKEN_PARAMS: ParamSpec = {
  grant_type: { max: 128 },
  code: { max: 512 },
  redirect_uri: { max: 2000 },
  code_verifier: { max: 128 },
  refresh_token: { max: 512 },
  scope: { max: 2000 },
  resource: { max: 2000, repeat: true },
  client_id: { max: 256 },
  client_secret: { max: 512 },
  device_code: { max: 512 },
};

type GrantHandler = (deps: Deps, client: Awaited<ReturnType<typeof authenticateClient>>, p: Params) => Promise<TokenResponse>;

const GRANTS: Record<string, GrantHandler> = {
  authorization_code: (deps, client, p) =>
    exchangeAuthorizationCode(deps, client, { code: p.get('code'), redirectUri: p.get('redirect_uri'), codeVerifier: p.get('code_verifier') }),
  refresh_token: (deps, client, p) =>
    refreshTokens(deps, client, { refreshToken: p.get('refresh_token'), scope: p.get('scope'), resources: p.all('resource') }),
  client_credentials: (deps, client, p) => clientCredentials(deps, client, { scope: p.get('scope'), resources: p.all('resource') }),
};

/** Client credentials from the Basic header and the body (RFC 6749 §2.3.1). */
export function clientCredentialsOf(request: Request, p: Params) {
  const basic = parseBasicAuth(request.headers.get('authorization'));
  if (basic === 'malformed') throw new InvalidClient('malformed Basic authorization header');
  return { basic, clientId: p.get('client_id'), clientSecret: p.get('client_secret'), ip: requestMeta(request).ip };
}

export function tokenRoutes(deps: Deps, extraGrants: Record<string, GrantHandler> = {}): RouteTable {
  const grants = { ...GRANTS, ...extraGrants };
  const handler = async (request: Request) => {
    const ip = requestMeta(request).ip;
    enforce(deps.limits.tokenIp, ip, () => deps.metrics.rateLimited('token'));
    const p = await formParams(request, TOKEN_PARAMS);
    const grantType = p.get('grant_type');
    if (!grantType) throw new InvalidRequest('grant_type is missing');
    const grant = Object.hasOwn(grants, grantType) ? grants[grantType] : undefined;
    if (!grant) throw new UnsupportedGrantType(`grant_type ${grantType} is not supported`);
    const client = await authenticateClient(deps, clientCredentialsOf(request, p));
    enforce(deps.limits.tokenClient, client.id, () => deps.metrics.rateLimited('token_client'));
    const body = await grant(deps, client, p);
    deps.metrics.tokenIssued(grantType);
    return new Response(JSON.stringify(body), { headers: JSON_NO_STORE_CORS });
  };
  return { '/token': { POST: handler }, '/oauth/token': { POST: handler } };
}
