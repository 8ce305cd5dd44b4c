// Verifying JWTs that others sign — client assertions (RFC 7523 §2.2, §3), identity assertions (ID-JAG),
// workload tokens — with jose: asymmetric algorithms only (so neither `none` nor an HMAC keyed with a
// public key is ever accepted, RFC 8725 §3.1–§3.2), the issuer, audience and type checked, `exp` and `iat`
// required, `iat` not in the future, and a bounded lifetime where the caller asks. Each failure says which
// check failed, for the RFC error's description and the audit log. Single use of `jti` is the caller's
// (store.usedJtis), done last so a refused request records nothing.
import { type JWTHeaderParameters, type JWTPayload, type JWTVerifyGetKey, decodeProtectedHeader, jwtVerify } from 'jose';
import { nowS, type Clock } from '../clock.ts';
import { JwksError } from './jwks.ts';

/** RFC 7518 §3.1 and RFC 8037: the signature algorithms we verify. HS* and `none` are absent on purpose. */
export const ASYMMETRIC_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/** Allowed clock skew between us and the signer. */
const SKEW_S = 60;

export class AssertionError extends Error {
  override name = 'AssertionError';
}

export interface AssertionRules {
  /** How the JWT is named in messages: "the client assertion", "the identity assertion". */
  what: string;
  key: JWTVerifyGetKey;
  issuer?: string;
  /** Any one of these must be in `aud`. */
  audience: string | string[];
  subject?: string;
  /** The `typ` header required (e.g. oauth-id-jag+jwt); compared without the application/ prefix. */
  typ?: string;
  requireJti?: boolean;
  /** `exp` at most this far ahead (short-lived assertions, RFC 7523 §3 item 4). */
  maxLifetimeS?: number;
}

export interface VerifiedAssertion {
  payload: JWTPayload & Record<string, unknown>;
  header: JWTHeaderParameters;
}

/** The unverified `iss` and `typ` of a JWT, to choose the rules it is checked by; null when it is not a JWT. */
export function peek(jwt: string): { iss: string | null; typ: string | null } | null {
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = decodeProtectedHeader(jwt);
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    return { iss: typeof payload.iss === 'string' ? payload.iss : null, typ: typeof header.typ === 'string' ? header.typ : null };
  } catch {
    return null;
  }
}

export async function verifyAssertion(jwt: string, r: AssertionRules, clock: Clock): Promise<VerifiedAssertion> {
  if (jwt.length > 16_384) throw new AssertionError(`${r.what} is too long`);
  const now = nowS(clock);
  let result: Awaited<ReturnType<typeof jwtVerify>>;
  try {
    result = await jwtVerify(jwt, r.key, {
      algorithms: ASYMMETRIC_ALGS,
      ...(r.issuer !== undefined ? { issuer: r.issuer } : {}),
      audience: r.audience,
      ...(r.subject !== undefined ? { subject: r.subject } : {}),
      ...(r.typ !== undefined ? { typ: r.typ } : {}),
      currentDate: new Date(now * 1000),
      clockTolerance: SKEW_S,
      requiredClaims: ['exp', 'iat', ...(r.requireJti ? ['jti'] : [])],
    });
  } catch (e) {
    throw new AssertionError(describe(e, r, jwt));
  }
  const payload = result.payload as VerifiedAssertion['payload'];
  if (typeof payload.iat !== 'number' || payload.iat > now + SKEW_S) throw new AssertionError(`${r.what} was issued in the future (iat)`);
  if (r.maxLifetimeS !== undefined && payload.exp! - now > r.maxLifetimeS)
    throw new AssertionError(`${r.what} lives too long: exp may be at most ${r.maxLifetimeS} s ahead`);
  if (r.requireJti && (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256)) throw new AssertionError(`${r.what} has no usable jti`);
  return { payload, header: result.protectedHeader as JWTHeaderParameters };
}

/** jose's failure, as the check that failed. */
function describe(e: unknown, r: AssertionRules, jwt: string): string {
  if (e instanceof JwksError) return `${r.what} cannot be checked: ${e.message}`;
  const err = e as { code?: string; claim?: string; reason?: string; message?: string };
  let header: JWTHeaderParameters | null = null;
  try {
    header = decodeProtectedHeader(jwt) as JWTHeaderParameters;
  } catch {
    // not a JWS at all
  }
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return `${r.what} has expired`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return `${r.what} is signed with alg ${header?.alg ?? '?'}, which is not allowed (asymmetric algorithms only)`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return `${r.what} signature does not verify`;
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return `${r.what} names key ${header?.kid ? `"${header.kid}"` : '(no kid)'}, which the issuer's JWKS does not hold`;
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return `${r.what} names no kid and the issuer's JWKS holds several keys`;
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (err.reason === 'missing') return `${r.what} has no ${err.claim} claim`;
      if (err.claim === 'iss') return `${r.what} iss is not ${r.issuer}`;
      if (err.claim === 'aud') return `${r.what} aud does not name ${Array.isArray(r.audience) ? r.audience.join(' or ') : r.audience}`;
      if (err.claim === 'sub') return `${r.what} sub is not ${r.subject}`;
      if (err.claim === 'typ') return `${r.what} typ must be ${r.typ}`;
      if (err.claim === 'nbf') return `${r.what} is not valid yet (nbf)`;
      return `${r.what} ${err.claim} claim is invalid`;
    default:
      if (header && !ASYMMETRIC_ALGS.includes(String(header.alg)))
        return `${r.what} is signed with alg ${header.alg ?? '?'}, which is not allowed (asymmetric algorithms only)`;
      return `${r.what} is not a valid signed JWT`;
  }
}
