// What every page handler needs: the cookie names, the signed-in session (if any) and a CSRF token.
import type { Deps } from '../domain/deps.ts';
import { validateSession, type ActiveSession } from '../domain/sessions.ts';
import { checkCsrf, cookieNames, csrfToken, readCookie, type CookieNames } from './cookies.ts';
import { formParams, type Params, type ParamSpec } from './params.ts';
import { page } from './render.ts';

export interface PageContext {
  https: boolean;
  names: CookieNames;
  session: ActiveSession | null;
  csrf: string;
  /** Render HTML with the page headers (and the CSRF cookie when it was just minted). */
  render(html: string, status?: number, extra?: Record<string, string>): Response;
}

export async function pageContext(deps: Deps, request: Request): Promise<PageContext> {
  const https = deps.config.baseUrl.startsWith('https:');
  const names = cookieNames(https);
  const session = await validateSession(deps, readCookie(request, names.session));
  const csrf = csrfToken(request, names, https);
  return {
    https,
    names,
    session,
    csrf: csrf.token,
    render(html, status = 200, extra = {}) {
      const res = page(html, https, status, extra);
      if (csrf.setCookie) res.headers.append('Set-Cookie', csrf.setCookie);
      return res;
    },
  };
}

/** A page's POSTed form: its fields (strict parsing), the page context, and the CSRF check (token and Origin). */
export async function postedForm(deps: Deps, request: Request, spec: ParamSpec): Promise<{ f: Params; ctx: PageContext }> {
  const f = await formParams(request, spec);
  const ctx = await pageContext(deps, request);
  checkCsrf(request, ctx.names, f.get('csrf'), deps.config.baseUrl);
  return { f, ctx };
}

export function redirect(location: string, status = 303, cookies: string[] = []): Response {
  const res = new Response(null, { status, headers: { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } });
  for (const c of cookies) res.headers.append('Set-Cookie', c);
  return res;
}
