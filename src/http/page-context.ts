// What every page handler needs — the cookie names, the signed-in session (if any) and a CSRF token — as an
// Elysia `resolve` plugin: a page route reads `page` from its context. A POSTed form is CSRF-checked (token
// and Origin) here, before the handler runs, so no page action can skip it.
import { Elysia } from 'elysia';
import type { Deps } from '../domain/deps.ts';
import { validateSession, type ActiveSession } from '../domain/sessions.ts';
import { checkCsrf, cookieNames, csrfToken, readCookie, type CookieNames } from './cookies.ts';
import { page } from './render.ts';
import { brandKit, type BrandKit } from './brand.ts';
import type { Brand } from '../../templates/layout.tsx';

export interface PageContext {
  https: boolean;
  names: CookieNames;
  session: ActiveSession | null;
  csrf: string;
  brand: Brand;
  kit: BrandKit;
  /** Render HTML with the page headers (and the CSRF cookie when it was just minted). */
  render(html: string, status?: number, extra?: Record<string, string>): Response;
}

export async function pageContext(deps: Pick<Deps, 'config' | 'store' | 'clock'>, request: Request): Promise<PageContext> {
  const https = deps.config.baseUrl.startsWith('https:');
  const names = cookieNames(https);
  const session = await validateSession(deps, readCookie(request, names.session));
  const csrf = csrfToken(request, names, https);
  const kit = brandKit(deps.config);
  return {
    brand: kit.brand,
    kit,
    https,
    names,
    session,
    csrf: csrf.token,
    render(html, status = 200, extra = {}) {
      const res = page(kit, html, https, status, extra);
      if (csrf.setCookie) res.headers.append('Set-Cookie', csrf.setCookie);
      return res;
    },
  };
}

/**
 * The page context of every route of the plugin that uses this one; POSTs must carry the form's `csrf`,
 * except to `csrfExempt` routes (a request another site sends by design, RP-initiated logout).
 */
export function pages(deps: Pick<Deps, 'config' | 'store' | 'clock'>, opts: { csrfExempt?: string[] } = {}) {
  const exempt = new Set(opts.csrfExempt ?? []);
  return new Elysia().resolve({ as: 'scoped' }, async ({ request, body, route }) => {
    const ctx = await pageContext(deps, request);
    if (request.method === 'POST' && !exempt.has(route)) checkCsrf(request, ctx.names, (body as { csrf?: string } | undefined)?.csrf, deps.config.baseUrl);
    return { page: ctx };
  });
}

export function redirect(location: string, status = 303, cookies: string[] = []): Response {
  const res = new Response(null, { status, headers: { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } });
  for (const c of cookies) res.headers.append('Set-Cookie', c);
  return res;
}
