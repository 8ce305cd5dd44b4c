// Token revocation (RFC 7009 §2). A refresh token revokes its whole family and the access tokens minted
// from it; an access token is remembered by jti until it expires (honoured by introspection). Unknown or
// already invalid tokens are not an error (§2.2).
import { nowS } from '../clock.ts';
import type { ClientRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { OAuthError } from './errors.ts';
import { findToken } from './introspection.ts';
import { revokeFamily } from './tokens.ts';

export async function revokeToken(
  deps: Pick<Deps, 'audit' | 'clock' | 'keys' | 'log' | 'store'>,
  client: ClientRow,
  token: string,
  hint?: string,
): Promise<void> {
  if (token.length > 4096) return;
  const found = await findToken(deps, token, hint);
  if (!found) return;
  const owner = found.kind === 'access_token' ? found.claims.client_id : found.family.clientId;
  // §2.1: the server verifies that the token was issued to the client making the request.
  if (owner !== client.id) throw new OAuthError('unauthorized_client', 'the token was issued to another client', 400);
  if (found.kind === 'refresh_token') {
    await revokeFamily(deps, found.family.id, nowS(deps.clock));
    deps.audit.record('refresh.family_revoked', {
      userId: found.family.userId,
      clientId: client.id,
      details: { reason: 'revocation', family_id: found.family.id },
    });
    deps.log.info('refresh family revoked', { client_id: client.id, user_id: found.family.userId, family_id: found.family.id });
  } else {
    await deps.store.revokedAccessTokens.add(found.claims.jti, found.claims.exp);
    deps.log.info('access token revoked', { client_id: client.id, jti: found.claims.jti });
  }
}
