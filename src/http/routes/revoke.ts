// POST /revoke (also /oauth/revoke, AuthGate): RFC 7009 §2, form-encoded; public clients by client_id,
// confidential clients authenticated; 200 for unknown tokens.
import type { Static } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { authenticateClient } from '../../domain/clients.ts';
import type { Deps } from '../../domain/deps.ts';
import { InvalidRequest } from '../../domain/errors.ts';
import { revokeToken } from '../../domain/revocation.ts';
import { JSON_NO_STORE_CORS } from '../headers.ts';
import * as input from '../input.ts';
import { param } from '../input.ts';
import { CLIENT_AUTH_FIELDS, clientCredentialsOf } from './token.ts';

const RevokeForm = t.Object({ token: param(4096), token_type_hint: param(64), ...CLIENT_AUTH_FIELDS });

export function revokeRoutes(deps: Deps) {
  const handler = async ({ request, body }: { request: Request; body: Static<typeof RevokeForm> }) => {
    const client = await authenticateClient(deps, clientCredentialsOf(request, body));
    if (!body.token) throw new InvalidRequest('token is missing');
    await revokeToken(deps, client, body.token, body.token_type_hint);
    return new Response(null, { status: 200, headers: JSON_NO_STORE_CORS });
  };
  const hooks = input.form(RevokeForm, { headers: input.authorizationHeader });
  return new Elysia({ name: 'revoke' }).post('/revoke', handler, hooks).post('/oauth/revoke', handler, hooks);
}
