// POST /revoke (also /oauth/revoke, AuthGate): RFC 7009 §2, form-encoded; public clients by client_id,
// confidential clients authenticated; 200 for unknown tokens.
import { authenticateClient } from '../../domain/clients.ts';
import type { Deps } from '../../domain/deps.ts';
import { InvalidRequest } from '../../domain/errors.ts';
import { revokeToken } from '../../domain/revocation.ts';
import { JSON_NO_STORE_CORS } from '../headers.ts';
import { formParams, type ParamSpec } from '../params.ts';
import { clientCredentialsOf } from './token.ts';
import type { RouteTable } from '../serve.ts';

const REVOKE_PARAMS: ParamSpec = { token: { max: 4096 }, token_type_hint: { max: 64 }, client_id: { max: 2048 }, client_secret: { max: 512 } };

export function revokeRoutes(deps: Deps): RouteTable {
  const handler = async (request: Request) => {
    const p = await formParams(request, REVOKE_PARAMS);
    const client = await authenticateClient(deps, clientCredentialsOf(request, p));
    const token = p.get('token');
    if (!token) throw new InvalidRequest('token is missing');
    await revokeToken(deps, client, token, p.get('token_type_hint'));
    return new Response(null, { status: 200, headers: JSON_NO_STORE_CORS });
  };
  return { '/revoke': { POST: handler }, '/oauth/revoke': { POST: handler } };
}
