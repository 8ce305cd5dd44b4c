// The token endpoint's grants (RFC 6749 §4.1.3, §4.4, §6; RFC 7636 §4.5–4.6; RFC 8707 §2.2) and the
// refresh-token policy (RFC 9700 §4.14.2): rotating, single use, one family per grant with one live token
// at a time, sliding lifetime. A rotated token presented again within REFRESH_REUSE_GRACE, while its
// successor is still unused, gets a fresh pair whose refresh token replaces that successor; any other
// reuse — after the grace, after the successor was used, or of a replaced successor — revokes the family.
import { nowS } from '../clock.ts';
import { ACCESS_TOKEN_TTL_MAX } from '../config.ts';
import { matchesHash } from '../security/compare.ts';
import { verifyPkce } from '../security/pkce.ts';
import { randomId, sortableId } from '../security/random.ts';
import { mintSecret, parseSecret } from '../security/token-format.ts';
import type { ClientRow, FamilyRow, RefreshRow } from '../store/store.ts';
import { CODE_PREFIX } from './authorization.ts';
import type { Deps } from './deps.ts';
import { InvalidGrant, InvalidRequest, InvalidTarget, UnauthorizedClient } from './errors.ts';
import { touchClient } from './clients.ts';
import { audienceFor, narrowScopes, resolveScopes, validateResources } from './scopes.ts';

export const REFRESH_PREFIX = 'rt_';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

interface Grant {
  client: ClientRow;
  userId: string | null;
  scopes: string[];
  resources: string[];
  authTime?: number;
}

/**
 * An access token's jti: random, and under a refresh family "<family id>.<random>", so that one row revokes
 * every access token of a revoked grant (revokeFamily) without a list of them to keep up to date at each
 * rotation. (Family ids are base64url: never a ".".) A resource server learns which tokens share a grant,
 * which their sub, client_id and auth_time tell it already.
 */
function accessToken(deps: Deps, g: Grant, familyId?: string) {
  const jti = familyId === undefined ? randomId(16) : `${familyId}.${randomId(16)}`;
  const { token, exp } = deps.keys.signAccessToken({
    sub: g.userId ?? g.client.id,
    client_id: g.client.id,
    scope: g.scopes.join(' '),
    aud: audienceFor(deps.config, g.resources),
    jti,
    ...(g.authTime !== undefined ? { auth_time: g.authTime } : {}),
  });
  return { token, exp, jti };
}

function newRefresh(deps: Deps, familyId: string, scopes: string[], resources: string[], now: number): { row: RefreshRow; token: string } {
  const s = mintSecret(REFRESH_PREFIX);
  return {
    token: s.token,
    row: { id: s.id, hash: s.hash, familyId, scope: scopes.join(' '), resource: resources, createdAt: now, expiresAt: now + deps.config.refreshTokenTtl, consumedAt: null, lastJti: null, lastExp: null },
  };
}

function response(deps: Deps, at: { token: string }, scopes: string[], refresh?: string): TokenResponse {
  const r: TokenResponse = { access_token: at.token, token_type: 'Bearer', expires_in: deps.config.accessTokenTtl, scope: scopes.join(' ') };
  if (refresh) r.refresh_token = refresh;
  return r;
}

/** authorization_code (RFC 6749 §4.1.3): every binding checked before the atomic consume. */
export async function exchangeAuthorizationCode(
  deps: Deps,
  client: ClientRow,
  input: { code: string | undefined; redirectUri: string | undefined; codeVerifier: string | undefined },
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
      deps.audit.record('refresh.family_revoked', { userId: row.userId, clientId: client.id, details: { reason: 'code_replay', family_id: row.issuedFamilyId } });
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
  // Signed first, then one transaction consumes the code, creates the refresh family and records what was
  // issued (a code's grant never changes, so the row read above is what gets consumed). When another
  // exchange won the race, nothing is written and the signed token is thrown away.
  const scopes = row.scope.split(' ').filter(Boolean);
  const issued = prepareUserTokens(deps, { client, userId: row.userId, scopes, resources: row.resource, authTime: row.authTime }, now);
  const redeemed = await deps.store.codes.redeem(row.id, now, { jti: issued.jti, exp: issued.exp, family: issued.family });
  if (!redeemed) throw new InvalidGrant('the code was already used');
  deps.audit.tokenIssued('authorization_code', client.id, row.userId);
  return issued.response;
}

