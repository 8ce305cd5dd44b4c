// The admin console: /admin (dashboard), /admin/clients[/new|/:id], /admin/users[/new|/:id], /admin/keys,
// /admin/audit (and /admin/audit.csv). For users with the admin role: signed-out visitors go to the
// sign-in page (and come back), others get 403. Every form is CSRF-checked (page-context.ts), every action
// audited with the acting admin; removing a user, rotating keys and making an admin need a sign-in within
// the last 10 minutes.
import type { Static } from '@sinclair/typebox';
import { Elysia, t } from 'elysia';
import {
  AuditPage,
  ClientNewPage,
  ClientPage,
  ClientsPage,
  type ClientView,
  DashboardPage,
  KeysPage,
  UserNewPage,
  UserPage,
  UsersPage,
  type UserView,
} from '../../../templates/admin.tsx';
import { nowS } from '../../clock.ts';
import { connectedApps, revokeOwnApp, revokeOwnSession } from '../../domain/account.ts';
import { AUDIT_EVENTS, auditCsv, dashboard, describeDetails, PAGE_SIZE, parseWhen, searchAudit, searchClients, searchUsers } from '../../domain/admin.ts';
import { ClientInputError, createClient, removeClient, rotateClientSecret, updateClient } from '../../domain/clients.ts';
import type { Deps } from '../../domain/deps.ts';
import { NotFound, OAuthError } from '../../domain/errors.ts';
import { rotateSigningKey } from '../../domain/keys.ts';
import { createUser, passwordLink, removeUser, setAdmin, setDisabled, UserInputError } from '../../domain/users.ts';
import type { ClientRow, UserRow } from '../../store/store.ts';
import { requestMeta } from '../context.ts';
import * as input from '../input.ts';
import { multiline, param, repeated, segment } from '../input.ts';
import { type PageContext, pages, redirect } from '../page-context.ts';

/** How recent a sign-in must be for the most dangerous actions. */
const REAUTH_S = 600;
const INVITE_TTL_S = 24 * 3600;
const RESET_TTL_S = 3600;

const ListQuery = t.Object({ q: param(200), page: param(6), done: param(32) });
const IdParams = t.Object({ id: segment(200) });
const DetailQuery = t.Object({ remove: param(1), done: param(32) });
const ClientForm = t.Object({
  csrf: param(64),
  name: param(200),
  redirect_uris: multiline(20_000),
  grant_types: repeated(128),
  scopes: param(2000),
  first_party: param(1),
  public: param(1),
});
const UserForm = t.Object({ csrf: param(64), username: param(64), email: param(320), admin: param(1) });
const CsrfOnly = t.Object({ csrf: param(64) });
const ConfirmForm = t.Object({ csrf: param(64), confirm: param(3) });
const FlagForm = t.Object({ csrf: param(64), admin: param(1), disabled: param(1) });
const RevokeForm = t.Object({ csrf: param(64), family_id: param(64), client_id: param(2048) });
const AuditQuery = t.Object({ user: param(64), client: param(2048), event: param(64), since: param(32), until: param(32), page: param(6) });

const MESSAGES: Record<string, string> = {
  saved: 'Saved.',
  removed: 'Removed.',
  revoked: 'Revoked.',
  rotated: 'New signing keys are in use; the old ones stay published until their tokens expire.',
  admin: 'Role changed.',
  disabled: 'Account disabled: its sessions and tokens have ended.',
  enabled: 'Account enabled.',
};

const pageNumber = (v: string | undefined) => Math.max(1, Math.min(100_000, Number.parseInt(v ?? '1', 10) || 1));
const lines = (v: string | undefined) =>
  (v ?? '')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);

/** A client form's fields as client settings. */
function clientValues(body: Static<typeof ClientForm>) {
  return {
    name: body.name ?? '',
    redirectUris: lines(body.redirect_uris),
    grantTypes: body.grant_types ?? [],
    scopes: (body.scopes ?? '').split(/\s+/).filter(Boolean),
    firstParty: body.first_party === '1',
  };
}

