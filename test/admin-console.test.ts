/// <reference lib="dom" />
// The admin console (issue 21) in a real headless Chromium: every action end to end through its forms,
// without JavaScript where it matters, plus the gate (sign-in, 403), CSRF refusal, re-authentication and
// hostile names, over real HTTP against the server.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { addClient, addUser, basic, codeFrom, Browser as HttpBrowser, hiddenValue, pkcePair, postForm } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const HOSTILE = `<img src=x onerror=alert(1)> \u202Eevil\u202C ${'W'.repeat(80)} ${'long name '.repeat(6)}end`;
let srv: TestServer;
let browser: Browser;
let admin: Awaited<ReturnType<typeof addUser>>;
let shots: string;

beforeAll(async () => {
  srv = await startTestServer();
  browser = await launchChromium();
  admin = await addUser(srv, 'root', 'admin password here', { email: 'root@example.com' });
  await srv.deps.store.users.setAdmin(admin.id, true);
  shots = process.env.SCREENSHOT_DIR ?? srv.dir;
});
afterAll(async () => {
  await browser.close();
  await srv.close();
});

/** A Chromium page signed in as `who`, having asked for `next` first (the console sends strangers to sign in). */
async function signedIn(next = '/admin', who = { username: 'root', password: 'admin password here' }, width = 1280): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(srv.base + next);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('#username', who.username);
  await page.fill('#password', who.password);
  await page.click('button[type=submit]');
  await page.waitForLoadState();
  return page;
}

