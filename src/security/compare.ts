// Constant-time comparison of secrets. Never use === on a secret, a hash of one or a PKCE challenge.
import { timingSafeEqual } from 'node:crypto';
import { sha256Bytes, sha256Hex } from './hash.ts';

/** Constant-time equality of two byte arrays; different lengths are unequal (length is not secret). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * Constant-time equality of two strings of any length: both are hashed first so neither the content
 * nor the length of the expected value leaks through timing.
 */
export function equalSecrets(a: string, b: string): boolean {
  return timingSafeEqual(sha256Bytes(a), sha256Bytes(b));
}

/**
 * Compare a presented secret against a stored SHA-256 hash (lowercase hex, as sha256Hex writes it) in
 * constant time: all 64 characters are compared, whatever differs. On strings rather than bytes, so a
 * token request allocates no byte arrays for it (see security/encoding.ts on what those cost the collector).
 */
export function matchesHash(secret: string, storedHex: string): boolean {
  const given = sha256Hex(secret);
  if (storedHex.length !== given.length) return false;
  let diff = 0;
  for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ storedHex.charCodeAt(i);
  return diff === 0;
}
