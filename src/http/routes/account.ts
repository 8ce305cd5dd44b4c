// GET /account and POST /account/revoke: the signed-in person sees the apps and devices that hold access
// (remembered consent, live refresh-token families) and revokes each — a whole app, or one session.
import { Elysia, t } from 'elysia';
import { AccountPage, type AccountApp } from '../../../templates/account.tsx';
import { connectedApps, revokeOwnApp, revokeOwnSession } from '../../domain/account.ts';
import type { Deps } from '../../domain/deps.ts';
import { requestMeta } from '../context.ts';
import * as input from '../input.ts';
import { param } from '../input.ts';
import { pages, redirect, type PageContext } from '../page-context.ts';

const RevokeForm = t.Object({ csrf: param(64), client_id: param(2048), family_id: param(64) });
const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

async function accountPage(deps: Deps, ctx: PageContext, message?: string): Promise<Response> {
  const user = ctx.session!.user;
  const apps: AccountApp[] = (await connectedApps(deps, user.id)).map((a) => ({
    ...a,
    sessions: a.sessions.map((x) => ({ ...x, since: day(x.since), until: day(x.until) })),
  }));
  return ctx.render(AccountPage({ username: user.username, csrf: ctx.csrf, apps, message }));
}

export function accountRoutes(deps: Deps) {
  const signIn = () => redirect(`/login?next=${encodeURIComponent('/account')}`, 303);
  return new Elysia({ name: 'account' })
    .use(pages(deps))
    .get(
      '/account',
      ({ page, query }) => {
        if (!page.session) return signIn();
        return accountPage(deps, page, query.done === 'app' ? 'Access revoked.' : query.done === 'session' ? 'Signed out of that session.' : undefined);
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
        if (body.client_id) await revokeOwnApp(deps, userId, body.client_id, ip);
        return redirect('/account?done=app', 303);
      },
      input.form(RevokeForm),
    );
}
