// POST /introspect (RFC 7662 §2) and GET /oauth/tokeninfo (AuthGate compatibility).
// Introspection callers authenticate with `Authorization: Bearer $INTROSPECTION_TOKEN` (Deploys) or as a
// confidential client; with neither configured the endpoint answers 503.
import { authenticateClient } from '../../domain/clients.ts';
import type { Deps } from '../../domain/deps.ts';
import { InvalidClient, InvalidRequest, InvalidToken, TemporarilyUnavailable } from '../../domain/errors.ts';
import { introspectToken } from '../../domain/introspection.ts';
import { bearerToken, checkBearer } from '../bearer.ts';
import { JSON_NO_STORE } from '../headers.ts';
import { enforce } from '../../domain/rate-limit.ts';
import { requestMeta } from '../context.ts';
import type { RouteTable } from '../serve.ts';
import { formParams, queryParams, type ParamSpec } from '../params.ts';
import { clientCredentialsOf } from './token.ts';

const INTROSPECT_PARAMS: ParamSpec = { token: { max: 4096 }, token_type_hint: { max: 64 }, client_id: { max: 256 }, client_secret: { max: 512 } };
const TOKENINFO_QUERY: ParamSpec = { access_token: { max: 4096 } };

export function introspectRoutes(deps: Deps): RouteTable {
  const { config } = deps;
  const introspect = async (request: Request) => {
    if (!config.introspectionToken && !config.introspectionClientAuth) throw new TemporarilyUnavailable('introspection is not configured');
    enforce(deps.limits.introspectionIp, requestMeta(request).ip, () => deps.metrics.rateLimited('introspection'));
    const p = await formParams(request, INTROSPECT_PARAMS);
    const bearer = bearerToken(request);
    if (bearer !== undefined) {
      checkBearer(bearer, config.introspectionToken, 'invalid introspection credentials');
    } else if (config.introspectionClientAuth) {
      // RFC 7662 §2.1: the protected resource authenticates; public clients cannot.
      const client = await authenticateClient(deps, clientCredentialsOf(request, p));
      if (client.tokenEndpointAuthMethod === 'none') throw new InvalidClient('public clients cannot introspect', false);
    } else {
      throw new InvalidToken('introspection requires the introspection token');
    }
    const token = p.get('token');
    if (!token) throw new InvalidRequest('token is missing');
    const body = await introspectToken(deps, token, p.get('token_type_hint'));
    return new Response(JSON.stringify(body), { headers: JSON_NO_STORE });
  };
  const tokeninfo = async (request: Request) => {
    // The token from the Authorization header (preferred, RFC 6750 §2.1) or ?access_token= (AuthGate).
    const header = bearerToken(request);
    const token = header ?? queryParams(request, TOKENINFO_QUERY).get('access_token');
    if (!token) throw new InvalidToken('an access token is required');
    const info = await introspectToken(deps, token, 'access_token');
    if (!info.active || info.token_type !== 'Bearer') throw new InvalidToken('the access token is invalid or expired');
    const { active: _a, token_type: _t, ...rest } = info;
    return new Response(JSON.stringify({ active: true, ...rest }), { headers: JSON_NO_STORE });
  };
  return { '/introspect': { POST: introspect }, '/oauth/tokeninfo': { GET: tokeninfo } };
}