function clientView(c: ClientRow): ClientView {
  return {
    id: c.id,
    name: c.name,
    origin: c.origin,
    redirectUris: c.redirectUris,
    grantTypes: c.grantTypes,
    scopes: c.scopes,
    firstParty: c.firstParty,
    authMethod: c.tokenEndpointAuthMethod,
    lastUsedAt: c.lastUsedAt,
    createdAt: c.createdAt,
  };
}

function userView(u: UserRow): UserView {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    isAdmin: u.isAdmin,
    disabled: !!u.disabledAt,
    hasPassword: u.passwordHash !== null,
    createdAt: u.createdAt,
  };
}

export function adminRoutes(deps: Deps) {
  /** The admin of this request (the gate below has checked there is one). */
  const adminOf = (page: PageContext) => page.session!.user;
  const ctx = (page: PageContext, extra: { message?: string; error?: string } = {}) => ({
    brand: page.brand,
    admin: adminOf(page).username,
    csrf: page.csrf,
    ...extra,
  });
  /** A sign-in within the last 10 minutes, or the sign-in page (then back to `back`). */
  const recent = (page: PageContext, back: string): Response | null =>
    nowS(deps.clock) - page.session!.session.authTime <= REAUTH_S ? null : redirect(`/login?force=1&next=${encodeURIComponent(back)}`, 303);
  const clientOr404 = async (id: string) => {
    const c = await deps.store.clients.get(id);
    if (!c) throw new NotFound('no such client');
    return c;
  };
  const userOr404 = async (id: string) => {
    const u = await deps.store.users.get(id);
    if (!u) throw new NotFound('no such user');
    return u;
  };
  const userPage = async (page: PageContext, user: UserRow, extra: Parameters<typeof UserPage>[0] extends infer P ? Partial<P> : never = {}) => {
    const apps = await connectedApps(deps, user.id);
    return page.render(
      UserPage({
        ...ctx(page),
        ...extra,
        user: userView(user),
        apps: apps.map((a) => ({
          clientId: a.clientId,
          clientName: a.clientName,
          scope: a.scope,
          sessions: a.sessions.map((s) => ({ familyId: s.familyId, clientName: a.clientName, clientId: a.clientId, since: s.since, until: s.until })),
        })),
      }),
    );
  };

  return (
    new Elysia({ name: 'admin' })
      .use(pages(deps))
      // The gate of every route below: signed in (else the sign-in page, then back here) and an admin (else 403).
      .onBeforeHandle({ as: 'local' }, ({ page, request }) => {
        if (!page.session) {
          const u = new URL(request.url);
          const back = request.method === 'GET' ? u.pathname + u.search : '/admin';
          return redirect(`/login?next=${encodeURIComponent(back)}`, 303);
        }
        if (!page.session.user.isAdmin) throw new OAuthError('access_denied', 'this page is for administrators', 403);
      })
      .get('/admin', async ({ page }) => page.render(DashboardPage({ ...ctx(page), ...(await dashboard(deps)) })))

      // ------------------------------------------------------------ clients
      .get(
        '/admin/clients',
        async ({ page, query }) => {
          const n = pageNumber(query.page);
          const { items, hasNext } = await searchClients(deps, query.q ?? '', n);
          return page.render(
            ClientsPage({ ...ctx(page, { message: MESSAGES[query.done ?? ''] }), q: query.q ?? '', page: n, hasNext, clients: items.map(clientView) }),
          );
        },
        input.query(ListQuery),
      )
      .get('/admin/clients/new', ({ page }) => page.render(ClientNewPage(ctx(page))))
      .post(
        '/admin/clients',
        async ({ page, body }) => {
          const values = clientValues(body);
          try {
            const { client, secret } = await createClient(deps, { ...values, isPublic: body.public === '1' }, adminOf(page).username);
            return page.render(ClientPage({ ...ctx(page, { message: 'Client created.' }), client: clientView(client), secret: secret ?? undefined }), 201);
          } catch (e) {
            if (!(e instanceof ClientInputError)) throw e;
            return page.render(ClientNewPage({ ...ctx(page, { error: e.message }), values }), 400);
          }
        },
        input.form(ClientForm),
      )
      .get(
        '/admin/clients/:id',
        async ({ page, params, query }) => {
          const c = await clientOr404(params.id);
          return page.render(ClientPage({ ...ctx(page, { message: MESSAGES[query.done ?? ''] }), client: clientView(c), confirmRemove: query.remove === '1' }));
        },
        { ...input.query(DetailQuery), params: IdParams },
      )
      .post(
        '/admin/clients/:id',
        async ({ page, params, body }) => {
          const c = await clientOr404(params.id);
          const values = clientValues(body);
          try {
            await updateClient(deps, c, values, adminOf(page).username);
          } catch (e) {
            if (!(e instanceof ClientInputError)) throw e;
            return page.render(ClientPage({ ...ctx(page, { error: e.message }), client: { ...clientView(c), ...values } }), 400);
          }
          return redirect(`/admin/clients/${encodeURIComponent(c.id)}?done=saved`);
        },
        { ...input.form(ClientForm), params: IdParams },
      )
      .post(
        '/admin/clients/:id/rotate-secret',
        async ({ page, params }) => {
          const c = await clientOr404(params.id);
          let secret: string | null;
          try {
            secret = await rotateClientSecret(deps, c.id);
          } catch (e) {
            if (!(e instanceof ClientInputError)) throw e;
            return page.render(ClientPage({ ...ctx(page, { error: e.message }), client: clientView(c) }), 400);
          }
          return page.render(
            ClientPage({ ...ctx(page, { message: 'New secret; the old one no longer works.' }), client: clientView(c), secret: secret ?? undefined }),
          );
        },
        { ...input.form(CsrfOnly), params: IdParams },
      )
      .post(
        '/admin/clients/:id/remove',
        async ({ page, params, body }) => {
          const c = await clientOr404(params.id);
          // A confirmation step: the form of `?remove=1` carries confirm=yes.
          if (body.confirm !== 'yes') return redirect(`/admin/clients/${encodeURIComponent(c.id)}?remove=1`);
          await removeClient(deps, c.id, adminOf(page).username);
          return redirect('/admin/clients?done=removed');
        },
        { ...input.form(ConfirmForm), params: IdParams },
      )

      // ------------------------------------------------------------ users
      .get(
        '/admin/users',
        async ({ page, query }) => {
          const n = pageNumber(query.page);
          const { items, hasNext } = await searchUsers(deps, query.q ?? '', n);
          return page.render(
            UsersPage({ ...ctx(page, { message: MESSAGES[query.done ?? ''] }), q: query.q ?? '', page: n, hasNext, users: items.map(userView) }),
          );
        },
        input.query(ListQuery),
      )
      .get('/admin/users/new', ({ page }) => page.render(UserNewPage(ctx(page))))
      .post(
        '/admin/users',
        async ({ page, body }) => {
          const values = { username: body.username ?? '', email: body.email };
          const actor = adminOf(page).username;
          if (body.admin === '1') {
            const stale = recent(page, '/admin/users/new');
            if (stale) return stale;
          }
          try {
            const user = await createUser(deps, { username: values.username, email: values.email, isAdmin: body.admin === '1' }, actor);
            const link = await passwordLink(deps, user, INVITE_TTL_S, actor);
            return userPage(page, user, { message: 'User created. Send them this invitation link.', link: { url: link.link, expiresAt: link.expiresAt } });
          } catch (e) {
            if (!(e instanceof UserInputError)) throw e;
            return page.render(UserNewPage({ ...ctx(page, { error: e.message }), values }), 400);
          }
        },
        input.form(UserForm),
      )
      .get(
        '/admin/users/:id',
        async ({ page, params, query }) => {
          const u = await userOr404(params.id);
          return userPage(page, u, { message: MESSAGES[query.done ?? ''], confirmRemove: query.remove === '1' });
        },
        { ...input.query(DetailQuery), params: IdParams },
      )
      .post(
        '/admin/users/:id/link',
        async ({ page, params }) => {
          const u = await userOr404(params.id);
          const invite = u.passwordHash === null;
          const link = await passwordLink(deps, u, invite ? INVITE_TTL_S : RESET_TTL_S, adminOf(page).username);
          return userPage(page, u, {
            message: invite ? 'Invitation link: it lets them choose a password, once.' : 'Reset link: it sets a new password, once.',
            link: { url: link.link, expiresAt: link.expiresAt },
          });
        },
        { ...input.form(CsrfOnly), params: IdParams },
      )
      .post(
        '/admin/users/:id/admin',
        async ({ page, params, body }) => {
          const u = await userOr404(params.id);
          const back = `/admin/users/${encodeURIComponent(u.id)}`;
          const makeAdmin = body.admin === '1';
          if (makeAdmin) {
            const stale = recent(page, back);
            if (stale) return stale;
          }
          if (!makeAdmin && u.id === adminOf(page).id) return userPage(page, u, { error: 'You cannot remove your own admin role.' });
          await setAdmin(deps, u, makeAdmin, adminOf(page).username);
          return redirect(`${back}?done=admin`);
        },
        { ...input.form(FlagForm), params: IdParams },
      )
      .post(
        '/admin/users/:id/disabled',
        async ({ page, params, body }) => {
          const u = await userOr404(params.id);
          const disable = body.disabled === '1';
          if (disable && u.id === adminOf(page).id) return userPage(page, u, { error: 'You cannot disable your own account.' });
          await setDisabled(deps, u, disable, adminOf(page).username);
          return redirect(`/admin/users/${encodeURIComponent(u.id)}?done=${disable ? 'disabled' : 'enabled'}`);
        },
        { ...input.form(FlagForm), params: IdParams },
      )
      .post(
        '/admin/users/:id/remove',
        async ({ page, params, body }) => {
          const u = await userOr404(params.id);
          const back = `/admin/users/${encodeURIComponent(u.id)}?remove=1`;
          if (body.confirm !== 'yes') return redirect(back);
          const stale = recent(page, back);
          if (stale) return stale;
          if (u.id === adminOf(page).id) return userPage(page, u, { error: 'You cannot remove your own account.' });
          await removeUser(deps, u, adminOf(page).username);
          return redirect('/admin/users?done=removed');
        },
        { ...input.form(ConfirmForm), params: IdParams },
      )
      .post(
        '/admin/users/:id/revoke',
        async ({ page, params, body, request }) => {
          const u = await userOr404(params.id);
          const ip = requestMeta(request).ip;
          if (body.family_id) await revokeOwnSession(deps, u.id, body.family_id, ip);
          else if (body.client_id) await revokeOwnApp(deps, u.id, body.client_id, ip);
          deps.audit.record('session.revoked', {
            userId: u.id,
            clientId: body.client_id ?? null,
            ip,
            details: { ...(body.family_id ? { family_id: body.family_id } : {}), actor: adminOf(page).username },
          });
          return redirect(`/admin/users/${encodeURIComponent(u.id)}?done=revoked`);
        },
        { ...input.form(RevokeForm), params: IdParams },
      )

      // ------------------------------------------------------------ keys
      .get(
        '/admin/keys',
        async ({ page, query }) => {
          const keys = await deps.store.keys.listPublished(nowS(deps.clock));
          return page.render(
            KeysPage({
              ...ctx(page, { message: MESSAGES[query.done ?? ''] }),
              keys: keys.map((k) => ({ kid: k.kid, alg: k.alg, signing: k.retiredAt === null, createdAt: k.createdAt, expiresAt: k.expiresAt })),
            }),
          );
        },
        input.query(t.Object({ done: param(32) })),
      )
      .post(
        '/admin/keys/rotate',
        async ({ page }) => {
          const stale = recent(page, '/admin/keys');
          if (stale) return stale;
          for (const alg of [deps.config.signingAlg, 'RS256'] as const) {
            const row = await rotateSigningKey(deps.store, deps.clock, alg, deps.config.accessTokenTtl);
            deps.audit.record('key.rotated', { details: { kid: row.kid, alg: row.alg, actor: adminOf(page).username } });
          }
          await deps.keys.load(deps.config.signingAlg); // this instance at once; the others within 30 s
          return redirect('/admin/keys?done=rotated');
        },
        input.form(CsrfOnly),
      )

      // ------------------------------------------------------------ audit
      .get(
        '/admin/audit',
        async ({ page, query }) => {
          const f = await auditFilter(deps, query);
          const n = pageNumber(query.page);
          const names = new Map((await deps.store.users.list()).map((u) => [u.id, u.username]));
          const { rows, hasNext } = f.error ? { rows: [], hasNext: false } : await searchAudit(deps, { ...f.query, offset: (n - 1) * PAGE_SIZE });
          const keep = new URLSearchParams(Object.entries({ ...f.form }).filter(([, v]) => v));
          return page.render(
            AuditPage({
              ...ctx(page, { error: f.error }),
              filter: f.form,
              events: AUDIT_EVENTS,
              rows: rows.map((r) => ({
                time: r.time,
                event: r.event,
                user: r.userId ? (names.get(r.userId) ?? r.userId) : '',
                client: r.clientId ?? '',
                ip: r.ip ?? '',
                details: describeDetails(r),
                count: r.count,
              })),
              page: n,
              hasNext,
              query: keep.toString(),
            }),
          );
        },
        input.query(AuditQuery),
      )
      .get(
        '/admin/audit.csv',
        async ({ query }) => {
          const f = await auditFilter(deps, query);
          if (f.error) throw new OAuthError('invalid_request', f.error);
          const { rows } = await searchAudit(deps, { ...f.query, limit: 100_000 });
          const names = new Map((await deps.store.users.list()).map((u) => [u.id, u.username]));
          return new Response(auditCsv(rows, names), {
            headers: {
              'Content-Type': 'text/csv; charset=utf-8',
              'Content-Disposition': 'attachment; filename="audit.csv"',
              'Cache-Control': 'no-store',
              'X-Content-Type-Options': 'nosniff',
            },
          });
        },
        input.query(AuditQuery),
      )
  );
}

