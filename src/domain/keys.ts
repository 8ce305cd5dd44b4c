// Signing keys and JWT access tokens (RFC 9068). Keys live in the store so every instance shares them;
// `kid` is the RFC 7638 thumbprint. Signing uses node:crypto synchronously (≈2× jose's WebCrypto path,
// see research/performance-baselines.md §D); verification uses jose. The JWKS document is built once
// per key change.
import { createPrivateKey, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../clock.ts';
import { nowS } from '../clock.ts';
import type { SigningKeyRow, Store } from '../store/store.ts';

export type SigningAlg = 'ES256' | 'EdDSA';

interface ActiveKey {
  kid: string;
  alg: SigningAlg;
  key: KeyObject;
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

const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

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
  private localSet: ReturnType<typeof createLocalJWKSet> | null = null;
  private loadedFingerprint = '';

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly issuer: string,
    private readonly accessTokenTtl: number,
  ) {}

  /** Load the published keys; create the first key when there is none. Cheap when nothing changed. */
  async load(alg: SigningAlg): Promise<void> {
    let rows = await this.store.keys.listPublished(nowS(this.clock));
    if (!rows.some((r) => r.retiredAt === null)) {
      await this.store.keys.insert(await generateSigningKey(alg, nowS(this.clock)));
      rows = await this.store.keys.listPublished(nowS(this.clock));
    }
    const fingerprint = rows.map((r) => `${r.kid}:${r.retiredAt}`).join(',');
    if (fingerprint === this.loadedFingerprint) return;
    const current = rows.find((r) => r.retiredAt === null)!;
    this.active = { kid: current.kid, alg: current.alg as SigningAlg, key: createPrivateKey({ key: JSON.parse(current.privateJwk), format: 'jwk' }) };
    this.jwks = { keys: rows.map((r) => JSON.parse(r.publicJwk) as JWK) };
    this.jwksBody = JSON.stringify(this.jwks);
    this.localSet = createLocalJWKSet(this.jwks as { keys: JWK[] });
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
    const header = b64json({ alg: k.alg, typ: 'at+jwt', kid: k.kid });
    const payload = b64json({ iss: this.issuer, ...claims, iat, exp });
    const input = `${header}.${payload}`;
    const sig =
      k.alg === 'ES256'
        ? cryptoSign('sha256', Buffer.from(input), { key: k.key, dsaEncoding: 'ieee-p1363' })
        : cryptoSign(null, Buffer.from(input), k.key);
    return { token: `${input}.${sig.toString('base64url')}`, exp };
  }

  /** Verify an access token we issued: signature against published keys, typ, issuer, expiry. */
  async verifyAccessToken(token: string, audience?: string): Promise<VerifiedAccessToken | null> {
    if (!this.localSet || typeof token !== 'string' || token.length > 4096) return null;
    try {
      const { payload, protectedHeader } = await jwtVerify(token, this.localSet, {
        issuer: this.issuer,
        audience,
        algorithms: ['ES256', 'EdDSA'],
        typ: 'at+jwt', // RFC 9068 §4: reject tokens of another type
        currentDate: new Date(this.clock.nowMs()),
      });
      if (!protectedHeader.kid) return null;
      if (typeof payload.client_id !== 'string' || typeof payload.jti !== 'string' || typeof payload.sub !== 'string') return null;
      return payload as VerifiedAccessToken;
    } catch {
      return null;
    }
  }
}

/** `auth keys rotate`: a new signing key; old keys stay published until the tokens they signed expire. */
export async function rotateSigningKey(store: Store, clock: Clock, alg: SigningAlg, accessTokenTtl: number): Promise<SigningKeyRow> {
  const now = nowS(clock);
  const row = await generateSigningKey(alg, now);
  await store.keys.insert(row);
  await store.keys.retireOthers(row.kid, now, now + accessTokenTtl + 300);
  return row;
}
