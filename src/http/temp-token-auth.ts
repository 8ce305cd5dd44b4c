// Temp-token authentication for routes that accept it: the token comes in `X-Temp-Token` (pages move it
// there from the URL fragment `#t=…`, which never reaches logs or Referer). It is tried only when the
// request carries neither a session cookie nor an Authorization header — a failed password must not be
// rescued by a link — and any failure is a plain 401.
import type { Deps } from '../domain/deps.ts';
import { OAuthError } from '../domain/errors.ts';
import { TempTokenError, type ValidatedTempToken } from '../domain/temp-tokens.ts';
import { cookieNames, readCookie } from './cookies.ts';
import { pathOf } from './serve.ts';

export class TempTokenUnauthorized extends OAuthError {
  constructor(description = 'a valid temporary token is required') {
    super('unauthorized', description, 401);
  }
}

export async function requireTempToken(deps: Deps, request: Request): Promise<ValidatedTempToken> {
  const names = cookieNames(deps.config.baseUrl.startsWith('https:'));
  if (request.headers.has('authorization') || readCookie(request, names.session)) {
    throw new TempTokenUnauthorized('temporary tokens are not accepted alongside a session or a bearer token');
  }
  const token = request.headers.get('x-temp-token');
  if (!token) throw new TempTokenUnauthorized();
  try {
    return await deps.tempTokens.validate(token, request.method, pathOf(request.url));
  } catch (e) {
    if (e instanceof TempTokenError) {
      deps.log.info('temp token refused', { reason: e.code, path: pathOf(request.url) });
      throw new TempTokenUnauthorized('this link is invalid, expired or already used');
    }
    throw e;
  }
}
