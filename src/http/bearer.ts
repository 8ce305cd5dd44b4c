// The bearer credential of a request (RFC 6750 §2.1), and the shared-secret check used by the endpoints that
// take an operator token (registration, introspection, the temp-token API, metrics).
import { InvalidToken } from '../domain/errors.ts';
import { equalSecrets } from '../security/compare.ts';

export function bearerToken(request: Request): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
}

/** Require `Authorization: Bearer <secret>`, compared in constant time; otherwise 401 invalid_token. */
export function requireBearer(request: Request, secret: string, description: string, realm = 'auth'): void {
  const given = bearerToken(request);
  if (!given || !equalSecrets(given, secret)) throw new InvalidToken(description, realm);
}
