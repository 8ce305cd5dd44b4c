// grant_type=authorization_code (RFC 6749 §4.1.3; RFC 7636 §4.5–4.6): every binding checked before the
// atomic consume; a replayed code revokes what the first exchange issued (RFC 6749 §4.1.2).
import { nowS } from '../../clock.ts';
import { matchesHash } from '../../security/compare.ts';
import { verifyPkce } from '../../security/pkce.ts';
import { parseSecret } from '../../security/token-format.ts';
import type { ClientRow } from '../../store/store.ts';
import { CODE_PREFIX } from '../authorization.ts';
import type { Deps } from '../deps.ts';
import { InvalidGrant, InvalidRequest, UnauthorizedClient } from '../errors.ts';
import { addIdToken, prepareUserTokens, type RequestOrigin, revokeFamily, type TokenResponse } from '../tokens.ts';

/** authorization_code (RFC 6749 §4.1.3): every binding checked before the atomic consume. */
export async function exchangeAuthorizationCode(
  deps: Pick<Deps, 'audit' | 'clock' | 'config' | 'keys' | 'log' | 'store'>,
  client: ClientRow,
  input: { code: string | undefined; redirectUri: string | undefined; codeVerifier: string | undefined; jkt?: string | null },
  origin?: RequestOrigin,
): Promise<TokenResponse> {
  if (!client.grantTypes.includes('authorization_code')) throw new UnauthorizedClient('this client may not use the authorization code grant');
  if (!input.code) throw new InvalidRequest('code is missing');
  const parsed = parseSecret(CODE_PREFIX, input.code);
  const row = parsed ? await deps.store.codes.get(parsed.id) : null;
  if (!row || !matchesHash(input.code, row.hash)) throw new InvalidGrant('invalid authorization code');
  if (row.clientId !== client.id) throw new InvalidGrant('the code was issued to another client');
  const now = nowS(deps.clock);
  if (row.consumedAt !== null) {
    // RFC 6749 §4.1.2: a second use revokes what the first one issued.
    if (row.issuedFamilyId) {
      await revokeFamily(deps, row.issuedFamilyId, now);
      deps.audit.record('refresh.family_revoked', {
        userId: row.userId,
        clientId: client.id,
        details: { reason: 'code_replay', family_id: row.issuedFamilyId },
      });
    }
    if (row.issuedJti && row.issuedExp) await deps.store.revokedAccessTokens.add(row.issuedJti, row.issuedExp);
    deps.log.warn('authorization code replayed; tokens issued from it revoked', { client_id: client.id });
    throw new InvalidGrant('the code was already used');
  }
  if (row.expiresAt <= now) throw new InvalidGrant('the code has expired');
  // RFC 6749 §4.1.3: redirect_uri must be identical to the authorization request's.
  // It may be left out only where the authorization request could leave it out (one registered URI).
  const omittable = client.redirectUris.length === 1 && client.redirectUris[0] === row.redirectUri;
  if (input.redirectUri !== undefined ? input.redirectUri !== row.redirectUri : !omittable) {
    throw new InvalidGrant('redirect_uri does not match the authorization request');
  }
  if (row.codeChallenge) {
    if (!input.codeVerifier) throw new InvalidGrant('code_verifier is missing'); // RFC 7636 §4.5
    if (!verifyPkce(input.codeVerifier, row.codeChallenge)) throw new InvalidGrant('PKCE verification failed'); // RFC 7636 §4.6
  } else if (input.codeVerifier !== undefined) {
    // RFC 9700 §2.1.1: a code_verifier for a code issued without a challenge is a downgrade attempt.
    throw new InvalidGrant('code_verifier sent for a code issued without code_challenge');
  }
  // RFC 9449 §10: a code bound with dpop_jkt is exchanged only with a proof by that key.
  if (row.dpopJkt && input.jkt !== row.dpopJkt)
    throw new InvalidGrant(input.jkt ? 'the code is bound to another DPoP key (dpop_jkt)' : 'the code is bound to a DPoP key (dpop_jkt): send a DPoP proof');
  // Signed first, then one transaction consumes the code, creates the refresh family and records what was
  // issued (a code's grant never changes, so the row read above is what gets consumed). When another
  // exchange won the race, nothing is written and the signed token is thrown away.
  const scopes = row.scope.split(' ').filter(Boolean);
  const grant = { client, userId: row.userId, scopes, resources: row.resource, authTime: row.authTime, oidc: row.oidc, origin, jkt: input.jkt ?? null };
  const issued = prepareUserTokens(deps, grant, now);
  await addIdToken(deps, issued.response, grant); // OIDC Core §3.1.3.3

  const redeemed = await deps.store.codes.redeem(row.id, now, { jti: issued.jti, exp: issued.exp, family: issued.family });
  if (!redeemed) throw new InvalidGrant('the code was already used');
  deps.audit.tokenIssued('authorization_code', client.id, row.userId);
  return issued.response;
}
