// DPoP (RFC 9449): proofs of possession of a client-held key. A proof is a JWT signed by the key it carries in
// its header (§4.2): `typ: dpop+jwt`, an asymmetric `alg`, a public `jwk`; claims `jti`, `htm` (the method),
// `htu` (the URL without query and fragment), `iat` (within the window), `ath` (the access token's hash, at
// resource servers), `nonce` (when the server asks). Checked here for the token endpoint and our own resource
// endpoints; src/proxy/dpop.ts does the same for `auth proxy` (which has no database). A jti is used once
// within the window, in the shared store, so two instances refuse the same replay.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import { nowS } from '../clock.ts';
import type { Deps } from './deps.ts';
import { OAuthError } from './errors.ts';

/** §5.1 dpop_signing_alg_values_supported: the asymmetric algorithms we verify. */
export const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/** §5: a proof that is missing where required, malformed, or fails a check. */
export class InvalidDpopProof extends OAuthError {
  constructor(description: string) {
    super('invalid_dpop_proof', description, 400);
  }
}

/** §8: the server wants a (fresh) nonce; the answer carries it in DPoP-Nonce. */
export class UseDpopNonce extends OAuthError {
  constructor(nonce: string, description = 'a DPoP nonce is required; retry with the one in the DPoP-Nonce header') {
    super('use_dpop_nonce', description, 400);
    this.headers['DPoP-Nonce'] = nonce;
  }
}

/** base64url(SHA-256(token)): the `ath` claim (§4.2) and the `jkt` form of a thumbprint. */
export const sha256b64u = (text: string) => createHash('sha256').update(text).digest('base64url');

/** §4.3 item 9: htu compared without query and fragment, with the scheme and host normalized. */
export function normalizeHtu(raw: string): string | null {
  const u = URL.parse(raw);
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) return null;
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * Server nonces (§8): stateless — the current 5-minute slot and an HMAC of it — so every instance with the same
 * DPOP_NONCE_SECRET accepts every other's; the current and the previous slot are valid.
 */
export class DpopNonces {
  private readonly secret: Buffer;
  constructor(
    secret: string | undefined,
    private readonly clock: Deps['clock'],
  ) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
  }
  private forSlot(slot: number): string {
    const s = Buffer.alloc(4);
    s.writeUInt32BE(slot >>> 0);
    return Buffer.concat([s, createHmac('sha256', this.secret).update(s).digest().subarray(0, 16)]).toString('base64url');
  }
  private slot(): number {
    return Math.floor(nowS(this.clock) / 300);
  }
  current(): string {
    return this.forSlot(this.slot());
  }
  valid(nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length !== 27) return false;
    const slot = this.slot();
    return [slot, slot - 1].some((s) => {
      const want = Buffer.from(this.forSlot(s));
      const got = Buffer.from(nonce);
      return got.length === want.length && timingSafeEqual(got, want);
    });
  }
}

/**
 * A client sends the same key with every proof: its imported form and thumbprint are kept (bounded, oldest
 * first out), which saves about a fifth of a proof's cost. Keyed by the key's members and the algorithm.
 */
const keys = new Map<string, { key: Awaited<ReturnType<typeof importJWK>>; jkt: string }>();
async function keyOf(jwk: JWK, alg: string) {
  const id = `${alg} ${jwk.kty} ${jwk.crv ?? ''} ${jwk.x ?? ''} ${jwk.y ?? ''} ${jwk.n ?? ''} ${jwk.e ?? ''}`;
  let hit = keys.get(id);
  if (!hit) {
    hit = { key: await importJWK(jwk, alg), jkt: await calculateJwkThumbprint(jwk, 'sha256') };
    if (keys.size >= 10_000) keys.delete(keys.keys().next().value!);
    keys.set(id, hit);
  }
  return hit;
}

export interface ProofCheck {
  htm: string;
  htu: string;
  /** The access token the proof must be bound to (`ath`), at resource endpoints. */
  accessToken?: string;
}

export interface VerifiedProof {
  jkt: string;
  jwk: JWK;
}

/** The single DPoP header of a request: null when absent; invalid_dpop_proof when repeated (§4.3 item 1). */
export function dpopHeader(request: Request): string | null {
  const v = request.headers.get('dpop');
  if (v === null) return null;
  if (v.includes(',') || !v.trim()) throw new InvalidDpopProof('send exactly one DPoP header');
  return v.trim();
}

