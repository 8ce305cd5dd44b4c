// Pages: GET|POST /login, POST /logout, POST /login/:provider, GET /callback/:provider (and /callback for
// Google, as Deploys had). Every form is CSRF-checked (page-context.ts); errors are pages (error-handler.ts).
import type { Static } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import { LoginPage } from '../../../templates/login.tsx';
import type { Deps } from '../../domain/deps.ts';
import { OAuthError, TooManyRequests } from '../../domain/errors.ts';
import { finishUpstreamLogin, LoginFailed, loginWithPassword, safeNext, startUpstreamLogin } from '../../domain/login.ts';
import { createSession, endSession } from '../../domain/sessions.ts';
import { equalSecrets } from '../../security/compare.ts';
import { clearCookie, readCookie, setCookie } from '../cookies.ts';
import { originOf, requestMeta } from '../context.ts';
import * as input from '../input.ts';
import { param, segment } from '../input.ts';
import { pages, redirect, type PageContext } from '../page-context.ts';

const LoginForm = t.Object({ csrf: param(64), username: param(256), password: param(1024), next: param(4096) });
const ProviderForm = t.Object({ csrf: param(64), next: param(4096) });
const LogoutForm = t.Object({ csrf: param(64) });
const ProviderParams = t.Object({ provider: segment(32) });
const LoginQuery = t.Object({ next: param(4096), force: param(1), login_hint: param(256) });
const CallbackQuery = t.Object({
  state: param(128),
  code: param(4096),
  error: param(256),
  error_description: param(1024),
  iss: param(2048),
  scope: param(2048),
  authuser: param(16),
  prompt: param(64),
  hd: param(256),
});

/**
 * The application a sign-in continues to, when `next` is an authorization request: its name from the
 * store (a registered client, or a metadata-document client already fetched — never a fetch from here).
 */
async function continuingTo(deps: Deps, next: string): Promise<{ clientName?: string; forDevice?: boolean }> {
  if (next.startsWith('/device')) return { forDevice: true };
  if (!next.startsWith('/authorize?') && !next.startsWith('/?')) return {};
  const ids = new URLSearchParams(next.slice(next.indexOf('?') + 1)).getAll('client_id');
  if (ids.length !== 1 || ids[0]!.length > 2048) return {};
  const client = await deps.store.clients.get(ids[0]!);
  return client ? { clientName: client.name } : {};
}

async function loginPage(deps: Deps, ctx: PageContext, next: string, extra: { error?: string; username?: string; status?: number } = {}) {
  const html = LoginPage({
    ...(await continuingTo(deps, next)),
    brand: ctx.brand,
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
    .use(pages(deps))
    .get(
      '/login',
      ({ query, page }) => {
        const next = safeNext(query.next);
        if (page.session && query.force !== '1') return redirect(next);
        // OIDC login_hint prefills the user name (§3.1.2.1).
        return loginPage(deps, page, next, { username: query.login_hint });
      },
      input.query(LoginQuery),
    )
    .post(
      '/login',
      async ({ body, page, request }) => {
        const next = safeNext(body.next);
        const username = body.username ?? '';
        try {
          const user = await loginWithPassword(deps, { username, password: body.password ?? '', ip: requestMeta(request).ip });
          // A new session id at every sign-in (no session fixation).
          await endSession(deps, readCookie(request, page.names.session));
          const { cookie } = await createSession(deps, user.id, ['pwd'], originOf(request)); // RFC 8176 §2
          return redirect(next, 303, [sessionCookie(page, deps, cookie)]);
        } catch (e) {
          if (e instanceof LoginFailed) return loginPage(deps, page, next, { error: e.description, username, status: 401 });
          if (e instanceof TooManyRequests) {
            const res = await loginPage(deps, page, next, { error: e.description, username, status: 429 });
            res.headers.set('Retry-After', e.headers['Retry-After']!);
            return res;
          }
          throw e;
        }
      },
      input.form(LoginForm),
    )
    .post(
      '/logout',
      async ({ page, request }) => {
        await endSession(deps, readCookie(request, page.names.session));
        return redirect('/', 303, [clearCookie(page.names.session, page.https)]);
      },
      input.form(LogoutForm),
    )
    .post(
      '/login/:provider',
      async ({ body, page, params }) => {
        const { url, state } = await startUpstreamLogin(deps, params.provider, safeNext(body.next));
        // The state is also bound to this browser by a short-lived cookie (login CSRF defence).
        return redirect(url.toString(), 303, [setCookie(page.names.upstream, state, page.https, 600)]);
      },
      { ...input.form(ProviderForm), params: ProviderParams },
    )
    .get('/callback/:provider', ({ query, page, request, params }) => upstreamCallback(deps, request, page, query, params.provider), {
      ...input.query(CallbackQuery),
      params: ProviderParams,
    })
    .get('/callback', ({ query, page, request }) => upstreamCallback(deps, request, page, query, 'google'), input.query(CallbackQuery));
}

async function upstreamCallback(deps: Deps, request: Request, ctx: PageContext, q: Static<typeof CallbackQuery>, provider: string): Promise<Response> {
  const clear = clearCookie(ctx.names.upstream, ctx.https);
  if (q.error) throw new OAuthError('access_denied', 'sign-in was cancelled or refused by the provider', 400);
  const bound = readCookie(request, ctx.names.upstream);
  if (!q.state || !q.code || !bound || !equalSecrets(q.state, bound))
    throw new OAuthError('access_denied', 'this sign-in was not started in this browser or has expired; please start again', 400);
  const { user, next } = await finishUpstreamLogin(deps, provider, q.state, q.code, requestMeta(request).ip);
  await endSession(deps, readCookie(request, ctx.names.session));
  const { cookie } = await createSession(deps, user.id, null, originOf(request));
  return redirect(next, 303, [clear, sessionCookie(ctx, deps, cookie)]);
}
