// SHA-256 for machine-generated secrets (≥ 128 bits of entropy, so a fast hash is enough; argon2id is
// for human passwords only — see src/domain/passwords.ts).

const hasher = new Bun.CryptoHasher('sha256');

/** Hex SHA-256 of a UTF-8 string. */
export function sha256Hex(value: string): string {
  return Bun.SHA256.hash(value, 'hex') as string;
}

/** Raw SHA-256 bytes. */
export function sha256Bytes(value: string | Uint8Array): Uint8Array {
  return Bun.SHA256.hash(value) as Uint8Array;
}

/** base64url SHA-256, as used by PKCE S256 (RFC 7636 §4.2). */
export function sha256Base64url(value: string): string {
  hasher.update(value);
  return hasher.digest('base64url') as string;
}
