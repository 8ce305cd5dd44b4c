// A spec-shaped test client: a browser with a cookie jar that follows redirects by hand, plus token,
// PKCE and seeding helpers. It talks to the real server over HTTP.
import { createClient, type NewClientInput } from '../../src/domain/clients.ts';
import { hashPassword } from '../../src/domain/passwords.ts';
import { randomId, randomToken } from '../../src/security/random.ts';
import { s256 } from '../../src/security/pkce.ts';
import { nowS } from '../../src/clock.ts';
import type { TestServer } from './server.ts';

export function pkcePair() {
  const verifier = randomToken(32);
  return { verifier, challenge: s256(verifier) };
}

export async function addUser(srv: TestServer, username: string, password = 'correct horse battery', extra: { email?: string } = {}) {
  const user = {
    id: randomId(),
    username,
    email: extra.email ?? null,
    emailVerified: extra.email !== undefined,
    passwordHash: await hashPassword(password),
    isAdmin: false,
    createdAt: nowS(srv.clock),
  };
  await srv.deps.store.users.insert(user);
  return { ...user, password };
}

export async function addClient(srv: TestServer, input: Partial<NewClientInput> = {}) {
  return createClient(srv.deps, {
    name: 'Test App',
    redirectUris: ['https://app.example/callback'],
    isPublic: false,
    grantTypes: ['authorization_code', 'refresh_token'],
    ...input,
  });
}

/** Extract a hidden input's value from HTML. */
export function hiddenValue(html: string, name: string): string | undefined {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return m?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}

export class Browser {
  cookies = new Map<string, string>();
  /** `headers` go on every request (X-Forwarded-For, to sign in from several addresses behind TRUST_PROXY). */
  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : this.base + path;
    const res = await fetch(url, { redirect: 'manual', headers: { Accept: 'text/html', Cookie: this.cookieHeader(), ...this.headers, ...headers } });
    this.remember(res);
    return res;
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(this.base + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html', Cookie: this.cookieHeader(), ...this.headers, ...headers },
      body: new URLSearchParams(form).toString(),
    });
    this.remember(res);
    return res;
  }

  /** Sign in with the local form; returns the response of the POST. */
  async login(username: string, password: string, next = '/'): Promise<Response> {
    const page = await this.get(`/login?next=${encodeURIComponent(next)}`);
    const html = await page.text();
    const csrf = hiddenValue(html, 'csrf');
    if (!csrf) throw new Error(`no csrf on login page (status ${page.status}): ${html.slice(0, 300)}`);
    return this.post('/login', { csrf, username, password, next });
  }

  /**
   * GET /authorize with `params`; follows redirects that stay on the server; returns the last response
   * (a redirect to the client, a consent page, a login page or an error page).
   */
  async authorize(params: Record<string, string | string[]>): Promise<Response> {
    const sp = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) sp.append(k, x);
    let res = await this.get(`/authorize?${sp}`);
    for (let i = 0; i < 5 && res.status >= 300 && res.status < 400; i++) {
      const loc = res.headers.get('location')!;
      if (!loc.startsWith('/') && !loc.startsWith(this.base)) return res;
      res = await this.get(loc);
    }
    return res;
  }

  /** On a consent page: press Allow or Deny. */
  async decide(consentPage: Response, decision: 'allow' | 'deny'): Promise<Response> {
    const html = await consentPage.text();
    const csrf = hiddenValue(html, 'csrf')!;
    const request = hiddenValue(html, 'request')!;
    return this.post('/consent', { csrf, request, decision });
  }
}

export function codeFrom(res: Response): { code: string; state: string | null; iss: string | null } {
  const loc = res.headers.get('location');
  if (!loc) throw new Error(`expected a redirect, got ${res.status}`);
  const u = new URL(loc);
  const code = u.searchParams.get('code');
  if (!code) throw new Error(`no code in ${loc}`);
  return { code, state: u.searchParams.get('state'), iss: u.searchParams.get('iss') };
}

export async function postForm(url: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}): Promise<Response> {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) sp.append(k, x);
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: sp.toString() });
}

export function basic(id: string, secret: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}
