// POST /introspect (RFC 7662 §2) and GET /oauth/tokeninfo (AuthGate compatibility).
// Introspection callers authenticate with `Authorization: Bearer $INTROSPECTION_TOKEN` (Deploys) or as a
// confidential client; with neither configured the endpoint answers 503.
import type { Static } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { authenticateClient } from '../../domain/clients.ts';
import type { Deps } from '../../domain/deps.ts';
import { InvalidClient, InvalidRequest, InvalidToken, TemporarilyUnavailable } from '../../domain/errors.ts';
import { introspectToken } from '../../domain/introspection.ts';
import { bearerToken, checkBearer } from '../bearer.ts';
import { JSON_NO_STORE } from '../headers.ts';
import { enforce } from '../../domain/rate-limit.ts';
import { requestMeta } from '../context.ts';
import * as input from '../input.ts';
import { param } from '../input.ts';
import { CLIENT_AUTH_FIELDS, clientCredentialsOf } from './token.ts';

const IntrospectForm = t.Object({ token: param(4096), token_type_hint: param(64), ...CLIENT_AUTH_FIELDS });
const TokeninfoQuery = t.Object({ access_token: param(4096) });

export function introspectRoutes(deps: Deps) {
  const { config } = deps;
  const introspect = async ({ request, body }: { request: Request; body: Static<typeof IntrospectForm> }) => {
    const bearer = bearerToken(request);
    if (bearer !== undefined) {
      checkBearer(bearer, config.introspectionToken, 'invalid introspection credentials');
    } else if (config.introspectionClientAuth) {
      // RFC 7662 §2.1: the protected resource authenticates; public clients cannot.
      const client = await authenticateClient(deps, clientCredentialsOf(request, body));
      if (client.tokenEndpointAuthMethod === 'none') throw new InvalidClient('public clients cannot introspect', false);
    } else {
      throw new InvalidToken('introspection requires the introspection token');
    }
    if (!body.token) throw new InvalidRequest('token is missing');
    const info = await introspectToken(deps, body.token, body.token_type_hint);
    return new Response(JSON.stringify(info), { headers: JSON_NO_STORE });
  };
  const tokeninfo = async ({ request, query }: { request: Request; query: Static<typeof TokeninfoQuery> }) => {
    // The token from the Authorization header (preferred, RFC 6750 §2.1) or ?access_token= (AuthGate).
    const token = bearerToken(request) ?? query.access_token;
    if (!token) throw new InvalidToken('an access token is required');
    const info = await introspectToken(deps, token, 'access_token');
    if (!info.active || info.token_type !== 'Bearer') throw new InvalidToken('the access token is invalid or expired');
    const { active: _a, token_type: _t, ...rest } = info;
    return new Response(JSON.stringify({ active: true, ...rest }), { headers: JSON_NO_STORE });
  };
  return new Elysia({ name: 'introspect' })
    .post(
      '/introspect',
      introspect,
      // Configured at all, then the per-IP limit — both before the body is read.
      input.form(IntrospectForm, {
        before: (request) => {
          if (!config.introspectionToken && !config.introspectionClientAuth) throw new TemporarilyUnavailable('introspection is not configured');
          enforce(deps.limits.introspectionIp, requestMeta(request).ip, () => deps.metrics.rateLimited('introspection'));
        },
        headers: input.authorizationHeader,
      }),
    )
    .get('/oauth/tokeninfo', tokeninfo, input.query(TokeninfoQuery, { headers: input.authorizationHeader }));
}
