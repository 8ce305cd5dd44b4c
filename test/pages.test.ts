// Browser pages: sign-in, sessions, CSRF, login rate limit, escaping, security headers, open redirects.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { addClient, addUser, Browser, hiddenValue } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { rawQuery } from './helpers/db.ts';

let srv: TestServer;
let alice: Awaited<ReturnType<typeof addUser>>;
const CB = 'https://app.example/callback';

beforeAll(async () => {
  srv = await startTestServer({ LOGIN_RATE_LIMIT: '3', LOGIN_RATE_WINDOW: '10m' });
  alice = await addUser(srv, 'alice');
});
afterAll(() => srv.close());

describe('sign-in and sessions', () => {
  test('a session cookie is HttpOnly, SameSite=Lax, stored hashed; logout ends it', async () => {
    const b = new Browser(srv.base);
    const res = await b.login('alice', alice.password);
    expect(res.status).toBe(303);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('auth_session='))!;
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    const value = b.cookies.get('auth_session')!;
    const rows = (await rawQuery(srv.deps.store, 'SELECT hash FROM sessions')) as { hash: string }[];
    expect(rows.some((r) => r.hash.includes(value) || value.includes(r.hash))).toBe(false);
    const home = await (await b.get('/')).text();
    expect(home).toContain('Signed in as');
    const out = await b.post('/logout', { csrf: hiddenValue(home, 'csrf')! });
    expect(out.status).toBe(303);
    expect(await (await b.get('/')).text()).toContain('not signed in');
  });

  test('a wrong password shows the form again with 401 and no session', async () => {
    const b = new Browser(srv.base);
    const res = await b.login('alice', 'wrong password');
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('wrong user name or password');
    expect(b.cookies.has('auth_session')).toBe(false);
  });

  test('sessions end after SESSION_IDLE_TTL without use and after SESSION_TTL in any case', async () => {
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    srv.clock.advance(2 * 86400 + 1);
    expect(await (await b.get('/')).text()).toContain('not signed in');
    const c = new Browser(srv.base);
    await c.login('alice', alice.password);
    for (let i = 0; i < 15; i++) {
      srv.clock.advance(86400);
      await c.get('/');
    }
    expect(await (await c.get('/')).text()).toContain('not signed in');
  });

  test('signing in again replaces the session id (no fixation)', async () => {
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    const first = b.cookies.get('auth_session');
    const page = await (await b.get('/login?force=1')).text();
    await b.post('/login', { csrf: hiddenValue(page, 'csrf')!, username: 'alice', password: alice.password, next: '/' });
    expect(b.cookies.get('auth_session')).not.toBe(first);
  });
});

describe('CSRF', () => {
  test('forms without the CSRF token, with a wrong one, or from another origin are refused (403)', async () => {
    const b = new Browser(srv.base);
    const page = await (await b.get('/login')).text();
    const csrf = hiddenValue(page, 'csrf')!;
    expect((await b.post('/login', { username: 'alice', password: alice.password })).status).toBe(403);
    expect((await b.post('/login', { csrf: 'x'.repeat(43), username: 'alice', password: alice.password })).status).toBe(403);
    expect((await b.post('/login', { csrf, username: 'alice', password: alice.password }, { Origin: 'https://evil.example' })).status).toBe(403);
    const fresh = new Browser(srv.base); // no cookie at all
    expect((await fresh.post('/login', { csrf, username: 'alice', password: alice.password })).status).toBe(403);
    expect((await b.post('/login', { csrf, username: 'alice', password: alice.password })).status).toBe(303);
  });

  test('consent without a valid CSRF token is refused and issues no code', async () => {
    const c = await addClient(srv, { name: 'CSRF target', redirectUris: [CB] });
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    const page = await b.authorize({ response_type: 'code', client_id: c.client.id, redirect_uri: CB });
    const request = hiddenValue(await page.text(), 'request')!;
    const res = await b.post('/consent', { csrf: 'forged', request, decision: 'allow' });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    expect(await srv.deps.store.consents.get(alice.id, c.client.id, '')).toBeNull();
  });

  test('logout requires the CSRF token', async () => {
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    expect((await b.post('/logout', {})).status).toBe(403);
    expect(await (await b.get('/')).text()).toContain('Signed in as');
  });
});

