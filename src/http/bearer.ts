// The bearer credential of a request (RFC 6750 §2.1), and the shared-secret check used by the endpoints that
// take an operator token (registration, introspection, the temp-token API, metrics).
import { InvalidToken } from '../domain/errors.ts';
import { equalSecrets } from '../security/compare.ts';

export function bearerToken(request: Request): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
}

/** An access token as presented to a resource endpoint: `Bearer` (RFC 6750) or `DPoP` (RFC 9449 §7.1). */
export function presentedToken(request: Request): { scheme: 'Bearer' | 'DPoP'; token: string } | undefined {
  const m = /^(Bearer|DPoP)\s+(.+)$/i.exec(request.headers.get('authorization') ?? '');
  if (!m) return undefined;
  return { scheme: m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: m[2]! };
}

/** Require `Authorization: Bearer <secret>`, compared in constant time; otherwise 401 invalid_token. */
export function requireBearer(request: Request, secret: string, description: string, realm = 'auth'): void {
  checkBearer(bearerToken(request), secret, description, realm);
}

/** The same check for a bearer value already read; no secret configured means nothing matches. */
export function checkBearer(given: string | undefined, secret: string | undefined, description: string, realm = 'auth'): void {
  if (!given || !secret || !equalSecrets(given, secret)) throw new InvalidToken(description, realm);
}
