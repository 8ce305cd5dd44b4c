// GET /account and POST /account/revoke: the signed-in person sees the apps and devices that hold access
// (remembered consent, live refresh-token families) and revokes each — a whole app, or one session.
import { Elysia } from 'elysia';
import { AccountPage, type AccountApp } from '../../../templates/account.tsx';
import { nowS } from '../../clock.ts';
import type { Deps } from '../../domain/deps.ts';
import { DEVICE_GRANT } from '../../domain/grant-types.ts';
import { revokeFamily } from '../../domain/tokens.ts';
import { requestMeta } from '../context.ts';
import { pageContext, postedForm, redirect, type PageContext } from '../page-context.ts';
import { queryParams, type ParamSpec } from '../params.ts';
import { asPage } from './login.ts';

const REVOKE_FORM: ParamSpec = { csrf: { max: 64 }, client_id: { max: 2048 }, family_id: { max: 64 } };
const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);

async function accountPage(deps: Deps, ctx: PageContext, message?: string): Promise<Response> {
  const user = ctx.session!.user;
  const now = nowS(deps.clock);
  const apps = new Map<string, AccountApp>();
  const app = async (clientId: string) => {
    let a = apps.get(clientId);
    if (!a) {
      const c = await deps.store.clients.get(clientId);
      a = { clientId, clientName: c?.name ?? clientId, scope: '', consented: false, sessions: [] };
      apps.set(clientId, a);
    }
    return a;
  };
  for (const c of await deps.store.consents.listForUser(user.id)) {
    const a = await app(c.clientId);
    a.consented = true;
    a.scope = c.scope;
  }
  for (const f of await deps.store.refresh.listLiveFamiliesForUser(user.id, now)) {
    const a = await app(f.clientId);
    const client = await deps.store.clients.get(f.clientId);
    a.sessions.push({
      familyId: f.id,
      scope: f.scope,
      since: day(f.createdAt),
      until: day(f.expiresAt),
      device: !client?.redirectUris.length && !!client?.grantTypes.includes(DEVICE_GRANT),
    });
  }
  return ctx.render(AccountPage({ username: user.username, csrf: ctx.csrf, apps: [...apps.values()], message }));
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
        const user = ctx.session.user;
        const now = nowS(deps.clock);
        const ip = requestMeta(request).ip;
        const familyId = f.get('family_id');
        const clientId = f.get('client_id');
        if (familyId) {
          // Only one's own sessions: a foreign or unknown id changes nothing.
          const fam = await deps.store.refresh.getFamily(familyId);
          if (fam && fam.userId === user.id) {
            await revokeFamily(deps, fam.id, now);
            deps.audit.record('refresh.family_revoked', { userId: user.id, clientId: fam.clientId, ip, details: { reason: 'account', family_id: fam.id } });
          }
          return redirect('/account?done=session', 303);
        }
        if (clientId) {
          await deps.store.consents.remove(user.id, clientId);
          for (const fam of await deps.store.refresh.listLiveFamiliesForUser(user.id, now)) {
            if (fam.clientId === clientId) await revokeFamily(deps, fam.id, now);
          }
          deps.audit.record('consent.revoked', { userId: user.id, clientId, ip });
        }
        return redirect('/account?done=app', 303);
      }),
    );
}