describe('login rate limit', () => {
  test('failed sign-ins are limited per address: 429 with Retry-After, even with the right password', async () => {
    await addUser(srv, 'mallory-target', 'the right password');
    const b = new Browser(srv.base);
    for (let i = 0; i < 3; i++) expect((await b.login('mallory-target', `guess ${i}`)).status).toBe(401);
    const blocked = await b.login('mallory-target', 'the right password');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(srv.logs.some((l) => l.includes('login rate limited'))).toBe(true);
    srv.clock.advance(601);
    expect((await b.login('mallory-target', 'the right password')).status).toBe(303);
  });

  test('guesses from many addresses cannot lock the owner out: her right password from a clean address gets through', async () => {
    const s = await startTestServer({ TRUST_PROXY: 'true', LOGIN_RATE_LIMIT: '10', LOGIN_ACCOUNT_RATE_LIMIT: '5', LOGIN_RATE_WINDOW: '15m' });
    try {
      await addUser(s, 'alice', 'alice the right one');
      const from = (ip: string) => new Browser(s.base, { 'X-Forwarded-For': ip });
      // A distributed guesser: five addresses, one guess each, use up the account's budget.
      for (let i = 0; i < 5; i++) expect((await from(`203.0.113.${i}`).login('alice', `guess ${i}`)).status).toBe(401);
      // Past it, an address that has failed in the window is refused even with the right password…
      expect((await from('203.0.113.0').login('alice', 'alice the right one')).status).toBe(429);
      // …and each further guessing address gets one failure, then 429.
      expect((await from('198.51.100.7').login('alice', 'guess x')).status).toBe(401);
      expect((await from('198.51.100.7').login('alice', 'guess y')).status).toBe(429);
      // Alice, from her own address with no failures, signs in.
      expect((await from('192.0.2.55').login('alice', 'alice the right one')).status).toBe(303);
      // The account budget is not reset by her success: guessing stays throttled.
      expect((await from('198.51.100.7').login('alice', 'guess z')).status).toBe(429);
      const limited = s.logs.filter((l) => l.includes('login rate limited'));
      expect(limited.some((l) => l.includes('"limit":"account"'))).toBe(true);
      expect(limited.every((l) => !l.includes('alice'))).toBe(true);
      s.clock.advance(15 * 60 + 1);
      expect((await from('203.0.113.0').login('alice', 'alice the right one')).status).toBe(303);
    } finally {
      await s.close();
    }
  });

  test('a failed sign-in for a name that is no account writes a keyed hash, never the typed text, to the log and the audit', async () => {
    const s = await startTestServer();
    try {
      await addUser(s, 'bob', 'bob password!!');
      const typed = 'hunter2-my-secret-pass';
      expect((await new Browser(s.base).login(typed, 'x')).status).toBe(401);
      expect((await new Browser(s.base).login('bob', 'wrong')).status).toBe(401);
      await s.deps.audit.flush();
      const rows = await s.deps.store.audit.list({ since: 0, limit: 10 });
      const failures = rows.filter((r) => r.event === 'login.failure');
      expect(failures.length).toBe(2);
      expect(JSON.stringify(rows)).not.toContain(typed);
      expect(s.logs.join('\n')).not.toContain(typed);
      const unknown = failures.find((r) => r.userId === null)!;
      expect(unknown.details).toMatchObject({ account: 'unknown', method: 'password' });
      expect((unknown.details as { username_hash: string }).username_hash).toMatch(/^[0-9a-f]{16}$/);
      // An existing account is named: its id on the row, its name in the details.
      expect(failures.find((r) => r.userId !== null)!.details).toMatchObject({ username: 'bob' });
    } finally {
      await s.close();
    }
  });

  test('failed sign-ins are limited per IP across accounts', async () => {
    const ip = await startTestServer({ LOGIN_RATE_LIMIT: '2' });
    try {
      await addUser(ip, 'x1', 'password one');
      const b = new Browser(ip.base);
      expect((await b.login('nobody1', 'p')).status).toBe(401);
      expect((await b.login('nobody2', 'p')).status).toBe(401);
      expect((await b.login('x1', 'password one')).status).toBe(429);
    } finally {
      await ip.close();
    }
  });
});

describe('escaping and headers', () => {
  test('a hostile client name, scope text and resource are escaped on the consent page', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';
    const c = await addClient(srv, { name: evil, redirectUris: ['https://app.example/cb?<b>'] });
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    const res = await b.authorize({ response_type: 'code', client_id: c.client.id, redirect_uri: 'https://app.example/cb?<b>', state: '<script>' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
  });

  test('pages send CSP without inline script, frame-ancestors none, nosniff, no-referrer, no-store', async () => {
    const b = new Browser(srv.base);
    for (const path of ['/login', '/', '/authorize?client_id=nope']) {
      const res = await b.get(path);
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const html = await res.text();
      expect(html).not.toMatch(/<script>[^<]/); // no inline script
      expect(html).not.toMatch(/ on[a-z]+="/); // no inline handlers
    }
  });

  test('https issuer: Secure cookies with the __Host- prefix and HSTS', async () => {
    const tls = await startTestServer({ BASE_URL: 'https://auth.example' });
    try {
      const res = await fetch(`${tls.url}/login`, { headers: { Accept: 'text/html' } });
      expect(res.headers.get('strict-transport-security')).toContain('max-age');
      const c = res.headers.getSetCookie()[0]!;
      expect(c.startsWith('__Host-auth_csrf=')).toBe(true);
      expect(c).toContain('Secure');
    } finally {
      await tls.close();
    }
  });

  test('next= accepts only local paths (no open redirect after sign-in)', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const b = new Browser(srv.base);
      const res = await b.login('alice', alice.password, next);
      expect(res.headers.get('location')).toBe('/');
    }
  });
});
