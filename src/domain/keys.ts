// Signing keys and JWT access tokens (RFC 9068). Keys live in the store so every instance shares them;
// `kid` is the RFC 7638 thumbprint. Signing and verifying use node:crypto synchronously (≈2× jose's
// WebCrypto path, see research/performance-baselines.md §D); jose computes thumbprints. The JWKS document
// is built once per key change.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../clock.ts';
import { nowS } from '../clock.ts';
import { base64url, fromBase64url, utf8Bytes, utf8Text } from '../security/encoding.ts';
import type { SigningKeyRow, Store } from '../store/store.ts';

export type SigningAlg = 'ES256' | 'EdDSA';

interface ActiveKey {
  kid: string;
  alg: SigningAlg;
  key: KeyObject;
  /** The encoded JWT header, the same for every token this key signs. */
  header: string;
}

export interface AccessTokenClaims {
  sub: string;
  client_id: string;
  scope: string;
  aud: string | string[];
  jti: string;
  auth_time?: number;
  username?: string;
  email?: string;
}

export interface VerifiedAccessToken extends JWTPayload {
  client_id: string;
  scope: string;
  jti: string;
  sub: string;
  exp: number;
  iat: number;
}

const b64json = (v: unknown) => base64url(utf8Bytes(JSON.stringify(v)));
/** The JSON of a base64url JWT segment; throws on bad base64 or bad JSON. */
const jsonOfB64 = (segment: string): unknown => JSON.parse(utf8Text(fromBase64url(segment)));

/** Create a key pair and its row. */
export async function generateSigningKey(alg: SigningAlg, now: number): Promise<SigningKeyRow> {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const privateJwk = pair.privateKey.export({ format: 'jwk' }) as JWK;
  const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    alg,
    privateJwk: JSON.stringify(privateJwk),
    publicJwk: JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
    createdAt: now,
    retiredAt: null,
    expiresAt: null,
  };
}

export class KeyRing {
  private active: ActiveKey | null = null;
  private jwks: { keys: JWK[] } = { keys: [] };
  private jwksBody = '{"keys":[]}';
  private publicKeys = new Map<string, { alg: SigningAlg; key: KeyObject }>();
  /** Tokens whose signature already verified (bounded); expiry and audience are checked at every use. */
  private verified = new Map<string, VerifiedAccessToken>();
  private loadedFingerprint = '';

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly issuer: string,
    private readonly accessTokenTtl: number,
  ) {}

  /** Load the published keys; create the first key when there is none. Cheap when nothing changed. */
  async load(newKeyAlg: SigningAlg): Promise<void> {
    let rows = await this.store.keys.listPublished(nowS(this.clock));
    if (!rows.some((r) => r.retiredAt === null)) {
      // Instances starting together race here; the unique index lets exactly one key win.
      await this.store.keys.insert(await generateSigningKey(newKeyAlg, nowS(this.clock)));
      rows = await this.store.keys.listPublished(nowS(this.clock));
    }
    const fingerprint = rows.map((r) => `${r.kid}:${r.retiredAt}`).join(',');
    if (fingerprint === this.loadedFingerprint) return;
    const current = rows.find((r) => r.retiredAt === null)!;
    const alg = current.alg as SigningAlg;
    this.active = {
      kid: current.kid,
      alg,
      key: createPrivateKey({ key: JSON.parse(current.privateJwk), format: 'jwk' }),
      header: b64json({ alg, typ: 'at+jwt', kid: current.kid }),
    };
    this.jwks = { keys: rows.map((r) => JSON.parse(r.publicJwk) as JWK) };
    this.jwksBody = JSON.stringify(this.jwks);
    this.publicKeys = new Map(rows.map((r) => [r.kid, { alg: r.alg as SigningAlg, key: createPublicKey({ key: JSON.parse(r.publicJwk), format: 'jwk' }) }]));
    this.verified.clear();
    this.loadedFingerprint = fingerprint;
  }

  get currentKid(): string {
    return this.active?.kid ?? '';
  }

  /** The JWKS document, serialized once per key change. */
  jwksJson(): string {
    return this.jwksBody;
  }

  /** Sign an RFC 9068 access token. Returns the JWT and its expiry. */
  signAccessToken(claims: AccessTokenClaims): { token: string; exp: number } {
    const k = this.active;
    if (!k) throw new Error('signing keys not loaded');
    const iat = nowS(this.clock);
    const exp = iat + this.accessTokenTtl;
    // RFC 9068 §2.1: typ "at+jwt"; §2.2: iss, exp, aud, sub, client_id, iat, jti.
    const payload = b64json({ iss: this.issuer, ...claims, iat, exp });
    const input = `${k.header}.${payload}`;
    const data = utf8Bytes(input);
    const sig = k.alg === 'ES256' ? cryptoSign('sha256', data, { key: k.key, dsaEncoding: 'ieee-p1363' }) : cryptoSign(null, data, k.key);
    return { token: `${input}.${base64url(sig)}`, exp };
  }

  /**
   * Verify an access token we issued (RFC 9068 §4): compact JWS with `typ: at+jwt`, a published `kid`
   * whose algorithm is the header's (no algorithm confusion), a valid signature, our issuer, not expired,
   * and the audience when one is asked for. node:crypto verifies (≈2× jose's WebCrypto path); a bounded
   * cache remembers signatures already checked, so a resource server introspecting the same token pays
   * for the signature once.
   */
  async verifyAccessToken(token: string, audience?: string): Promise<VerifiedAccessToken | null> {
    if (typeof token !== 'string' || token.length > 4096) return null;
    let claims: VerifiedAccessToken | null | undefined = this.verified.get(token);
    if (!claims) {
      claims = this.verifySignature(token);
      if (!claims) return null;
      if (this.verified.size >= 10_000) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    const now = nowS(this.clock);
    if (claims.exp <= now || (typeof claims.nbf === 'number' && claims.nbf > now + 60)) return null;
    if (audience !== undefined) {
      const aud = claims.aud;
      if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) return null;
    }
    return claims;
  }

  private verifySignature(token: string): VerifiedAccessToken | null {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) return null;
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    let sig: Uint8Array;
    try {
      header = jsonOfB64(parts[0]!) as Record<string, unknown>;
      payload = jsonOfB64(parts[1]!) as Record<string, unknown>;
      sig = fromBase64url(parts[2]!);
    } catch {
      return null;
    }
    if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object') return null;
    if (header.typ !== 'at+jwt' || typeof header.kid !== 'string' || header.crit !== undefined) return null;
    const k = this.publicKeys.get(header.kid);
    if (!k || header.alg !== k.alg) return null;
    const data = utf8Bytes(`${parts[0]}.${parts[1]}`);
    const ok =
      k.alg === 'ES256'
        ? sig.length === 64 && cryptoVerify('sha256', data, { key: k.key, dsaEncoding: 'ieee-p1363' }, sig)
        : cryptoVerify(null, data, k.key, sig);
    if (!ok) return null;
    if (payload.iss !== this.issuer) return null;
    if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number') return null;
    if (typeof payload.client_id !== 'string' || typeof payload.jti !== 'string' || typeof payload.sub !== 'string' || typeof payload.scope !== 'string')
      return null;
    return payload as VerifiedAccessToken;
  }
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** `auth keys rotate`: a new signing key; old keys stay published until the tokens they signed expire. */
export async function rotateSigningKey(store: Store, clock: Clock, alg: SigningAlg, accessTokenTtl: number): Promise<SigningKeyRow> {
  const now = nowS(clock);
  const row = await generateSigningKey(alg, now);
  await store.keys.rotate(row, now, now + accessTokenTtl + 300);
  return row;
}
