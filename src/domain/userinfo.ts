// The UserInfo endpoint's answer (OIDC Core §5.3): the user an access token of ours was issued for, with
// `sub` as the client sees it and the claims its scopes (§5.4) and the `claims` parameter (§5.5) ask for.
//
// The token's audience is not checked: an access token for a resource server (RFC 8707) reaches userinfo
// too, as long as `openid` was granted. UserInfo is part of this authorization server, the token is ours
// and unexpired and unrevoked, and it only releases what the user consented to for that client; asking
// clients to hold a second token for it would help no one.
import { nowS } from '../clock.ts';
import type { Deps } from './deps.ts';
import { InsufficientScope, InvalidToken } from './errors.ts';
import { findToken } from './introspection.ts';
import { OPENID, requestedClaimNames, subjectFor, userClaims } from './oidc.ts';

/**
 * `proofJkt`: the thumbprint of the key of a verified DPoP proof when the token came as `Authorization: DPoP`;
 * undefined when it came as a bearer token.
 */
export async function userInfo(deps: Pick<Deps, 'clock' | 'config' | 'keys' | 'store'>, token: string, proofJkt?: string): Promise<Record<string, unknown>> {
  const found = token.length <= 4096 ? await findToken(deps, token, 'access_token') : null;
  // RFC 6750 §3.1: a token that is not a live access token of ours is invalid_token (a refresh token too).
  if (found?.kind !== 'access_token' || found.revoked || found.claims.exp <= nowS(deps.clock)) {
    throw new InvalidToken('the access token is invalid or expired');
  }
  const c = found.claims;
  // RFC 9449 §7.1: a DPoP-bound token is accepted only with a proof by its key, never as a bearer token.
  const jkt = (c as { cnf?: { jkt?: string } }).cnf?.jkt;
  if (jkt && proofJkt === undefined) throw new InvalidToken('the access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof');
  if (proofJkt !== undefined && jkt !== proofJkt) throw new InvalidToken('the DPoP proof is not made with the key the access token is bound to');
  const scopes = c.scope.split(' ');
  if (!scopes.includes(OPENID) || c.sub === c.client_id) throw new InsufficientScope(OPENID, 'the access token was not issued with the openid scope');
  const [user, client] = await Promise.all([deps.store.users.get(c.sub), deps.store.clients.get(c.client_id)]);
  if (!user || !client) throw new InvalidToken('the access token is invalid or expired');
  // The claims parameter's userinfo members were kept with the grant's refresh family ("<family>.<random>" jti).
  const dot = c.jti.indexOf('.');
  const family = dot > 0 ? await deps.store.refresh.getFamily(c.jti.slice(0, dot)) : null;
  const names = requestedClaimNames(scopes, family?.oidc?.claims?.userinfo);
  return { sub: subjectFor(deps.config, client, user.id), ...userClaims(user, names) };
}
