// GET|POST /end-session (OpenID RP-Initiated Logout 1.0 §2–§3) and POST /end-session/confirm.
// A request whose id_token_hint names the signed-in user ends the session at once; any other asks the
// person first (a confirmation page, CSRF-checked). post_logout_redirect_uri must be registered for the
// client (exact match, §3) and the client must be known from the hint or client_id; otherwise an error
// page, never a redirect.
import { Elysia, t } from 'elysia';
import { EndSessionPage, SignedOutPage } from '../../../templates/end-session.tsx';
import type { Deps } from '../../domain/deps.ts';
import { InvalidRequest } from '../../domain/errors.ts';
import { subjectFor } from '../../domain/oidc.ts';
import { endSession } from '../../domain/sessions.ts';
import type { ClientRow } from '../../store/store.ts';
import { clearCookie, readCookie } from '../cookies.ts';
import * as input from '../input.ts';
import { param } from '../input.ts';
import { pages, redirect, type PageContext } from '../page-context.ts';

const EndSessionParams = t.Object({
  id_token_hint: param(8192),
  logout_hint: param(256),
  client_id: param(2048),
  post_logout_redirect_uri: param(2000),
  state: param(2048),
  ui_locales: param(256),
});
const ConfirmForm = t.Object({ csrf: param(64), client_id: param(2048), post_logout_redirect_uri: param(2000), state: param(2048), decision: param(8) });

interface LogoutRequest {
  client: ClientRow | null;
  /** The `sub` the id_token_hint names, when there was a valid one. */
  hintSubject?: string;
  redirectUri?: string;
  state?: string;
}

async function validate(
  deps: Deps,
  p: { id_token_hint?: string; client_id?: string; post_logout_redirect_uri?: string; state?: string },
): Promise<LogoutRequest> {
  let client: ClientRow | null = null;
  let hintSubject: string | undefined;
  if (p.id_token_hint) {
    // Ours, expired or not (§2: "the OP need not be concerned with the expiry of the ID token").
    const claims = await deps.keys.verifyIdTokenHint(p.id_token_hint);
    if (!claims) throw new InvalidRequest('id_token_hint is not an ID token issued by this server');
    const aud = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
    client = aud ? await deps.store.clients.get(aud) : null;
    hintSubject = claims.sub;
  }
  if (p.client_id) {
    if (client && client.id !== p.client_id) throw new InvalidRequest('client_id is not the audience of id_token_hint');
    client ??= await deps.store.clients.get(p.client_id);
    if (!client) throw new InvalidRequest('unknown client_id');
  }
  if (p.post_logout_redirect_uri) {
    // §3: only a URI registered for the client, compared exactly; the client must be identified.
    if (!client) throw new InvalidRequest('post_logout_redirect_uri needs id_token_hint or client_id');
    const registered = Array.isArray(client.metadata.post_logout_redirect_uris) ? (client.metadata.post_logout_redirect_uris as string[]) : [];
    if (!registered.includes(p.post_logout_redirect_uri)) throw new InvalidRequest('post_logout_redirect_uri is not registered for this client');
  }
  return { client, hintSubject, redirectUri: p.post_logout_redirect_uri, state: p.state };
}

/** After the session ended (or there was none): back to the client with `state`, or the signed-out page. */
function done(page: PageContext, r: LogoutRequest, cookies: string[]): Response {
  if (r.redirectUri) {
    const url = new URL(r.redirectUri);
    if (r.state !== undefined) url.searchParams.set('state', r.state);
    return redirect(url.toString(), 303, cookies);
  }
  const res = page.render(SignedOutPage({ brand: page.brand }));
  for (const c of cookies) res.headers.append('Set-Cookie', c);
  return res;
}

export function endSessionRoutes(deps: Deps) {
  const end = async (request: Request, page: PageContext): Promise<string[]> => {
    await endSession(deps, readCookie(request, page.names.session));
    return [clearCookie(page.names.session, page.https)];
  };
  const handle = async (request: Request, page: PageContext, p: Parameters<typeof validate>[1]) => {
    const r = await validate(deps, p);
    if (!page.session) return done(page, r, []);
    const sameUser = r.hintSubject !== undefined && r.client && r.hintSubject === subjectFor(deps.config, r.client, page.session.user.id);
    if (sameUser) return done(page, r, await end(request, page));
    return page.render(
      EndSessionPage({
        brand: page.brand,
        csrf: page.csrf,
        username: page.session.user.username,
        clientName: r.client?.name ?? null,
        clientId: r.client?.id ?? '',
        postLogoutRedirectUri: r.redirectUri ?? '',
        state: r.state ?? '',
      }),
    );
  };
  return (
    new Elysia({ name: 'end-session' })
      // The relying party's POST carries no CSRF token of ours: it is the logout request itself.
      .use(pages(deps, { csrfExempt: ['/end-session'] }))
      .get('/end-session', ({ request, page, query }) => handle(request, page, query), input.query(EndSessionParams))
      .post('/end-session', ({ request, page, body }) => handle(request, page, body), input.form(EndSessionParams))
      .post(
        '/end-session/confirm',
        async ({ request, page, body }) => {
          const r = await validate(deps, body);
          if (body.decision !== 'logout') return redirect('/', 303);
          return done(page, r, page.session ? await end(request, page) : []);
        },
        input.form(ConfirmForm),
      )
  );
}
