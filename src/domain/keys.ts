// Signing keys, JWT access tokens (RFC 9068) and ID tokens (OIDC Core §2). Keys live in the store so every
// instance shares them; `kid` is the RFC 7638 thumbprint. Two keys sign at a time: the access-token key
// (SIGNING_ALG: ES256 or EdDSA) and an RS256 key, which OIDC Core §15.1 requires every OP to offer for ID
// tokens (a client may register id_token_signed_response_alg to get the access-token key's algorithm). Signing and verifying use node:crypto synchronously (≈2× jose's
// WebCrypto path, see research/performance-baselines.md §D); jose computes thumbprints. The JWKS document
// is built once per key change. New key pairs are generated on a worker thread (node:crypto's generateKeyPair),
// so generating one — an RSA key takes 30–130 ms — never holds up the requests being served.
import { createPrivateKey, createPublicKey, generateKeyPair, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, compactVerify, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../clock.ts';
import { nowS } from '../clock.ts';
import { base64url, fromBase64url, utf8Bytes, utf8Text } from '../security/encoding.ts';
import type { SigningKeyRow, Store } from '../store/store.ts';

export type SigningAlg = 'ES256' | 'EdDSA';
/** Every algorithm a key of ours may have: the access-token algorithms and RS256 (ID tokens). */
export type KeyAlg = SigningAlg | 'RS256';

interface ActiveKey {
  kid: string;
  alg: KeyAlg;
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
  /** RFC 8693 §4.1: the delegation chain of an exchanged token (the current actor, prior ones nested). */
  act?: Actor;
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to. */
  cnf?: { jkt: string };
}

export interface Actor {
  sub: string;
  client_id?: string;
  act?: Actor;
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

const newKeyPair = promisify(generateKeyPair);

/** Create a key pair (off the event loop) and its row. */
export async function generateSigningKey(alg: KeyAlg, now: number): Promise<SigningKeyRow> {
  const pair =
    alg === 'ES256'
      ? await newKeyPair('ec', { namedCurve: 'P-256' })
      : alg === 'RS256'
        ? await newKeyPair('rsa', { modulusLength: 2048 })
        : await newKeyPair('ed25519');
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

/** A JWS signature over `data` with a key of ours (RS256: RSASSA-PKCS1-v1_5 with SHA-256). */
function signWith(k: { alg: KeyAlg; key: KeyObject }, data: Uint8Array): Uint8Array {
  if (k.alg === 'ES256') return cryptoSign('sha256', data, { key: k.key, dsaEncoding: 'ieee-p1363' });
  if (k.alg === 'RS256') return cryptoSign('sha256', data, k.key);
  return cryptoSign(null, data, k.key);
}

export class KeyRing {
  private active: ActiveKey | null = null;
  /** The RS256 key that signs ID tokens. */
  private idKey: ActiveKey | null = null;
  private jwks: { keys: JWK[] } = { keys: [] };
  private jwksBody = '{"keys":[]}';
  private publicKeys = new Map<string, { alg: KeyAlg; key: KeyObject }>();
  /** Tokens whose signature already verified (bounded); expiry and audience are checked at every use. */
  private verified = new Map<string, VerifiedAccessToken>();
  private loadedFingerprint = '';
  /** The ID-token key's first generation, while a server that deferred it (load's deferIdKey) is making it. */
  private idKeyGeneration: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly issuer: string,
    private readonly accessTokenTtl: number,
  ) {}

  /**
   * Load the published keys; create the first key of each kind when there is none. Cheap when nothing changed.
   *
   * `deferIdKey` (a server's first start): the first RS256 key is made after this returns, so a fresh server
   * answers without waiting ~55 ms for it. Until it is there, `idKeyPending` is its promise: the JWKS and ID
   * tokens wait for it (http/routes/discovery.ts, tokens.ts addIdToken), so no client sees a JWKS without it.
   */
  async load(newKeyAlg: SigningAlg, opts: { deferIdKey?: boolean } = {}): Promise<void> {
    let rows = await this.store.keys.listPublished(nowS(this.clock));
    const activeOf = (rsa: boolean) => rows.find((r) => r.retiredAt === null && (r.alg === 'RS256') === rsa);
    for (const alg of [newKeyAlg, 'RS256'] as const) {
      if (activeOf(alg === 'RS256')) continue;
      if (alg === 'RS256' && opts.deferIdKey) {
        this.generateIdKeyLater(newKeyAlg);
        continue;
      }
      // Instances starting together race here; the unique index lets exactly one key of each kind win.
      await this.store.keys.insert(await generateSigningKey(alg, nowS(this.clock)));
      rows = await this.store.keys.listPublished(nowS(this.clock));
    }
    const fingerprint = rows.map((r) => `${r.kid}:${r.retiredAt}`).join(',');
    if (fingerprint === this.loadedFingerprint) return;
    const activeKey = (row: SigningKeyRow, typ: string): ActiveKey => ({
      kid: row.kid,
      alg: row.alg as KeyAlg,
      key: createPrivateKey({ key: JSON.parse(row.privateJwk), format: 'jwk' }),
      header: b64json({ alg: row.alg, typ, kid: row.kid }),
    });
    this.active = activeKey(activeOf(false)!, 'at+jwt');
    const rsa = activeOf(true);
    this.idKey = rsa ? activeKey(rsa, 'JWT') : null;
    this.jwks = { keys: rows.map((r) => JSON.parse(r.publicJwk) as JWK) };
    this.jwksBody = JSON.stringify(this.jwks);
    this.publicKeys = new Map(rows.map((r) => [r.kid, { alg: r.alg as KeyAlg, key: createPublicKey({ key: JSON.parse(r.publicJwk), format: 'jwk' }) }]));
    this.verified.clear();
    this.loadedFingerprint = fingerprint;
  }

  private generateIdKeyLater(newKeyAlg: SigningAlg): void {
    if (this.idKeyGeneration) return;
    const made = this.load(newKeyAlg); // without deferIdKey: generates, stores (one winner across instances), loads
    this.idKeyGeneration = made;
    const done = () => {
      if (this.idKeyGeneration === made) this.idKeyGeneration = null;
    };
    made.then(done, done);
  }

  /** While the first ID-token key is being made: its promise (rejected if that failed); otherwise null. */
  get idKeyPending(): Promise<void> | null {
    return this.idKeyGeneration;
  }

  get currentKid(): string {
    return this.active?.kid ?? '';
  }

  /** The JWKS document, serialized once per key change. */
  jwksJson(): string {
    return this.jwksBody;
  }

  /** Sign an RFC 9068 access token. Returns the JWT and its expiry (ACCESS_TOKEN_TTL, or `notAfter` when earlier). */
  signAccessToken(claims: AccessTokenClaims, notAfter?: number): { token: string; exp: number } {
    const k = this.active;
    if (!k) throw new Error('signing keys not loaded');
    const iat = nowS(this.clock);
    const exp = notAfter === undefined ? iat + this.accessTokenTtl : Math.min(iat + this.accessTokenTtl, notAfter);
    // RFC 9068 §2.1: typ "at+jwt"; §2.2: iss, exp, aud, sub, client_id, iat, jti.
    const payload = b64json({ iss: this.issuer, ...claims, iat, exp });
    const input = `${k.header}.${payload}`;
    return { token: `${input}.${base64url(signWith(k, utf8Bytes(input)))}`, exp };
  }

  /** The algorithms ID tokens can be signed with: RS256 and the access-token key's. */
  get idTokenAlgs(): KeyAlg[] {
    return this.active && this.active.alg !== 'RS256' ? ['RS256', this.active.alg] : ['RS256'];
  }

  /**
   * Sign an ID token (OIDC Core §2) with the RS256 key, or with the access-token key when the client
   * registered its algorithm (id_token_signed_response_alg). The claims are complete (iss, iat, exp included).
   */
  signIdToken(claims: Record<string, unknown>, alg: KeyAlg = 'RS256'): string {
    const k = alg === 'RS256' ? this.idKey : this.active?.alg === alg ? this.active : null;
    if (!k) throw new Error(`no ${alg} signing key loaded`);
    const header = alg === 'RS256' ? k.header : b64json({ alg: k.alg, typ: 'JWT', kid: k.kid });
    const input = `${header}.${b64json(claims)}`;
    return `${input}.${base64url(signWith(k, utf8Bytes(input)))}`;
  }

  /**
   * An ID token we issued, as an `id_token_hint` (OIDC Core §3.1.2.1): signed by one of our published keys
   * with that key's algorithm, our issuer; its expiry is not checked (an expired hint still names the user).
   */
  async verifyIdTokenHint(token: string): Promise<JWTPayload | null> {
    if (typeof token !== 'string' || token.length > 8192) return null;
    try {
      const { payload } = await compactVerify(token, (header) => {
        const k = typeof header.kid === 'string' ? this.publicKeys.get(header.kid) : undefined;
        if (!k || header.alg !== k.alg || header.typ === 'at+jwt') throw new Error('not one of our ID-token keys');
        return k.key;
      });
      const claims = JSON.parse(utf8Text(payload)) as JWTPayload;
      if (claims.iss !== this.issuer || typeof claims.sub !== 'string') return null;
      return claims;
    } catch {
      return null;
    }
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
    if (k.alg === 'RS256') return null; // the RS256 key signs ID tokens only
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

/**
 * `auth keys rotate`: a new signing key of one kind (the access-token algorithm, or RS256 for ID tokens);
 * old keys stay published until the tokens they signed expire.
 */
export async function rotateSigningKey(store: Store, clock: Clock, alg: KeyAlg, accessTokenTtl: number): Promise<SigningKeyRow> {
  const now = nowS(clock);
  const row = await generateSigningKey(alg, now);
  await store.keys.rotate(row, now, now + accessTokenTtl + 300);
  return row;
}
