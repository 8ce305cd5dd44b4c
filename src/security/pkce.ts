// PKCE (RFC 7636). Only S256 is supported: "plain" is rejected (OAuth 2.1 §4.1.1, RFC 9700 §2.1.1).
import { sha256Base64url } from './hash.ts';
import { equalSecrets } from './compare.ts';

// RFC 7636 §4.1: code_verifier = 43*128 unreserved characters.
const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,128}$/;
// RFC 7636 §4.2: S256 challenge = BASE64URL(SHA256(verifier)) = exactly 43 base64url characters.
const CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/;

export function isValidVerifier(verifier: string): boolean {
  return VERIFIER_RE.test(verifier);
}

export function isValidChallenge(challenge: string): boolean {
  return CHALLENGE_RE.test(challenge);
}

export function s256(verifier: string): string {
  return sha256Base64url(verifier);
}

/** RFC 7636 §4.6: recompute S256(code_verifier) and compare with the stored challenge in constant time. */
export function verifyPkce(verifier: string, challenge: string): boolean {
  if (!isValidVerifier(verifier)) return false;
  return equalSecrets(s256(verifier), challenge);
}
