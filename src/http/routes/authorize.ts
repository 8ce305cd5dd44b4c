// GET /authorize (also GET / with OAuth parameters, as Deploys had) and POST /consent.
// RFC 6749 §4.1.1–4.1.2, RFC 7636 §4.3, RFC 8707 §2, RFC 9207. No CORS here: browsers navigate to it.
import { Elysia } from 'elysia';
import { ConsentPage } from '../../../templates/consent.tsx';
import { HomePage } from '../../../templates/home.tsx';
import {
  issueAuthorizationCode,
  needsConsent,
  redirectWith,
  rememberConsent,
  validateAuthorizationRequest,
  type AuthorizationRequest,
} from '../../domain/authorization.ts';
import type { Deps } from '../../domain/deps.ts';
import { AuthorizeError, OAuthError, TooManyRequests } from '../../domain/errors.ts';
import { requestMeta } from '../context.ts';
import { pageContext, postedForm, redirect, type PageContext } from '../page-context.ts';
import { parseParams, queryParams, type ParamSpec } from '../params.ts';
import { asPage } from './login.ts';
import type { RouteTable } from '../serve.ts';

export const AUTHORIZE_PARAMS: ParamSpec = {
  response_type: { max: 64 },
  client_id: { max: 2048 },
  redirect_uri: { max: 2000 },
  scope: { max: 2000 },
  state: { max: 2048 },
  code_challenge: { max: 128 },
  code_challenge_method: { max: 16 },
  resource: { max: 2000, repeat: true },
  prompt: { max: 64 },
  nonce: { max: 512 },
  login_hint: { max: 256 },
  response_mode: { max: 32 },
};
const CONSENT_FORM: ParamSpec = { csrf: { max: 64 }, request: { max: 16 * 1024 }, decision: { max: 8 } };

function redirectHost(uri: string): string {
  const u = new URL(uri);
  return u.host || `${u.protocol}//`;
}

function consentPage(ctx: PageContext, req: AuthorizationRequest, query: string): Response {
  return ctx.render(
    ConsentPage({
      csrf: ctx.csrf,
      request: query,
      clientName: req.client.name,
      clientId: req.client.id,
      redirectHost: redirectHost(req.redirectUri),
      scopes: req.scopes,
      resources: req.resources,
      username: ctx.session!.user.username,
      unverifiedName: req.client.origin === 'dynamic' || req.client.origin === 'metadata_document',
      documentHost: req.client.origin === 'metadata_document' ? new URL(req.client.id).host : undefined,
    }),
  );
}

/** The query string with some prompt values removed (after they have been honoured). */
function withoutPrompt(query: string, drop: string): string {
  const sp = new URLSearchParams(query);
  const rest = (sp.get('prompt') ?? '').split(' ').filter((v) => v && v !== drop);
  if (rest.length) sp.set('prompt', rest.join(' '));
  else sp.delete('prompt');
  return sp.toString();
}

async function authorize(deps: Deps, request: Request): Promise<Response> {
  const url = request.url;
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  let req: AuthorizationRequest;
  try {
    req = await validateAuthorizationRequest(deps, queryParams(request, AUTHORIZE_PARAMS, { lenient: true }), requestMeta(request).ip);
  } catch (e) {
    if (e instanceof TooManyRequests) throw e; // 429 with Retry-After, as a page
    // Encoding or length errors found while parsing: the client is unverified, so a page.
    if (e instanceof OAuthError && !(e instanceof AuthorizeError)) throw new AuthorizeError(e.error, e.description, false);
    throw e;
  }
  const fail = (error: string, description: string) => new AuthorizeError(error, description, true, req.redirectUri, req.state);
  const ctx = await pageContext(deps, request);
  if (req.prompt.has('login')) {
    // OIDC-style prompt=login: sign in again, then continue without the prompt.
    if (req.prompt.has('none')) throw fail('invalid_request', 'prompt=none cannot be combined with login');
    return redirect(`/login?force=1&next=${encodeURIComponent(`/authorize?${withoutPrompt(query, 'login')}`)}`, 302);
  }
  if (!ctx.session) {
    if (req.prompt.has('none')) throw fail('login_required', 'the user is not signed in');
    return redirect(`/login?next=${encodeURIComponent(`/authorize?${query}`)}`, 302);
  }
  if (await needsConsent(deps, req, ctx.session.user)) {
    if (req.prompt.has('none')) throw fail('consent_required', 'the user has not authorized this client');
    return consentPage(ctx, req, query);
  }
  const location = await issueAuthorizationCode(deps, req, ctx.session.user, ctx.session.session.authTime);
  return redirect(location, 302);
}

/** GET /authorize, on the native router (the code flow's first request). */
export function authorizeEndpoint(deps: Deps): RouteTable {
  return { '/authorize': { GET: (request) => authorize(deps, request) } };
}

/** GET / (the authorization endpoint with OAuth parameters, else the home page) and POST /consent. */
export function authorizeRoutes(deps: Deps) {
  const issuer = deps.config.baseUrl;
  return new Elysia({ name: 'authorize' })
    .get('/', async ({ request }) => {
      // Deploys served the authorization endpoint at "/"; without OAuth parameters this is the home page.
      if (/[?&](client_id|response_type)=/.test(request.url)) return authorize(deps, request);
      return asPage(deps, request, async () => {
        const ctx = await pageContext(deps, request);
        return ctx.render(HomePage({ username: ctx.session?.user.username ?? null, csrf: ctx.csrf }));
      });
    })
    .post('/consent', ({ request }) =>
      asPage(deps, request, async () => {
        const { f, ctx } = await postedForm(deps, request, CONSENT_FORM);
        const query = f.get('request') ?? '';
        // The request is validated again: the client may have changed since the page was shown.
        const req = await validateAuthorizationRequest(deps, parseParams(query, AUTHORIZE_PARAMS, { lenient: true }), requestMeta(request).ip);
        if (!ctx.session) return redirect(`/login?next=${encodeURIComponent(`/authorize?${query}`)}`, 303);
        if (f.get('decision') !== 'allow') {
          return redirect(
            redirectWith(req.redirectUri, { error: 'access_denied', error_description: 'the user denied the request', state: req.state, iss: issuer }),
            303,
          );
        }
        await rememberConsent(deps, req, ctx.session.user);
        return redirect(await issueAuthorizationCode(deps, req, ctx.session.user, ctx.session.session.authTime), 303);
      }),
    );
}
