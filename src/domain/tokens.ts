// What every grant issues: JWT access tokens (RFC 9068), refresh tokens and their families, the token
// response (RFC 6749 §5.1), and revoking a family with the access tokens minted under it. The grants
// themselves are in grants/, one file each.
import { ACCESS_TOKEN_TTL_MAX } from '../config.ts';
import { randomId, sortableId } from '../security/random.ts';
import { mintSecret } from '../security/token-format.ts';
import type { ClientRow, FamilyRow, OidcGrant, RefreshRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { issueIdToken, OPENID } from './oidc.ts';
import { audienceFor } from './scopes.ts';

export const REFRESH_PREFIX = 'rt_';

export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: DPoP for a token bound to a key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  /** OIDC Core §3.1.3.3: when `openid` was granted. */
  id_token?: string;
}

export interface Grant {
  client: ClientRow;
  userId: string | null;
  scopes: string[];
  resources: string[];
  authTime?: number;
  /** RFC 9449: the DPoP key thumbprint of the request's proof; the access token is bound to it (cnf.jkt). */
  jkt?: string | null;
}

/**
 * An access token's jti: random, and under a refresh family "<family id>.<random>", so that one row revokes
 * every access token of a revoked grant (revokeFamily) without a list of them to keep up to date at each
 * rotation. (Family ids are base64url: never a ".".) A resource server learns which tokens share a grant,
 * which their sub, client_id and auth_time tell it already.
 */
export function accessToken(deps: Pick<Deps, 'config' | 'keys'>, g: Grant, familyId?: string) {
  const jti = familyId === undefined ? randomId(16) : `${familyId}.${randomId(16)}`;
  const { token, exp } = deps.keys.signAccessToken({
    sub: g.userId ?? g.client.id,
    client_id: g.client.id,
    scope: g.scopes.join(' '),
    aud: audienceFor(deps.config, g.resources),
    jti,
    ...(g.authTime !== undefined ? { auth_time: g.authTime } : {}),
    ...(g.jkt ? { cnf: { jkt: g.jkt } } : {}),
  });
  return { token, exp, jti, jkt: g.jkt ?? null };
}

export function newRefresh(
  deps: Pick<Deps, 'config'>,
  familyId: string,
  scopes: string[],
  resources: string[],
  now: number,
): { row: RefreshRow; token: string } {
  const s = mintSecret(REFRESH_PREFIX);
  return {
    token: s.token,
    row: {
      id: s.id,
      hash: s.hash,
      familyId,
      scope: scopes.join(' '),
      resource: resources,
      createdAt: now,
      expiresAt: now + deps.config.refreshTokenTtl,
      consumedAt: null,
      lastJti: null,
      lastExp: null,
    },
  };
}

export function tokenResponse(deps: Pick<Deps, 'config'>, at: { token: string; jkt?: string | null }, scopes: string[], refresh?: string): TokenResponse {
  const r: TokenResponse = {
    access_token: at.token,
    token_type: at.jkt ? 'DPoP' : 'Bearer',
    expires_in: deps.config.accessTokenTtl,
    scope: scopes.join(' '),
  };
  if (refresh) r.refresh_token = refresh;
  return r;
}

/**
 * Tokens for a user grant (code or device): an access token, and a new refresh family when the client has
 * the refresh_token grant. Returns what was issued so a replayed code can revoke it.
 */
export async function issueUserTokens(
  deps: Pick<Deps, 'clock' | 'config' | 'keys' | 'store'>,
  grant: UserGrant,
  now: number,
): Promise<{ response: TokenResponse; familyId: string | null; jti: string; exp: number }> {
  const issued = prepareUserTokens(deps, grant, now);
  await addIdToken(deps, issued.response, grant);
  if (issued.family) await deps.store.refresh.insertFamily(issued.family.row, issued.family.first);
  return { response: issued.response, familyId: issued.family?.row.id ?? null, jti: issued.jti, exp: issued.exp };
}