/**
 * Tokens for a user grant (code or device): an access token, and a new refresh family when the client has
 * the refresh_token grant. Returns what was issued so a replayed code can revoke it.
 */
export async function issueUserTokens(
  deps: Deps,
  grant: UserGrant,
  now: number,
): Promise<{ response: TokenResponse; familyId: string | null; jti: string; exp: number }> {
  const issued = prepareUserTokens(deps, grant, now);
  if (issued.family) await deps.store.refresh.insertFamily(issued.family.row, issued.family.first);
  return { response: issued.response, familyId: issued.family?.row.id ?? null, jti: issued.jti, exp: issued.exp };
}

type UserGrant = { client: ClientRow; userId: string; scopes: string[]; resources: string[]; authTime: number };

/** The tokens of a user grant, signed and minted but not yet stored. */
function prepareUserTokens(deps: Deps, grant: UserGrant, now: number) {
  const { client, userId, scopes, resources, authTime } = grant;
  if (!client.grantTypes.includes('refresh_token')) {
    const at = accessToken(deps, grant);
    return { response: response(deps, at, scopes), jti: at.jti, exp: at.exp, family: null };
  }
  const familyId = sortableId();
  const at = accessToken(deps, grant, familyId);
  const r = newRefresh(deps, familyId, scopes, resources, now);
  const row: FamilyRow = {
    id: familyId, clientId: client.id, userId, scope: scopes.join(' '), resource: resources, authTime, createdAt: now, revokedAt: null, expiresAt: r.row.expiresAt,
    liveTokenId: r.row.id, liveParentId: null,
  };
  return { response: response(deps, at, scopes, r.token), jti: at.jti, exp: at.exp, family: { row, first: r.row } };
}

/** refresh_token (RFC 6749 §6) with rotation, reuse grace and family revocation. */
export async function refreshTokens(
  deps: Deps,
  client: ClientRow,
  input: { refreshToken: string | undefined; scope: string | undefined; resources: string[] },
): Promise<TokenResponse> {
  if (!client.grantTypes.includes('refresh_token')) throw new UnauthorizedClient('this client may not use refresh tokens');
  if (!input.refreshToken) throw new InvalidRequest('refresh_token is missing');
  const parsed = parseSecret(REFRESH_PREFIX, input.refreshToken);
  const found = parsed ? await deps.store.refresh.getWithFamily(parsed.id) : null;
  if (!found || !matchesHash(input.refreshToken, found.row.hash)) throw new InvalidGrant('invalid refresh token');
  // (A removed user's families are gone with it: ON DELETE CASCADE.)
  const { row, family } = found;
  // Bound to the client: another client's attempt changes nothing (Deploys refresh_test).
  if (family.clientId !== client.id) throw new InvalidGrant('the refresh token was issued to another client');
  const now = nowS(deps.clock);
  if (family.revokedAt !== null) throw new InvalidGrant('the refresh token was revoked');
  if (row.expiresAt <= now || family.expiresAt <= now) throw new InvalidGrant('the refresh token has expired');

  const granted = row.scope.split(' ').filter(Boolean);
  const scopes = narrowScopes(granted, input.scope);
  let resources = row.resource;
  if (input.resources.length) {
    const wanted = validateResources(deps.config, input.resources);
    // RFC 8707 §2.2: only resources of the original grant.
    if (!wanted.every((r) => row.resource.includes(r))) throw new InvalidTarget('resource exceeds the original grant');
    resources = wanted;
  }
  // Signed before the write: when the rotation loses a race, the token is thrown away.
  const at = accessToken(deps, { client, userId: family.userId, scopes, resources, authTime: family.authTime }, family.id);
  // The successor keeps the family's full scope/resource so narrowing applies to this access token only.
  const next = newRefresh(deps, family.id, granted, row.resource, now);
  let state = { row, family };
  if (isLive(row, family)) {
    if (await deps.store.refresh.rotate(row.id, now, next.row, next.row.expiresAt)) return issued(deps, client, family, at, scopes, next.token, now);
    // Lost a race (another rotation, a grace retry replacing it, a revocation): decide on what is stored now.
    state = (await deps.store.refresh.getWithFamily(row.id)) ?? state;
  }
  if (state.family.revokedAt !== null) throw new InvalidGrant('the refresh token was revoked');
  const consumedAt = state.row.consumedAt;
  if (consumedAt === null && isLive(state.row, state.family)) throw new InvalidGrant('invalid refresh token');
  const grace = deps.config.refreshReuseGrace;
  if (consumedAt !== null && grace > 0 && now - consumedAt <= grace && state.family.liveParentId === row.id) {
    // A lost response, or two processes refreshing at once: the successor this token's rotation made is
    // still unused, so a fresh pair replaces it — the family keeps one live refresh token.
    if (await deps.store.refresh.replaceLive(row.id, next.row, now, next.row.expiresAt)) return issued(deps, client, family, at, scopes, next.token, now);
  }
  // Presented after the grace, after its successor was used, or a successor a retry replaced: reuse.
  return detectedReuse(deps, client, family, now);
}

