// OpenID Connect: ID tokens (OIDC Core §2, §3.1.3.6), subjects (§8), the `claims` request parameter (§5.5)
// and the claims a user has (§5.1, released by scope per §5.4). The endpoints that use them are the code,
// refresh and device grants (grants/), userinfo (userinfo.ts) and RP-initiated logout (routes/end-session.ts).
import { createHash } from 'node:crypto';
import { nowS } from '../clock.ts';
import { base64url } from '../security/encoding.ts';
import type { ClientRow, OidcGrant, UserRow } from '../store/store.ts';
import type { Deps } from './deps.ts';
import { InvalidRequest } from './errors.ts';
import type { KeyAlg } from './keys.ts';

export const OPENID = 'openid';

/** Every claim this provider can state (the discovery document's claims_supported). */
export const CLAIMS_SUPPORTED = [
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'auth_time',
  'nonce',
  'azp',
  'at_hash',
  'sid',
  'amr',
  'name',
  'given_name',
  'family_name',
  'picture',
  'preferred_username',
  'updated_at',
  'email',
  'email_verified',
];

/** OIDC Core §5.4: the claims each scope asks for (address and phone: claims this provider does not hold). */
const SCOPE_CLAIMS: Record<string, string[]> = {
  profile: ['name', 'given_name', 'family_name', 'picture', 'preferred_username', 'updated_at'],
  email: ['email', 'email_verified'],
};

/** A member of the `claims` parameter: null (asked for, voluntary) or an object with `essential`, `value`, `values`. */
type ClaimRequest = Record<string, unknown>;

/**
 * The `claims` request parameter (OIDC Core §5.5): a JSON object whose `id_token` and `userinfo` members map
 * claim names to null or an object. Anything else is invalid_request.
 */
export function parseClaimsParameter(text: string | undefined): OidcGrant['claims'] | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new InvalidRequest('claims is not valid JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidRequest('claims must be a JSON object');
  const out: NonNullable<OidcGrant['claims']> = {};
  for (const target of ['id_token', 'userinfo'] as const) {
    const members = (v as Record<string, unknown>)[target];
    if (members === undefined) continue;
    if (!members || typeof members !== 'object' || Array.isArray(members)) throw new InvalidRequest(`claims.${target} must be a JSON object`);
    const kept: ClaimRequest = {};
    for (const [name, req] of Object.entries(members)) {
      if (req !== null && (typeof req !== 'object' || Array.isArray(req))) throw new InvalidRequest(`claims.${target}.${name} must be null or an object`);
      // Only the claims we can state are remembered; others are ignored (§5.5: "not an error").
      if (CLAIMS_SUPPORTED.includes(name)) kept[name] = req;
    }
    out[target] = kept;
  }
  return out;
}

/**
 * The `sub` a client sees (OIDC Core §8): the user id, or with `subject_type: pairwise` (registered, and
 * PAIRWISE_SALT set) a hash of the client's sector (its redirect URIs' host), the user id and the salt, so
 * two clients of different sectors cannot correlate a user.
 */
export function subjectFor(config: Deps['config'], client: ClientRow, userId: string): string {
  if (client.metadata.subject_type !== 'pairwise' || !config.pairwiseSalt) return userId;
  return base64url(
    createHash('sha256')
      .update(`${sectorOf(client)}\n${userId}\n${config.pairwiseSalt}`)
      .digest(),
  );
}

/** §8.1: the sector of a client without sector_identifier_uri is the host of its redirect URIs. */
export function sectorOf(client: ClientRow): string {
  const first = client.redirectUris[0];
  return first && URL.canParse(first) ? new URL(first).host : client.id;
}

/** The claims of `user` a set of names asks for (the ones we hold). */
export function userClaims(user: UserRow, names: Iterable<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const profile = user.profile ?? {};
  for (const name of names) {
    switch (name) {
      case 'preferred_username':
        out.preferred_username = user.username;
        break;
      case 'name':
      case 'given_name':
      case 'family_name':
      case 'picture':
        if (profile[name]) out[name] = profile[name];
        break;
      case 'updated_at':
        out.updated_at = user.updatedAt ?? user.createdAt;
        break;
      case 'email':
        if (user.email) out.email = user.email;
        break;
      case 'email_verified':
        // Only true when verified: set by the operator or by an upstream provider that verified it.
        if (user.email) out.email_verified = user.emailVerified;
        break;
    }
  }
  return out;
}

/** The names a scope set and a `claims` member ask for. */
export function requestedClaimNames(scopes: readonly string[], requested?: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  for (const s of scopes) for (const c of SCOPE_CLAIMS[s] ?? []) names.add(c);
  for (const c of Object.keys(requested ?? {})) names.add(c);
  return names;
}

/** OIDC Core §3.1.3.6: the left half of the hash of the access token, with the ID token's algorithm's hash. */
export function atHash(accessToken: string, alg: KeyAlg): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256')
    .update(accessToken)
    .digest();
  return base64url(digest.subarray(0, digest.length / 2));
}

export interface IdTokenInput {
  client: ClientRow;
  user: UserRow;
  authTime: number;
  oidc: OidcGrant;
  accessToken: string;
}

/**
 * An ID token (OIDC Core §2) for the client: iss, sub, aud = client id, exp, iat, auth_time, nonce (echoed
 * exactly when the request had one), azp, at_hash, sid, amr when known, and the `claims` parameter's
 * id_token members we hold. Scope claims (profile, email) are for userinfo (§5.4: an access token is issued).
 */
export function issueIdToken(deps: Pick<Deps, 'clock' | 'config' | 'keys'>, input: IdTokenInput): string {
  const { client, user, authTime, oidc } = input;
  const alg = idTokenAlg(client);
  const iat = nowS(deps.clock);
  const claims: Record<string, unknown> = {
    iss: deps.config.baseUrl,
    sub: subjectFor(deps.config, client, user.id),
    aud: client.id,
    exp: iat + deps.config.accessTokenTtl,
    iat,
    auth_time: authTime,
    ...(oidc.nonce !== undefined ? { nonce: oidc.nonce } : {}),
    azp: client.id,
    at_hash: atHash(input.accessToken, alg),
    ...(oidc.sid ? { sid: oidc.sid } : {}),
    ...(oidc.amr?.length ? { amr: oidc.amr } : {}),
    ...userClaims(user, Object.keys(oidc.claims?.id_token ?? {})),
  };
  return deps.keys.signIdToken(claims, alg);
}

/** The algorithm a client registered for its ID tokens (id_token_signed_response_alg), RS256 by default. */
export function idTokenAlg(client: ClientRow): KeyAlg {
  const alg = client.metadata.id_token_signed_response_alg;
  return alg === 'ES256' || alg === 'EdDSA' ? alg : 'RS256';
}

/** The `sid` of a browser session: derived, so the session's store id is not what a client sees. */
export function sessionSid(sessionId: string): string {
  return base64url(createHash('sha256').update(`sid:${sessionId}`).digest()).slice(0, 22);
}