/** Where a token request came from: kept on the refresh family it starts, for /account. */
export interface RequestOrigin {
  ip: string;
  userAgent: string | null;
}

type UserGrant = {
  client: ClientRow;
  userId: string;
  scopes: string[];
  resources: string[];
  authTime: number;
  oidc?: OidcGrant | null;
  origin?: RequestOrigin;
  /** The DPoP key of the token request: binds the access token, and a public client's refresh tokens. */
  jkt?: string | null;
};

/**
 * Add an ID token (OIDC Core §3.1.3.3, §12.2 on refresh) to a response when the grant kept its OIDC facts
 * (`openid` was granted) and `openid` is among the scopes of this response.
 */
export async function addIdToken(
  deps: Pick<Deps, 'clock' | 'config' | 'keys' | 'store'>,
  response: TokenResponse,
  g: { client: ClientRow; userId: string; authTime: number; oidc?: OidcGrant | null; scopes: readonly string[] },
): Promise<void> {
  if (!g.oidc || !g.scopes.includes(OPENID)) return;
  const user = await deps.store.users.get(g.userId);
  if (!user) return; // removed: its grants are gone with it
  if (deps.keys.idKeyPending) await deps.keys.idKeyPending; // a fresh server's first moments: its RS256 key may still be in the making
  response.id_token = issueIdToken(deps, { client: g.client, user, authTime: g.authTime, oidc: g.oidc, accessToken: response.access_token });
}

/** The tokens of a user grant, signed and minted but not yet stored. */
export function prepareUserTokens(deps: Pick<Deps, 'config' | 'keys'>, grant: UserGrant, now: number) {
  const { client, userId, scopes, resources, authTime, oidc } = grant;
  if (!client.grantTypes.includes('refresh_token')) {
    const at = accessToken(deps, grant);
    return { response: tokenResponse(deps, at, scopes), jti: at.jti, exp: at.exp, family: null };
  }
  const familyId = sortableId();
  const at = accessToken(deps, grant, familyId);
  const r = newRefresh(deps, familyId, scopes, resources, now);
  const row: FamilyRow = {
    id: familyId,
    clientId: client.id,
    userId,
    scope: scopes.join(' '),
    resource: resources,
    authTime,
    createdAt: now,
    revokedAt: null,
    expiresAt: r.row.expiresAt,
    liveTokenId: r.row.id,
    liveParentId: null,
    oidc: oidc ?? null,
    userAgent: grant.origin?.userAgent ?? null,
    ip: grant.origin?.ip ?? null,
    lastUsedAt: now,
    // RFC 9449 §5: a public client's refresh tokens are bound to the key (a confidential client's to its credentials).
    dpopJkt: grant.jkt && client.tokenEndpointAuthMethod === 'none' ? grant.jkt : null,
  };
  return { response: tokenResponse(deps, at, scopes, r.token), jti: at.jti, exp: at.exp, family: { row, first: r.row } };
}

/** The key in revoked_access_tokens that revokes every access token minted under a family ("<id>.*"). */
const familyMark = (familyId: string) => `${familyId}.*`;

/**
 * Revoke a refresh family (RFC 7009 §2.1: and the access tokens of the same grant): its tokens can no longer
 * rotate, and its mark stays in revoked_access_tokens as long as any access token minted under it can live.
 * False when it was revoked already or is gone.
 */
export function revokeFamily(deps: Pick<Deps, 'store'>, familyId: string, now: number): Promise<boolean> {
  return deps.store.refresh.revokeFamily(familyId, now, { jti: familyMark(familyId), expiresAt: now + ACCESS_TOKEN_TTL_MAX });
}

/** What revokes an access token with this jti: the jti itself, and its family's mark when it has one. */
export function revocationKeys(jti: string): [string] | [string, string] {
  const dot = jti.indexOf('.');
  return dot > 0 ? [jti, familyMark(jti.slice(0, dot))] : [jti];
}