/** A signed-in user's refresh token for `app` (code flow with PKCE over HTTP). */
async function grantFor(b: HttpBrowser, app: Awaited<ReturnType<typeof addClient>>): Promise<string> {
  const { verifier, challenge } = pkcePair();
  const { code } = codeFrom(
    await b.authorize({
      response_type: 'code',
      client_id: app.client.id,
      redirect_uri: 'https://app.example/callback',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }),
  );
  const res = await postForm(
    `${srv.base}/token`,
    { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/callback', code_verifier: verifier },
    basic(app.client.id, app.secret!),
  );
  return ((await res.json()) as { refresh_token: string }).refresh_token;
}

const noSideScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

describe('admin console in Chromium', () => {
  test('signing in with next=/admin lands on the dashboard with counts and the 24-hour chart', async () => {
    const page = await signedIn('/admin');
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect(await page.title()).toBe('Dashboard · Admin · auth');
    const text = await page.textContent('main');
    expect(text).toMatch(/\d+\s*users/);
    expect(text).toContain('live sessions');
    expect(await page.locator('svg.chart rect').count()).toBe(48);
    await page.screenshot({ path: `${shots}/admin-dashboard.png`, fullPage: true });
    await page.context().close();
  });

  test('clients: create (secret shown once), edit, rotate the secret, remove after a confirmation', async () => {
    const page = await signedIn('/admin/clients/new');
    await page.fill('#name', HOSTILE);
    await page.fill('#redirect_uris', 'https://hostile.example/cb');
    await page.check('input[name=first_party]');
    await page.click('button:has-text("Create client")');
    const secret = await page.textContent('.shown-once code');
    expect(secret).toStartWith('cs_');
    // The name is text, never markup: no <img> was created from it.
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.textContent('h1')).toBe(HOSTILE);
    const id = (await page.textContent('main p.muted code'))!;
    const stored = await srv.deps.store.clients.get(id);
    expect(stored).toMatchObject({ name: HOSTILE, redirectUris: ['https://hostile.example/cb'], firstParty: true, origin: 'operator' });
    expect(stored!.secretHash).not.toBeNull();

    // Edit: another redirect URI and the client_credentials grant.
    await page.goto(`${srv.base}/admin/clients/${id}`);
    await page.fill('#redirect_uris', 'https://hostile.example/cb\nhttps://hostile.example/other');
    await page.check('input[value=client_credentials]');
    await page.click('button:has-text("Save")');
    await page.waitForSelector('text=Saved.');
    expect((await srv.deps.store.clients.get(id))!.redirectUris).toEqual(['https://hostile.example/cb', 'https://hostile.example/other']);
    expect((await srv.deps.store.clients.get(id))!.grantTypes).toContain('client_credentials');
    // A bad redirect URI is refused with the reason, and nothing changes.
    await page.fill('#redirect_uris', 'http://not-loopback.example/cb');
    await page.click('button:has-text("Save")');
    expect(await page.textContent('[role=alert]')).toContain('invalid redirect URI');
    expect((await srv.deps.store.clients.get(id))!.redirectUris).toHaveLength(2);

    await page.goto(`${srv.base}/admin/clients/${id}`);
    await page.click('button:has-text("Rotate secret")');
    const rotated = await page.textContent('.shown-once code');
    expect(rotated).toStartWith('cs_');
    expect(rotated).not.toBe(secret);

    await page.click('a:has-text("Remove…")');
    await page.click('button:has-text("Remove client")');
    await page.waitForSelector('text=Removed.');
    expect(await srv.deps.store.clients.get(id)).toBeNull();
    await page.context().close();
  });

  test('users: create with an invitation link, make admin, disable (sessions end), enable, remove after a confirmation', async () => {
    const page = await signedIn('/admin/users/new');
    await page.fill('#username', 'newbie');
    await page.fill('#email', 'newbie@example.com');
    await page.click('button:has-text("Create user")');
    const link = (await page.textContent('.shown-once code'))!;
    expect(link).toContain('/set-password/');
    expect(link).toContain('#t=');
    const user = (await srv.deps.store.users.getByUsername('newbie'))!;
    expect(user).toMatchObject({ email: 'newbie@example.com', isAdmin: false, passwordHash: null });

    await page.click('button:has-text("Make admin")');
    await page.waitForSelector('text=Role changed.');
    expect((await srv.deps.store.users.get(user.id))!.isAdmin).toBe(true);
    await page.click('button:has-text("Remove admin role")');
    await page.waitForSelector('text=Role changed.');
    expect((await srv.deps.store.users.get(user.id))!.isAdmin).toBe(false);

    // A user with a live session and a grant, disabled: both end at once, and sign-in is refused.
    const victim = await addUser(srv, 'victim', 'victim password');
    const app = await addClient(srv, { firstParty: true });
    const other = new HttpBrowser(srv.base);
    await other.login('victim', victim.password);
    expect((await other.get('/account')).status).toBe(200);
    const tokens = { refresh_token: await grantFor(other, app) };
    await page.goto(`${srv.base}/admin/users/${victim.id}`);
    expect(await page.textContent('main')).toContain(app.client.name);
    await page.click('button:has-text("Disable")');
    await page.waitForSelector('text=Account disabled');
    expect((await other.get('/account')).headers.get('location')).toStartWith('/login');
    const refresh = await postForm(
      `${srv.base}/token`,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      basic(app.client.id, app.secret!),
    );
    expect(refresh.status).toBe(400);
    const again = await new HttpBrowser(srv.base).login('victim', victim.password);
    expect(again.status).toBe(401);
    expect(await again.text()).toContain('disabled');
    await page.click('button:has-text("Enable")');
    await page.waitForSelector('text=Account enabled.');
    expect((await new HttpBrowser(srv.base).login('victim', victim.password)).status).toBe(303);

    await page.goto(`${srv.base}/admin/users/${user.id}`);
    await page.click('a:has-text("Remove…")');
    await page.click('button:has-text("Remove user")');
    await page.waitForSelector('text=Removed.');
    expect(await srv.deps.store.users.get(user.id)).toBeNull();
    await page.context().close();
  });

  test('a user’s sessions are listed and revoked from their page', async () => {
    const u = await addUser(srv, 'sessioned', 'sessioned password');
    const app = await addClient(srv, { firstParty: true, name: 'Revocable App' });
    const b = new HttpBrowser(srv.base);
    await b.login('sessioned', u.password);
    const t = { refresh_token: await grantFor(b, app) };
    const page = await signedIn(`/admin/users/${u.id}`);
    await page.click('section.app li button:has-text("Revoke")');
    await page.waitForSelector('text=Revoked.');
    const r = await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, basic(app.client.id, app.secret!));
    expect(r.status).toBe(400);
    await page.context().close();
  });

  test('keys: rotate both kinds; audit: filter by event, see the acting admin, download CSV', async () => {
    const page = await signedIn('/admin/keys');
    const before = await page.locator('tbody tr').count();
    await page.click('button:has-text("Rotate keys")');
    await page.waitForSelector('text=New signing keys are in use');
    expect(await page.locator('tbody tr').count()).toBe(before + 2);

    await page.goto(`${srv.base}/admin/audit`);
    await page.selectOption('#event', 'key.rotated');
    await page.click('button:has-text("Filter")');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain('actor=root');
    const csv = await page.evaluate(async (href) => (await fetch(href)).text(), (await page.getAttribute('a:has-text("Download CSV")', 'href'))!);
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('time,event,count,user_id,username,client_id,ip,details');
    expect(lines.slice(1).every((l) => l.includes(',key.rotated,'))).toBe(true);
    expect(lines).toHaveLength(3);
    await page.context().close();
  });

  test('hostile names at 390 and 1280 px: no horizontal scroll on any console page', async () => {
    const c = await addClient(srv, { name: HOSTILE, redirectUris: ['https://x.example/cb'] });
    const u = await addUser(srv, `w${'x'.repeat(60)}`, 'some password 123', { email: `${'e'.repeat(60)}@${'d'.repeat(60)}.example` });
    for (const width of [390, 1280]) {
      const page = await signedIn('/admin', undefined, width);
      for (const path of ['/admin', '/admin/clients', `/admin/clients/${c.client.id}`, '/admin/users', `/admin/users/${u.id}`, '/admin/keys', '/admin/audit']) {
        await page.goto(srv.base + path);
        expect({ path, width, fits: await noSideScroll(page) }).toEqual({ path, width, fits: true });
        expect(await page.locator('main img').count()).toBe(0);
      }
      await page.goto(`${srv.base}/admin/clients/${c.client.id}`);
      await page.screenshot({ path: `${shots}/admin-client-${width}.png`, fullPage: true });
      await page.context().close();
    }
  }, 30_000);
});

