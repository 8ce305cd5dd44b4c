// Opaque secrets are "<id>.<secret>": the row is looked up by id and the SHA-256 of the whole token is
// compared in constant time with the stored hash (Lucia's session-token layout). A short prefix names the
// kind of secret so secret scanners can find leaked ones ("rt_" refresh token, "ac_" code, …).
import { randomToken, sortableId } from './random.ts';
import { sha256Hex } from './hash.ts';

export interface MintedSecret {
  id: string;
  token: string;
  hash: string;
}

const ID_RE = /^[A-Za-z0-9_-]{16,64}$/;
const SECRET_RE = /^[A-Za-z0-9_-]{22,128}$/;

/** Create `<prefix><id>.<secret>` with a time-ordered id (sortableId) and a 256-bit secret. */
export function mintSecret(prefix: string): MintedSecret {
  const id = sortableId();
  const token = `${prefix}${id}.${randomToken(32)}`;
  return { id, token, hash: sha256Hex(token) };
}

/** Split a presented token into its id; null when it is not of this kind or malformed. */
export function parseSecret(prefix: string, token: string): { id: string } | null {
  if (typeof token !== 'string' || !token.startsWith(prefix) || token.length > 256) return null;
  const rest = token.slice(prefix.length);
  const dot = rest.indexOf('.');
  if (dot < 0) return null;
  const id = rest.slice(0, dot);
  const secret = rest.slice(dot + 1);
  if (!ID_RE.test(id) || !SECRET_RE.test(secret)) return null;
  return { id };
}
