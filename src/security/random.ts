// Random values for secrets and identifiers. Everything comes from the CSPRNG (crypto.getRandomValues).

/** base64url of `bytes` random bytes (32 bytes = 256 bits by default). */
export function randomToken(bytes = 32): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Buffer.from(buf).toString('base64url');
}

/** A random id for rows and request ids: 16 bytes, base64url (22 chars). */
export function randomId(bytes = 16): string {
  return randomToken(bytes);
}

/**
 * A random string of `length` characters drawn uniformly from `charset` (rejection sampling, so no
 * modulo bias). Used for human-typed codes such as the RFC 8628 user code.
 */
export function randomFromCharset(charset: string, length: number): string {
  const n = charset.length;
  const limit = 256 - (256 % n);
  let out = '';
  const buf = new Uint8Array(length * 2);
  while (out.length < length) {
    crypto.getRandomValues(buf);
    for (const b of buf) {
      if (b < limit) out += charset[b % n];
      if (out.length === length) break;
    }
  }
  return out;
}
