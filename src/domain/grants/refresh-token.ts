// grant_type=refresh_token (RFC 6749 §6) and the refresh-token policy (RFC 9700 §4.14.2): rotating,
// single use, one family per grant with one live token at a time, sliding lifetime. A rotated token
// presented again within REFRESH_REUSE_GRACE, while its successor is still unused, gets a fresh pair whose
// refresh token replaces that successor; any other reuse — after the grace, after the successor was used,
// or of a replaced successor — revokes the family.
import { nowS } from '../../clock.ts';
import { matchesHash } from '../../security/compare.ts';
import { parseSecret } from '../../security/token-format.ts';
import type { ClientRow, FamilyRow, RefreshRow } from '../../store/store.ts';
import { touchClient } from '../clients.ts';
import type { Deps } from '../deps.ts';
import { InvalidGrant, InvalidRequest, InvalidTarget, UnauthorizedClient } from '../errors.ts';
import { narrowScopes, validateResources } from '../scopes.ts';
import { accessToken, addIdToken, newRefresh, REFRESH_PREFIX, revokeFamily, tokenResponse, type TokenResponse } from '../tokens.ts';

/** refresh_token (RFC 6749 §6) with rotation, reuse grace and family revocation. */
export async function refreshTokens(
  deps: Pick<Deps, 'audit' | 'clock' | 'config' | 'keys' | 'log' | 'metrics' | 'store'>,
  client: ClientRow,
  input: { refreshToken: string | undefined; scope: string | undefined; resources: string[]; jkt?: string | null },
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
  // RFC 9449 §5: a public client's refresh token bound to a DPoP key is used only with a proof by that key.
  if (family.dpopJkt && input.jkt !== family.dpopJkt)
    throw new InvalidGrant(input.jkt ? 'the refresh token is bound to another DPoP key' : 'the refresh token is bound to a DPoP key: send a DPoP proof');

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
  const at = accessToken(deps, { client, userId: family.userId, scopes, resources, authTime: family.authTime, jkt: input.jkt }, family.id);
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
  const successorOf = state.family.liveParentId === row.id || state.family.liveTokenId === null; // null: from before migration 10
  if (consumedAt !== null && grace > 0 && now - consumedAt <= grace && successorOf) {
    // A lost response, or two processes refreshing at once: the successor this token's rotation made is
    // still unused, so a fresh pair replaces it — the family keeps one live refresh token.
    if (await deps.store.refresh.replaceLive(row.id, next.row, now, next.row.expiresAt)) return issued(deps, client, family, at, scopes, next.token, now);
  }
  // Presented after the grace, after its successor was used, or a successor a retry replaced: reuse.
  return detectedReuse(deps, client, family, now);
}

/** Whether a token may rotate: unconsumed and its family's live one (any unconsumed one before migration 10). */
const isLive = (row: RefreshRow, family: FamilyRow) => row.consumedAt === null && (family.liveTokenId === null || family.liveTokenId === row.id);

async function detectedReuse(deps: Pick<Deps, 'audit' | 'log' | 'metrics' | 'store'>, client: ClientRow, family: FamilyRow, now: number): Promise<never> {
  if (await revokeFamily(deps, family.id, now)) {
    deps.metrics.refreshReuse();
    deps.audit.record('refresh.reuse_detected', { userId: family.userId, clientId: client.id, details: { family_id: family.id } });
    deps.audit.record('refresh.family_revoked', { userId: family.userId, clientId: client.id, details: { reason: 'reuse', family_id: family.id } });
    deps.log.warn('refresh token reuse detected; family revoked', { client_id: client.id, user_id: family.userId, family_id: family.id });
  }
  throw new InvalidGrant('the refresh token was already used; its grant is revoked');
}

async function issued(
  deps: Pick<Deps, 'audit' | 'clock' | 'config' | 'keys' | 'store'>,
  client: ClientRow,
  family: FamilyRow,
  at: { token: string },
  scopes: string[],
  refresh: string,
  now: number,
): Promise<TokenResponse> {
  await touchClient(deps, client, now);
  deps.audit.tokenIssued('refresh_token', client.id, family.userId);
  const response = tokenResponse(deps, at, scopes, refresh);
  // OIDC Core §12.2: a new ID token with the original auth_time (and nonce, sid, amr) when openid remains.
  await addIdToken(deps, response, { client, userId: family.userId, authTime: family.authTime, oidc: family.oidc, scopes });
  return response;
}
