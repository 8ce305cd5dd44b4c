// Constant-time comparison of secrets. Never use === on a secret, a hash of one or a PKCE challenge.
import { timingSafeEqual } from 'node:crypto';
import { sha256Bytes } from './hash.ts';

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

/** Compare a presented secret against a stored hex SHA-256 hash, in constant time. */
export function matchesHash(secret: string, storedHex: string): boolean {
  const stored = Buffer.from(storedHex, 'hex');
  return constantTimeEqual(sha256Bytes(secret), stored);
}
