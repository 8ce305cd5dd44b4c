// GET|POST /userinfo (OIDC Core §5.3): the access token in the Authorization header (RFC 6750 §2.1) or, on
// POST, in a form body's access_token (§2.2) — never both (§2). Errors carry a Bearer challenge (§3);
// CORS for browser clients. A DPoP-bound token comes as `Authorization: DPoP` with a proof (RFC 9449 §7.1).
import { Elysia, t } from 'elysia';
import type { Deps } from '../../domain/deps.ts';
import { InvalidRequest, OAuthError } from '../../domain/errors.ts';
import { userInfo } from '../../domain/userinfo.ts';
import { presentedToken } from '../bearer.ts';
import { DPOP_ALGS, dpopHeader, InvalidDpopProof, verifyProof } from '../../domain/dpop.ts';
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

/** RFC 9449 §7.1: proof failures at a resource are 401 with a DPoP challenge. */
class DpopChallenge extends OAuthError {
  constructor(e: OAuthError) {
    super(e.error, e.description, 401);
    this.headers['WWW-Authenticate'] = `DPoP algs="${DPOP_ALGS.join(' ')}", error="${e.error}", error_description="${e.description.replace(/"/g, "'")}"`;
    if (e.headers['DPoP-Nonce']) this.headers['DPoP-Nonce'] = e.headers['DPoP-Nonce'];
  }
}

export function userinfoRoutes(deps: Deps) {
  const answer = async (request: Request, token: string | undefined, scheme: 'Bearer' | 'DPoP' = 'Bearer') => {
    if (!token) throw new NoToken();
    let jkt: string | undefined;
    if (scheme === 'DPoP') {
      const header = dpopHeader(request);
      if (!header) throw new DpopChallenge(new InvalidDpopProof('a DPoP proof is required with Authorization: DPoP'));
      try {
        jkt = (await verifyProof(deps, header, { htm: request.method, htu: `${deps.config.baseUrl}/userinfo`, accessToken: token })).jkt;
      } catch (e) {
        if (e instanceof OAuthError) throw new DpopChallenge(e);
        throw e;
      }
    }
    return new Response(JSON.stringify(await userInfo(deps, token, jkt)), { headers: JSON_NO_STORE_CORS });
  };
  return new Elysia({ name: 'userinfo' })
    .get(
      '/userinfo',
      ({ request }) => {
        const given = presentedToken(request);
        return answer(request, given?.token, given?.scheme);
      },
      input.headers(input.authorizationHeader),
    )
    .post(
      '/userinfo',
      ({ request, body }) => {
        const given = presentedToken(request);
        if (given && body.access_token) throw new InvalidRequest('send the access token in one place only (RFC 6750 §2)');
        return given ? answer(request, given.token, given.scheme) : answer(request, body.access_token);
      },
      // A POST without a body carries the token in the header.
      input.form(UserinfoForm, { optional: true, headers: input.authorizationHeader }),
    );
}
