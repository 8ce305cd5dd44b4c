// Pages: GET|POST /login, POST /logout, POST /login/:provider, GET /callback/:provider (and /callback for
// Google, as Deploys had), GET / without OAuth parameters. Every form is CSRF-checked; errors are pages.
import { Elysia } from 'elysia';
import { LoginPage } from '../../../templates/login.tsx';
import type { Deps } from '../../domain/deps.ts';
import { AuthorizeError, OAuthError, TooManyRequests } from '../../domain/errors.ts';
import { finishUpstreamLogin, LoginFailed, loginWithPassword, safeNext, startUpstreamLogin } from '../../domain/login.ts';
import { createSession, endSession } from '../../domain/sessions.ts';
import { equalSecrets } from '../../security/compare.ts';
import { clearCookie, readCookie, setCookie } from '../cookies.ts';
import { requestMeta } from '../context.ts';
import { pageContext, postedForm, redirect, type PageContext } from '../page-context.ts';
import { queryParams, type ParamSpec } from '../params.ts';
import { errorPage } from '../render.ts';

const LOGIN_FORM: ParamSpec = { csrf: { max: 64 }, username: { max: 256 }, password: { max: 1024 }, next: { max: 4096 } };
const PROVIDER_FORM: ParamSpec = { csrf: { max: 64 }, next: { max: 4096 } };
const LOGOUT_FORM: ParamSpec = { csrf: { max: 64 } };
const LOGIN_QUERY: ParamSpec = { next: { max: 4096 }, force: { max: 1 } };
const CALLBACK_QUERY: ParamSpec = {
  state: { max: 128 },
  code: { max: 4096 },
  error: { max: 256 },
  error_description: { max: 1024 },
  iss: { max: 2048 },
  scope: { max: 2048 },
  authuser: { max: 16 },
  prompt: { max: 64 },
  hd: { max: 256 },
};

/** Run a page handler; OAuth errors become error pages (with Retry-After for 429). */
export async function asPage(deps: Deps, request: Request, fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (e) {
    // Authorization errors go to the global handler, which redirects them when it may.
    if (!(e instanceof OAuthError) || e instanceof AuthorizeError) throw e;
    const res = errorPage(deps.config.baseUrl.startsWith('https:'), e.status, e.error, e.description, requestMeta(request).id);
    for (const [k, v] of Object.entries(e.headers)) if (k !== 'WWW-Authenticate') res.headers.set(k, v);
    return res;
  }
}

function loginPage(deps: Deps, ctx: PageContext, next: string, extra: { error?: string; username?: string; status?: number } = {}) {
  const html = LoginPage({
    csrf: ctx.csrf,
    next,
    providers: deps.upstreams.list.map((p) => ({ id: p.id, label: p.label })),
    error: extra.error,
    username: extra.username,
  });
  return ctx.render(html, extra.status ?? 200);
}

function sessionCookie(ctx: PageContext, deps: Deps, value: string): string {
  return setCookie(ctx.names.session, value, ctx.https, deps.config.sessionTtl);
}

export function loginRoutes(deps: Deps) {
  return new Elysia({ name: 'login' })
    .get('/login', ({ request }) =>
      asPage(deps, request, async () => {
        const q = queryParams(request, LOGIN_QUERY);
        const ctx = await pageContext(deps, request);
        const next = safeNext(q.get('next'));
        if (ctx.session && q.get('force') !== '1') return redirect(next);
        return loginPage(deps, ctx, next);
      }),
    )
    .post('/login', ({ request }) =>
      asPage(deps, request, async () => {
        const { f, ctx } = await postedForm(deps, request, LOGIN_FORM);
        const next = safeNext(f.get('next'));
        const username = f.get('username') ?? '';
        try {
          const user = await loginWithPassword(deps, { username, password: f.get('password') ?? '', ip: requestMeta(request).ip });
          // A new session id at every sign-in (no session fixation).
          await endSession(deps, readCookie(request, ctx.names.session));
          const { cookie } = await createSession(deps, user.id);
          return redirect(next, 303, [sessionCookie(ctx, deps, cookie)]);
        } catch (e) {
          if (e instanceof LoginFailed) return loginPage(deps, ctx, next, { error: e.description, username, status: 401 });
          if (e instanceof TooManyRequests) {
            const res = loginPage(deps, ctx, next, { error: e.description, username, status: 429 });
            res.headers.set('Retry-After', e.headers['Retry-After']!);
            return res;
          }
          throw e;
        }
      }),
    )
    .post('/logout', ({ request }) =>
      asPage(deps, request, async () => {
        const { ctx } = await postedForm(deps, request, LOGOUT_FORM);
        await endSession(deps, readCookie(request, ctx.names.session));
        return redirect('/', 303, [clearCookie(ctx.names.session, ctx.https)]);
      }),
    )
    .post('/login/:provider', ({ request, params }) =>
      asPage(deps, request, async () => {
        const { f, ctx } = await postedForm(deps, request, PROVIDER_FORM);
        const { url, state } = await startUpstreamLogin(deps, params.provider, safeNext(f.get('next')));
        // The state is also bound to this browser by a short-lived cookie (login CSRF defence).
        return redirect(url.toString(), 303, [setCookie(ctx.names.upstream, state, ctx.https, 600)]);
      }),
    )
    .get('/callback/:provider', ({ request, params }) => upstreamCallback(deps, request, params.provider))
    .get('/callback', ({ request }) => upstreamCallback(deps, request, 'google'));
}

function upstreamCallback(deps: Deps, request: Request, provider: string): Promise<Response> {
  return asPage(deps, request, async () => {
    const q = queryParams(request, CALLBACK_QUERY);
    const ctx = await pageContext(deps, request);
    const clear = clearCookie(ctx.names.upstream, ctx.https);
    if (q.get('error')) throw new OAuthError('access_denied', 'sign-in was cancelled or refused by the provider', 400);
    const state = q.get('state');
    const code = q.get('code');
    const bound = readCookie(request, ctx.names.upstream);
    if (!state || !code || !bound || !equalSecrets(state, bound))
      throw new OAuthError('access_denied', 'this sign-in was not started in this browser or has expired; please start again', 400);
    const { user, next } = await finishUpstreamLogin(deps, provider, state, code, requestMeta(request).ip);
    await endSession(deps, readCookie(request, ctx.names.session));
    const { cookie } = await createSession(deps, user.id);
    return redirect(next, 303, [clear, sessionCookie(ctx, deps, cookie)]);
  });
}