/** The audit page's filters: by user name, client id, event and time (UTC dates); 7 days by default. */
async function auditFilter(deps: Pick<Deps, 'clock' | 'store'>, q: { user?: string; client?: string; event?: string; since?: string; until?: string }) {
  const form = { user: q.user ?? '', client: q.client ?? '', event: q.event ?? '', since: q.since ?? '', until: q.until ?? '' };
  const since = parseWhen(form.since);
  const until = parseWhen(form.until);
  if (since === null || until === null) return { form, error: 'Dates are YYYY-MM-DD or YYYY-MM-DD HH:MM (UTC).', query: { since: 0 } };
  let userId: string | undefined;
  if (form.user) {
    const u = await deps.store.users.getByUsername(form.user);
    userId = u?.id ?? `unknown:${form.user}`; // matches nothing
  }
  if (form.event && !(AUDIT_EVENTS as readonly string[]).includes(form.event)) return { form, error: 'Unknown event.', query: { since: 0 } };
  return {
    form,
    error: undefined,
    query: {
      since: since ?? nowS(deps.clock) - 7 * 86400,
      ...(until !== undefined ? { until } : {}),
      ...(userId ? { userId } : {}),
      ...(form.client ? { clientId: form.client } : {}),
      ...(form.event ? { event: form.event } : {}),
    },
  };
}
