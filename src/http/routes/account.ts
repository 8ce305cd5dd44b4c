// GET /account and POST /account/revoke: the signed-in person sees the apps and devices that hold access
// (remembered consent, live refresh-token families) and revokes each — a whole app, or one session.
import { Elysia } from 'elysia';
import { AccountPage, type AccountApp } from '../../../templates/account.tsx';
import { connectedApps, revokeOwnApp, revokeOwnSession } from '../../domain/account.ts';
import type { Deps } from '../../domain/deps.ts';
import { requestMeta } from '../context.ts';
import { pageContext, postedForm, redirect, type PageContext } from '../page-context.ts';
import { queryParams, type ParamSpec } from '../params.ts';
import { asPage } from './login.ts';

const REVOKE_FORM: ParamSpec = { csrf: { max: 64 }, client_id: { max: 2048 }, family_id: { max: 64 } };
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
  return new Elysia({ name: 'account' })
    .get('/account', ({ request }) =>
      asPage(deps, request, async () => {
        const ctx = await pageContext(deps, request);
        if (!ctx.session) return redirect(`/login?next=${encodeURIComponent('/account')}`, 303);
        const done = queryParams(request, { done: { max: 16 } }).get('done');
        return accountPage(deps, ctx, done === 'app' ? 'Access revoked.' : done === 'session' ? 'Signed out of that session.' : undefined);
      }),
    )
    .post('/account/revoke', ({ request }) =>
      asPage(deps, request, async () => {
        const { f, ctx } = await postedForm(deps, request, REVOKE_FORM);
        if (!ctx.session) return redirect(`/login?next=${encodeURIComponent('/account')}`, 303);
        const userId = ctx.session.user.id;
        const ip = requestMeta(request).ip;
        const familyId = f.get('family_id');
        const clientId = f.get('client_id');
        if (familyId) {
          await revokeOwnSession(deps, userId, familyId, ip);
          return redirect('/account?done=session', 303);
        }
        if (clientId) await revokeOwnApp(deps, userId, clientId, ip);
        return redirect('/account?done=app', 303);
      }),
    );
}
