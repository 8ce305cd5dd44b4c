// Who signed in, for `auth status`: the ID token (verified with jose against the issuer's JWKS: signature,
// iss, aud = our client id) and, when the server has a UserInfo endpoint, the claims it releases (OIDC Core
// §5.3; the ID token carries no profile claims when an access token is issued, §5.4). Best effort: a
// server without OpenID Connect, or an answer that does not verify, leaves the identity unknown.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { type AuthServerMetadata, checkSecureUrl } from './discovery.ts';
import { type DpopKey, dpopProof } from './dpop.ts';

export interface Identity {
  sub: string;
  username?: string;
  name?: string;
  email?: string;
}

const str = (v: unknown) => (typeof v === 'string' && v.length <= 256 ? v : undefined);

export async function identityOf(
  metadata: AuthServerMetadata,
  clientId: string,
  tokens: { id_token?: string; access_token: string; token_type?: string },
  dpop?: DpopKey | null,
): Promise<Identity | null> {
  if (!tokens.id_token || !metadata.jwks_uri) return null;
  try {
    const { payload } = await jwtVerify(tokens.id_token, createRemoteJWKSet(new URL(metadata.jwks_uri)), { issuer: metadata.issuer, audience: clientId });
    if (typeof payload.sub !== 'string') return null;
    const id: Identity = { sub: payload.sub };
    let claims: Record<string, unknown> = payload;
    // RFC 8414 metadata may leave userinfo out; the OpenID Provider document has it (OIDC Discovery §3).
    const userinfo = metadata.userinfo_endpoint ?? (await openIdUserinfoEndpoint(metadata.issuer));
    if (userinfo) {
      checkSecureUrl(userinfo, 'userinfo_endpoint'); // the access token goes there: https, or http on loopback
      // A DPoP-bound token goes with a proof (RFC 9449 §7.1); a bearer one as Bearer.
      const bound = dpop && tokens.token_type?.toLowerCase() === 'dpop';
      const headers: Record<string, string> = bound
        ? { Authorization: `DPoP ${tokens.access_token}`, DPoP: await dpopProof(dpop, 'GET', userinfo, tokens.access_token) }
        : { Authorization: `Bearer ${tokens.access_token}` };
      const res = await fetch(userinfo, { headers, signal: AbortSignal.timeout(5000) });
      const info = res.ok ? ((await res.json()) as Record<string, unknown>) : null;
      // §5.3.2: the UserInfo sub must be the ID token's, or the answer is not used.
      if (info && info.sub === payload.sub) claims = { ...payload, ...info };
    }
    const username = str(claims.preferred_username);
    const name = str(claims.name);
    const email = str(claims.email);
    return { ...id, ...(username ? { username } : {}), ...(name ? { name } : {}), ...(email ? { email } : {}) };
  } catch {
    return null;
  }
}

async function openIdUserinfoEndpoint(issuer: string): Promise<string | undefined> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) return undefined;
  const md = (await res.json()) as { issuer?: unknown; userinfo_endpoint?: unknown };
  // The same issuer, or the document is not about this server (OIDC Discovery §4.3).
  return md.issuer === issuer && typeof md.userinfo_endpoint === 'string' ? md.userinfo_endpoint : undefined;
}

/** "dana <dana@example.com>", or the subject when nothing else is known. */
export function describeIdentity(id: Identity): string {
  const who = id.username ?? id.name ?? id.sub;
  return id.email && id.email !== who ? `${who} <${id.email}>` : who;
}
