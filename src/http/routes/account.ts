// GET /account, POST /account/revoke and POST /account/password: the signed-in person sees their browsers
// and the apps and devices that hold access (remembered consent, live refresh-token families), signs each
// out or revokes a whole app, and changes their password.
import { Elysia, t } from 'elysia';
import { AccountPage, type AccountApp } from '../../../templates/account.tsx';
import {
  browserSessions,
  changeOwnPassword,
  connectedApps,
  endOwnBrowserSession,
  PasswordChangeRefused,
  revokeOwnApp,
  revokeOwnSession,
} from '../../domain/account.ts';
import type { Deps } from '../../domain/deps.ts';
import { TooManyRequests } from '../../domain/errors.ts';
import { requestMeta } from '../context.ts';
import * as input from '../input.ts';
import { param } from '../input.ts';
import { pages, redirect, type PageContext } from '../page-context.ts';

const RevokeForm = t.Object({ csrf: param(64), client_id: param(2048), family_id: param(64), session_id: param(64) });
const PasswordForm = t.Object({
  csrf: param(64),
  username: param(256),
  current_password: param(1024),
  new_password: param(1024),
  repeat_password: param(1024),
});
const when = (s: number) => `${new Date(s * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const DONE: Record<string, string> = {
  app: 'Access revoked.',
  session: 'Signed out of that session.',
  browser: 'That browser is signed out.',
  password: 'Password changed. Your other browsers are signed out.',
};

async function accountPage(deps: Deps, ctx: PageContext, extra: { message?: string; error?: string; status?: number } = {}): Promise<Response> {
  const { user, session } = ctx.session!;
  const apps: AccountApp[] = (await connectedApps(deps, user.id)).map((a) => ({
    ...a,
    lastUsed: a.lastUsed === null ? null : when(a.lastUsed),
    sessions: a.sessions.map((x) => ({ ...x, since: when(x.since), lastUsed: when(x.lastUsed) })),
  }));
  const browsers = (await browserSessions(deps, user.id, session.id)).map((b) => ({ ...b, since: when(b.since), lastUsed: when(b.lastUsed) }));
  const html = AccountPage({
    brand: ctx.brand,
    username: user.username,
    csrf: ctx.csrf,
    apps,
    browsers,
    hasPassword: !!user.passwordHash,
    message: extra.message,
    error: extra.error,
  });
  return ctx.render(html, extra.status ?? 200);
}

export function accountRoutes(deps: Deps) {
  const signIn = () => redirect(`/login?next=${encodeURIComponent('/account')}`, 303);
  return new Elysia({ name: 'account' })
    .use(pages(deps))
    .get(
      '/account',
      ({ page, query }) => {
        if (!page.session) return signIn();
        return accountPage(deps, page, { message: Object.hasOwn(DONE, query.done ?? '') ? DONE[query.done!] : undefined });
      },
      input.query(t.Object({ done: param(16) })),
    )
    .post(
      '/account/revoke',
      async ({ body, page, request }) => {
        if (!page.session) return signIn();
        const userId = page.session.user.id;
        const ip = requestMeta(request).ip;
        if (body.family_id) {
          await revokeOwnSession(deps, userId, body.family_id, ip);
          return redirect('/account?done=session', 303);
        }
        if (body.session_id) {
          // This browser signs out with the "Sign out of this browser" form (it clears the cookie too).
          if (body.session_id !== page.session.session.id) await endOwnBrowserSession(deps, userId, body.session_id, ip);
          return redirect('/account?done=browser', 303);
        }
        if (body.client_id) await revokeOwnApp(deps, userId, body.client_id, ip);
        return redirect('/account?done=app', 303);
      },
      input.form(RevokeForm),
    )
    .post(
      '/account/password',
      async ({ body, page, request }) => {
        if (!page.session) return signIn();
        try {
          await changeOwnPassword(deps, {
            user: page.session.user,
            sessionId: page.session.session.id,
            current: body.current_password ?? '',
            next: body.new_password ?? '',
            repeat: body.repeat_password ?? '',
            ip: requestMeta(request).ip,
          });
        } catch (e) {
          if (e instanceof PasswordChangeRefused) return accountPage(deps, page, { error: `Password not changed: ${e.message}.`, status: 400 });
          if (e instanceof TooManyRequests) {
            const res = await accountPage(deps, page, { error: e.description, status: 429 });
            res.headers.set('Retry-After', e.headers['Retry-After']!);
            return res;
          }
          throw e;
        }
        return redirect('/account?done=password#password', 303);
      },
      input.form(PasswordForm),
    );
}