/** Whether a token may rotate: unconsumed and its family's live one (any unconsumed one before migration 10). */
const isLive = (row: RefreshRow, family: FamilyRow) => row.consumedAt === null && (family.liveTokenId === null || family.liveTokenId === row.id);

async function detectedReuse(deps: Deps, client: ClientRow, family: FamilyRow, now: number): Promise<never> {
  if (await revokeFamily(deps, family.id, now)) {
    deps.metrics.refreshReuse();
    deps.audit.record('refresh.reuse_detected', { userId: family.userId, clientId: client.id, details: { family_id: family.id } });
    deps.audit.record('refresh.family_revoked', { userId: family.userId, clientId: client.id, details: { reason: 'reuse', family_id: family.id } });
    deps.log.warn('refresh token reuse detected; family revoked', { client_id: client.id, user_id: family.userId, family_id: family.id });
  }
  throw new InvalidGrant('the refresh token was already used; its grant is revoked');
}

async function issued(deps: Deps, client: ClientRow, family: FamilyRow, at: { token: string }, scopes: string[], refresh: string, now: number): Promise<TokenResponse> {
  await touchClient(deps, client, now);
  deps.audit.tokenIssued('refresh_token', client.id, family.userId);
  return response(deps, at, scopes, refresh);
}

/** The key in revoked_access_tokens that revokes every access token minted under a family ("<id>.*"). */
const familyMark = (familyId: string) => `${familyId}.*`;

/**
 * Revoke a refresh family (RFC 7009 §2.1: and the access tokens of the same grant): its tokens can no longer
 * rotate, and its mark stays in revoked_access_tokens as long as any access token minted under it can live.
 * False when it was revoked already or is gone.
 */
export function revokeFamily(deps: Deps, familyId: string, now: number): Promise<boolean> {
  return deps.store.refresh.revokeFamily(familyId, now, { jti: familyMark(familyId), expiresAt: now + ACCESS_TOKEN_TTL_MAX });
}

/** What revokes an access token with this jti: the jti itself, and its family's mark when it has one. */
export function revocationKeys(jti: string): [string] | [string, string] {
  const dot = jti.indexOf('.');
  return dot > 0 ? [jti, familyMark(jti.slice(0, dot))] : [jti];
}

/** client_credentials (RFC 6749 §4.4): confidential clients only, no refresh token. */
export async function clientCredentials(deps: Deps, client: ClientRow, input: { scope: string | undefined; resources: string[] }): Promise<TokenResponse> {
  if (client.tokenEndpointAuthMethod === 'none') throw new UnauthorizedClient('public clients cannot use client_credentials');
  if (!client.grantTypes.includes('client_credentials')) throw new UnauthorizedClient('this client may not use client_credentials');
  const scopes = resolveScopes(deps.config, client, input.scope);
  const resources = validateResources(deps.config, input.resources);
  const at = accessToken(deps, { client, userId: null, scopes, resources });
  deps.audit.tokenIssued('client_credentials', client.id, null);
  return response(deps, at, scopes);
}
