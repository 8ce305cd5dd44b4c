// The client side of DPoP (RFC 9449): a P-256 key per credential (the private half kept in the credential
// file, which is 0600 and encrypted with AUTH_CREDENTIALS_KEY when that is set), proofs for each request
// (§4.2: typ dpop+jwt, the public jwk, jti, htm, htu, iat, and ath at resource servers), and the server's
// nonce (§8) remembered per server and retried once when it asks (use_dpop_nonce).
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

export interface DpopKey {
  /** The private key as a JWK (kept with the credential). */
  jwk: JWK;
  /** The last DPoP-Nonce each server gave, by origin. */
  nonces?: Record<string, string>;
}

export async function newDpopKey(): Promise<DpopKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { jwk: await exportJWK(privateKey) };
}

const publicPart = ({ kty, crv, x, y }: JWK): JWK => ({ kty, crv, x, y });

/** A proof for one request: `htu` without query and fragment; `accessToken` adds `ath` (resource servers). */
export async function dpopProof(key: DpopKey, htm: string, url: string, accessToken?: string): Promise<string> {
  const u = new URL(url);
  const htu = `${u.protocol}//${u.host}${u.pathname}`;
  const nonce = key.nonces?.[u.origin];
  return new SignJWT({
    jti: randomUUID(),
    htm,
    htu,
    ...(nonce ? { nonce } : {}),
    ...(accessToken ? { ath: createHash('sha256').update(accessToken).digest('base64url') } : {}),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicPart(key.jwk) })
    .setIssuedAt()
    .sign(await importJWK(key.jwk, 'ES256'));
}

/** Remember a server's DPoP-Nonce from a response; true when it changed (a retry may now succeed). */
export function rememberNonce(key: DpopKey, url: string, res: Response): boolean {
  const nonce = res.headers.get('dpop-nonce');
  if (!nonce) return false;
  const origin = new URL(url).origin;
  key.nonces ??= {};
  if (key.nonces[origin] === nonce) return false;
  key.nonces[origin] = nonce;
  return true;
}
