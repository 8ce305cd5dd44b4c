// Token introspection (RFC 7662 §2) and the shared "what is this token?" lookup used by revocation and
// tokeninfo. Inactive tokens — unknown, expired, revoked, rotated or malformed — say nothing but
// {"active": false} (§2.2).
import { nowS } from '../clock.ts';
import { matchesHash } from '../security/compare.ts';
import { parseSecret } from '../security/token-format.ts';
import type { FamilyRow, RefreshRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import type { VerifiedAccessToken } from './keys.ts';
import { audienceFor } from './scopes.ts';
import { REFRESH_PREFIX, revocationKeys } from './tokens.ts';

export type FoundToken =
  | { kind: 'access_token'; claims: VerifiedAccessToken; revoked: boolean }
  | { kind: 'refresh_token'; row: RefreshRow; family: FamilyRow };

/** Find a token we issued, whatever its state (the caller decides what is active). */
export async function findToken(deps: Pick<Deps, 'keys' | 'store'>, token: string, hint?: string): Promise<FoundToken | null> {
  const tryRefresh = async (): Promise<FoundToken | null> => {
    const parsed = parseSecret(REFRESH_PREFIX, token);
    if (!parsed) return null;
    const found = await deps.store.refresh.getWithFamily(parsed.id);
    if (!found || !matchesHash(token, found.row.hash)) return null;
    return { kind: 'refresh_token', row: found.row, family: found.family };
  };
  const tryAccess = async (): Promise<FoundToken | null> => {
    if (token.startsWith(REFRESH_PREFIX)) return null;
    const claims = await deps.keys.verifyAccessToken(token);
    if (!claims) return null;
    return { kind: 'access_token', claims, revoked: await deps.store.revokedAccessTokens.has(revocationKeys(claims.jti)) };
  };
  // RFC 7009 §2.1 / RFC 7662 §2.1: the hint orders the search; an unknown hint is ignored.
  const order = hint === 'refresh_token' ? [tryRefresh, tryAccess] : [tryAccess, tryRefresh];
  for (const f of order) {
    const found = await f();
    if (found) return found;
  }
  return null;
}

export type IntrospectionResponse = { active: false } | ({ active: true } & Record<string, unknown>);

export async function introspectToken(deps: Pick<Deps, 'clock' | 'config' | 'keys' | 'store'>, token: string, hint?: string): Promise<IntrospectionResponse> {
  if (token.length > 4096) return { active: false };
  const found = await findToken(deps, token, hint);
  if (!found) return { active: false };
  const now = nowS(deps.clock);
  if (found.kind === 'access_token') {
    const c = found.claims;
    if (found.revoked || c.exp <= now) return { active: false };
    // sub = client_id: a client_credentials token, no user behind it (no lookup).
    const user = c.sub === c.client_id ? null : await deps.store.users.get(c.sub);
    if (c.sub !== c.client_id && !user) return { active: false }; // the user was removed
    const cnf = (c as { cnf?: { jkt?: unknown } }).cnf;
    return {
      active: true,
      // RFC 9449 §6.2: a bound token says so, with the key's thumbprint, so a resource server can check proofs.
      token_type: cnf?.jkt ? 'DPoP' : 'Bearer',
      ...(cnf?.jkt ? { cnf: { jkt: cnf.jkt } } : {}),
      scope: c.scope,
      client_id: c.client_id,
      sub: c.sub,
      ...(user ? { username: user.username, ...(user.email ? { email: user.email } : {}) } : {}),
      aud: c.aud,
      iss: c.iss,
      exp: c.exp,
      iat: c.iat,
      jti: c.jti,
      ...(c.act ? { act: c.act } : {}), // RFC 8693 §4.1: who acts for the subject (an exchanged token)
    };
  }
  const { row, family } = found;
  if (row.consumedAt !== null || family.revokedAt !== null || row.expiresAt <= now || family.expiresAt <= now) return { active: false };
  const user = await deps.store.users.get(family.userId);
  if (!user) return { active: false };
  return {
    active: true,
    token_type: 'refresh_token',
    ...(family.dpopJkt ? { cnf: { jkt: family.dpopJkt } } : {}),
    scope: row.scope,
    client_id: family.clientId,
    sub: family.userId,
    username: user.username,
    ...(user.email ? { email: user.email } : {}),
    aud: audienceFor(deps.config, row.resource),
    iss: deps.config.baseUrl,
    exp: row.expiresAt,
    iat: row.createdAt,
  };
}