describe('admin console: the gate, CSRF, re-authentication', () => {
  test('signed out: the sign-in page (then back); not an admin: 403 on every path', async () => {
    const anon = await fetch(`${srv.base}/admin/users?q=x`, { redirect: 'manual' });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/admin/users?q=x')}`);
    const plain = await addUser(srv, 'plain', 'plain password');
    const b = new HttpBrowser(srv.base);
    await b.login('plain', plain.password);
    for (const path of [
      '/admin',
      '/admin/clients',
      '/admin/clients/new',
      '/admin/users',
      `/admin/users/${plain.id}`,
      '/admin/keys',
      '/admin/audit',
      '/admin/audit.csv',
    ]) {
      const r = await b.get(path);
      expect({ path, status: r.status }).toEqual({ path, status: 403 });
      expect(r.headers.get('content-type')).toContain('text/html');
    }
    const post = await b.post('/admin/keys/rotate', { csrf: 'x' });
    expect(post.status).toBe(403);
  });

  test('a form without the CSRF token, or from another origin, is 403 and changes nothing', async () => {
    const b = new HttpBrowser(srv.base);
    await b.login('root', 'admin password here');
    const target = await addUser(srv, 'csrf-target', 'target password');
    const noToken = await b.post(`/admin/users/${target.id}/admin`, { admin: '1' });
    expect(noToken.status).toBe(403);
    const html = await (await b.get(`/admin/users/${target.id}`)).text();
    const csrf = hiddenValue(html, 'csrf')!;
    const crossSite = await b.post(`/admin/users/${target.id}/admin`, { csrf, admin: '1' }, { Origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect((await srv.deps.store.users.get(target.id))!.isAdmin).toBe(false);
    // With the token it works.
    expect((await b.post(`/admin/users/${target.id}/admin`, { csrf, admin: '1' })).status).toBe(303);
    expect((await srv.deps.store.users.get(target.id))!.isAdmin).toBe(true);
  });

  test('removing a user, rotating keys and making an admin need a sign-in within 10 minutes', async () => {
    const b = new HttpBrowser(srv.base);
    await b.login('root', 'admin password here');
    const target = await addUser(srv, 'reauth-target', 'target password');
    const csrf = hiddenValue(await (await b.get(`/admin/users/${target.id}`)).text(), 'csrf')!;
    srv.clock.advance(11 * 60);
    for (const [path, form] of [
      [`/admin/users/${target.id}/admin`, { csrf, admin: '1' }],
      [`/admin/users/${target.id}/remove`, { csrf, confirm: 'yes' }],
      ['/admin/keys/rotate', { csrf }],
    ] as const) {
      const r = await b.post(path, form);
      expect(r.status).toBe(303);
      expect(r.headers.get('location')).toStartWith('/login?force=1&next=');
    }
    expect((await srv.deps.store.users.get(target.id))!.isAdmin).toBe(false);
    expect(await srv.deps.store.users.get(target.id)).not.toBeNull();
    // Disabling needs no fresh sign-in (it only takes access away).
    expect((await b.post(`/admin/users/${target.id}/disabled`, { csrf, disabled: '1' })).status).toBe(303);
    expect((await srv.deps.store.users.get(target.id))!.disabledAt).not.toBeNull();
  });

  test('an admin cannot remove, disable or demote themselves; unknown ids are 404 pages', async () => {
    const b = new HttpBrowser(srv.base);
    await b.login('root', 'admin password here');
    const csrf = hiddenValue(await (await b.get(`/admin/users/${admin.id}`)).text(), 'csrf')!;
    expect(await (await b.post(`/admin/users/${admin.id}/disabled`, { csrf, disabled: '1' })).text()).toContain('cannot disable your own');
    expect(await (await b.post(`/admin/users/${admin.id}/admin`, { csrf, admin: '0' })).text()).toContain('cannot remove your own admin');
    expect((await srv.deps.store.users.get(admin.id))!.isAdmin).toBe(true);
    for (const path of ['/admin/users/nope', '/admin/clients/nope']) expect((await b.get(path)).status).toBe(404);
    const bad = await b.get('/admin/audit?since=yesterday');
    expect(bad.status).toBe(200);
    expect(await bad.text()).toContain('Dates are YYYY-MM-DD');
  });
});
