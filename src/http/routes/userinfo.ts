// GET|POST /userinfo (OIDC Core §5.3): the access token in the Authorization header (RFC 6750 §2.1) or, on
// POST, in a form body's access_token (§2.2) — never both (§2). Errors carry a Bearer challenge (§3);
// CORS for browser clients.
import { Elysia, t } from 'elysia';
import type { Deps } from '../../domain/deps.ts';
import { InvalidRequest, OAuthError } from '../../domain/errors.ts';
import { userInfo } from '../../domain/userinfo.ts';
import { bearerToken } from '../bearer.ts';
import { JSON_NO_STORE_CORS } from '../headers.ts';
import * as input from '../input.ts';
import { param } from '../input.ts';

const UserinfoForm = t.Object({ access_token: param(4096) });

/** RFC 6750 §3.1: a request without credentials gets the bare challenge, no error code. */
class NoToken extends OAuthError {
  constructor() {
    super('invalid_token', 'an access token is required', 401);
    this.headers['WWW-Authenticate'] = 'Bearer realm="auth"';
  }
}

export function userinfoRoutes(deps: Deps) {
  const answer = async (token: string | undefined) => {
    if (!token) throw new NoToken();
    return new Response(JSON.stringify(await userInfo(deps, token)), { headers: JSON_NO_STORE_CORS });
  };
  return new Elysia({ name: 'userinfo' })
    .get('/userinfo', ({ request }) => answer(bearerToken(request)), { headers: input.authorizationHeader })
    .post(
      '/userinfo',
      ({ request, body }) => {
        const header = bearerToken(request);
        if (header && body.access_token) throw new InvalidRequest('send the access token in one place only (RFC 6750 §2)');
        return answer(header ?? body.access_token);
      },
      // A POST without a body carries the token in the header.
      { ...input.form(UserinfoForm, { optional: true }), headers: input.authorizationHeader },
    );
}