/** What proof checking needs: the server's deps, or the proxy's stand-ins (memory replay cache, its own nonces). */
export interface ProofDeps {
  clock: Deps['clock'];
  config: { dpopProofWindow: number; dpopNonce: boolean };
  store: { usedJtis: Deps['store']['usedJtis'] };
  dpopNonces: DpopNonces;
}

/** §4.3: every check of a proof; the jti is recorded last, so a refused proof records nothing. */
export async function verifyProof(deps: ProofDeps, proof: string, c: ProofCheck): Promise<VerifiedProof> {
  const checked = await checkProof(deps, proof, c);
  await spendProof(deps, checked);
  return checked;
}

/** A proof that passed every check but the jti's single use (§4.3 item 11), which `spendProof` records. */
export interface CheckedProof extends VerifiedProof {
  jti: string;
  /** Until when the jti must be remembered (seconds): the end of the proof's acceptance window. */
  until: number;
}

/** §4.3 item 11: record the proof's jti; a proof presented before is refused. */
export async function spendProof(deps: Pick<ProofDeps, 'clock' | 'store'>, p: CheckedProof): Promise<void> {
  if (!(await deps.store.usedJtis.use(`dpop:${p.jkt}:${p.jti}`, p.until, nowS(deps.clock)))) throw new InvalidDpopProof('the DPoP proof was used before (jti)');
}

/** Every check of §4.3 except the jti's single use: the caller records it (spendProof) once the request is otherwise accepted. */
export async function checkProof(deps: ProofDeps, proof: string, c: ProofCheck): Promise<CheckedProof> {
  if (proof.length > 8192) throw new InvalidDpopProof('the DPoP proof is too long');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new InvalidDpopProof('the DPoP proof is not a JWT');
  }
  if (header.typ !== 'dpop+jwt') throw new InvalidDpopProof('the DPoP proof typ must be dpop+jwt');
  if (typeof header.alg !== 'string' || !DPOP_ALGS.includes(header.alg))
    throw new InvalidDpopProof(`the DPoP proof alg ${header.alg ?? '?'} is not allowed (asymmetric algorithms only)`);
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || typeof jwk !== 'object') throw new InvalidDpopProof('the DPoP proof has no jwk header');
  // §4.3 item 7: a public key. A private part (d, p, q, …) or a symmetric key is refused outright.
  if (jwk.kty === 'oct' || ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((k) => k in jwk)) throw new InvalidDpopProof('the DPoP proof jwk must be a public key');
  const now = nowS(deps.clock);
  const window = deps.config.dpopProofWindow;
  let payload: Record<string, unknown>;
  let known: { key: Awaited<ReturnType<typeof importJWK>>; jkt: string };
  try {
    known = await keyOf(jwk, header.alg);
    ({ payload } = await jwtVerify(proof, known.key, { typ: 'dpop+jwt', algorithms: DPOP_ALGS, currentDate: new Date(now * 1000), clockTolerance: window }));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new InvalidDpopProof(
      code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'the DPoP proof signature does not verify' : 'the DPoP proof is not a valid signed JWT',
    );
  }
  if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256) throw new InvalidDpopProof('the DPoP proof has no jti');
  if (payload.htm !== c.htm) throw new InvalidDpopProof(`the DPoP proof htm must be ${c.htm}`);
  const htu = typeof payload.htu === 'string' ? normalizeHtu(payload.htu) : null;
  if (!htu || htu !== normalizeHtu(c.htu)) throw new InvalidDpopProof(`the DPoP proof htu must be ${normalizeHtu(c.htu)}`);
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > window)
    throw new InvalidDpopProof(`the DPoP proof iat is more than ${window} s from now`);
  if (c.accessToken !== undefined && payload.ath !== sha256b64u(c.accessToken))
    throw new InvalidDpopProof('the DPoP proof ath does not match the access token');
  if (deps.config.dpopNonce && !deps.dpopNonces.valid(payload.nonce)) throw new UseDpopNonce(deps.dpopNonces.current());
  return { jkt: known.jkt, jwk, jti: payload.jti, until: payload.iat + window };
}
