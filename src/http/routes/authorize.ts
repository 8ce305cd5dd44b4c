// GET /authorize (also GET / with OAuth parameters, as Deploys had) and POST /consent.
// RFC 6749 §4.1.1–4.1.2, RFC 7636 §4.3, RFC 8707 §2, RFC 9207. No CORS here: browsers navigate to it.
import type { Static } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
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
import { subjectFor } from '../../domain/oidc.ts';
import { nowS } from '../../clock.ts';
import { AuthorizeError } from '../../domain/errors.ts';
import { requestMeta } from '../context.ts';
import * as input from '../input.ts';
import { checkParams, lenientParam, Params, param, parseParamText, queryText, repeated } from '../input.ts';
import { pages, redirect, type PageContext } from '../page-context.ts';

/** The authorization request's parameters; repetition is judged by the handler (input.ts lenientParam). */
export const AuthorizeQuery = t.Object({
  response_type: lenientParam(64),
  client_id: lenientParam(2048),
  redirect_uri: lenientParam(2000),
  scope: lenientParam(2000),
  state: lenientParam(2048),
  code_challenge: lenientParam(128),
  code_challenge_method: lenientParam(16),
  dpop_jkt: lenientParam(64),
  resource: repeated(2000),
  prompt: lenientParam(64),
  response_mode: lenientParam(32),
  // OpenID Connect (OIDC Core §3.1.2.1); display, ui_locales, claims_locales and acr_values are accepted and ignored.
  nonce: lenientParam(512),
  login_hint: lenientParam(256),
  max_age: lenientParam(16),
  id_token_hint: lenientParam(8192),
  claims: lenientParam(4096),
  request: lenientParam(8192),
  request_uri: lenientParam(2048),
});
const ConsentForm = t.Object({ csrf: param(64), request: param(16 * 1024), decision: param(8) });

function redirectHost(uri: string): string {
  const u = new URL(uri);
  return u.host || `${u.protocol}//`;
}

function consentPage(ctx: PageContext, req: AuthorizationRequest, query: string): Response {
  return ctx.render(
    ConsentPage({
      brand: ctx.brand,
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

/** The query string without some prompt values and parameters (once they have been honoured). */
function without(query: string, prompts: string[], params: string[] = []): string {
  const sp = new URLSearchParams(query);
  const rest = (sp.get('prompt') ?? '').split(' ').filter((v) => v && !prompts.includes(v));
  if (rest.length) sp.set('prompt', rest.join(' '));
  else sp.delete('prompt');
  for (const p of params) sp.delete(p);
  return sp.toString();
}

/** The sign-in page, continuing with the authorization request; `force` signs in again over a session. */
function signIn(query: string, req: AuthorizationRequest, force: boolean): Response {
  const hint = req.oidc?.loginHint ? `&login_hint=${encodeURIComponent(req.oidc.loginHint)}` : '';
  return redirect(`/login?${force ? 'force=1&' : ''}next=${encodeURIComponent(`/authorize?${query}`)}${hint}`, 302);
}

async function authorize(deps: Deps, request: Request, query: Static<typeof AuthorizeQuery>, ctx: PageContext): Promise<Response> {
  const raw = queryText(request.url);
  const req = await validateAuthorizationRequest(deps, new Params(query), requestMeta(request).ip);
  const fail = (error: string, description: string) => new AuthorizeError(error, description, true, req.redirectUri, req.state);
  const none = req.prompt.has('none');
  if (req.prompt.has('login') || req.prompt.has('select_account')) {
    // prompt=login, and select_account (one account per browser session): sign in again, then continue
    // without the prompt.
    if (none) throw fail('invalid_request', 'prompt=none cannot be combined with login');
    return signIn(without(raw, ['login', 'select_account']), req, true);
  }
  const session = ctx.session;
  if (!session) {
    if (none) throw fail('login_required', 'the user is not signed in');
    return signIn(raw, req, false);
  }
  if (req.oidc) {
    // OIDC Core §3.1.2.1 max_age: a sign-in older than that is done again (then continue without it, so a
    // slow sign-in cannot loop); auth_time is in every ID token.
    const age = nowS(deps.clock) - session.session.authTime;
    if (req.oidc.maxAge !== undefined && age > req.oidc.maxAge) {
      if (none) throw fail('login_required', 'the sign-in is older than max_age');
      return signIn(without(raw, [], ['max_age']), req, true);
    }
    // id_token_hint naming another user than the one signed in: with prompt=none an error; otherwise sign in
    // again, and the request continues for whoever signs in (the client compares `sub`).
    if (req.oidc.hintSubject !== undefined && req.oidc.hintSubject !== subjectFor(deps.config, req.client, session.user.id)) {
      if (none) throw fail('login_required', 'the signed-in user is not the one id_token_hint names');
      return signIn(without(raw, [], ['id_token_hint']), req, true);
    }
  }
  if (await needsConsent(deps, req, session.user)) {
    if (none) throw fail('consent_required', 'the user has not authorized this client');
    return consentPage(ctx, req, raw);
  }
  const location = await issueAuthorizationCode(deps, req, session.user, session.session);
  return redirect(location, 302);
}

/**
 * GET /authorize; GET / (the authorization endpoint when it has OAuth parameters, as Deploys had; else the
 * home page); POST /consent. Errors before the redirect URI is verified are pages (error-handler.ts).
 */
export function authorizeRoutes(deps: Deps) {
  const issuer = deps.config.baseUrl;
  return new Elysia({ name: 'authorize' })
    .use(pages(deps))
    .get('/authorize', ({ request, query, page }) => authorize(deps, request, query, page), input.query(AuthorizeQuery))
    .get(
      '/',
      ({ request, query, page }) => {
        if (/[?&](client_id|response_type)=/.test(request.url)) return authorize(deps, request, query, page);
        return page.render(HomePage({ brand: page.brand, username: page.session?.user.username ?? null, csrf: page.csrf }));
      },
      input.query(AuthorizeQuery),
    )
    .post(
      '/consent',
      async ({ body, page, request }) => {
        const raw = body.request ?? '';
        // The request is validated again: the client may have changed since the page was shown.
        const query = checkParams(AuthorizeQuery, parseParamText(raw, AuthorizeQuery));
        const req = await validateAuthorizationRequest(deps, new Params(query), requestMeta(request).ip);
        if (!page.session) return redirect(`/login?next=${encodeURIComponent(`/authorize?${raw}`)}`, 303);
        if (body.decision !== 'allow') {
          return redirect(
            redirectWith(req.redirectUri, { error: 'access_denied', error_description: 'the user denied the request', state: req.state, iss: issuer }),
            303,
          );
        }
        await rememberConsent(deps, req, page.session.user);
        return redirect(await issueAuthorizationCode(deps, req, page.session.user, page.session.session), 303);
      },
      input.form(ConsentForm),
    );
}
