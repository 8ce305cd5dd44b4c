// Cookies of the browser pages: session and CSRF. HttpOnly and SameSite=Lax always; Secure and the
// __Host- prefix when the issuer is https (so no subdomain can plant or read them).
import { AccessDenied } from '../domain/errors.ts';
import { equalSecrets } from '../security/compare.ts';
import { randomToken } from '../security/random.ts';

export interface CookieNames {
  session: string;
  csrf: string;
  upstream: string;
}

export function cookieNames(https: boolean): CookieNames {
  const p = https ? '__Host-' : '';
  return { session: `${p}auth_session`, csrf: `${p}auth_csrf`, upstream: `${p}auth_upstream` };
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return v.length > 0 && v.length <= 512 ? v : undefined;
    }
  }
  return undefined;
}

export function setCookie(name: string, value: string, https: boolean, maxAgeS?: number): string {
  let c = `${name}=${value}; Path=/; HttpOnly; SameSite=Lax`;
  if (https) c += '; Secure';
  if (maxAgeS !== undefined) c += `; Max-Age=${Math.max(0, Math.floor(maxAgeS))}`;
  return c;
}

export function clearCookie(name: string, https: boolean): string {
  return setCookie(name, '', https, 0);
}

/**
 * Double-submit CSRF token: a random value in an HttpOnly cookie, repeated in every form. Returns the
 * token to put in forms and the Set-Cookie header when a new one was minted.
 */
export function csrfToken(request: Request, names: CookieNames, https: boolean): { token: string; setCookie?: string } {
  const existing = readCookie(request, names.csrf);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { token: existing };
  const token = randomToken(32);
  return { token, setCookie: setCookie(names.csrf, token, https) };
}

/**
 * Check a form's CSRF token against the cookie in constant time, and the Origin header (when the browser
 * sends one) against the issuer. Failure → 403.
 */
export function checkCsrf(request: Request, names: CookieNames, formToken: string | undefined, issuer: string): void {
  const origin = request.headers.get('origin');
  if (origin && origin !== 'null' && origin !== new URL(issuer).origin) throw new AccessDenied('cross-origin form submission refused');
  const cookie = readCookie(request, names.csrf);
  if (!cookie || !formToken || !equalSecrets(cookie, formToken)) {
    throw new AccessDenied('the form expired or was not sent by this site; reload the page and try again');
  }
}
