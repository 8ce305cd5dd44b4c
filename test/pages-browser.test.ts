/// <reference lib="dom" />
// The person-facing pages in a real headless Chromium (issue 21): hostile client names (markup, a
// right-to-left override, an 80-character unbroken run, 188 characters) on every page at 390 and 1280 px in
// light and dark without sideways scrolling, the primary button's contrast computed from the rendered
// colours, keyboard-only sign-in → consent, focus after a wrong password, verification_uri_complete while
// signed out, /account (devices, addresses, times, password change) and the branded pages. Screenshots go
// to SCREENSHOT_DIR when set.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { contrast, parseColour, type Rgb } from '../src/colour.ts';
import { launchChromium } from './helpers/browser.ts';
import { addUser, pkcePair, postForm } from './helpers/oauth.ts';
import { startTestServer, tempDir, type TestServer } from './helpers/server.ts';

const RUN = 'W'.repeat(80);
const HOSTILE = `<b>x</b> \u202Eevil.exe\u202C ${RUN} ${'name with words '.repeat(5)}`.padEnd(188, 'z');
const LONG_HOST = `${'sub'.repeat(12)}.a-rather-long-application-host-name.example`;
const REDIRECT = `https://${LONG_HOST}/callback`;
const PASSWORD = 'a fine password 123';

let srv: TestServer;
let browser: Browser;
let shots: string;
let webClient: string;
let deviceClient: string;

async function register(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${srv.base}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { client_id: string }).client_id;
}

beforeAll(async () => {
  srv = await startTestServer();
  browser = await launchChromium();
  shots = process.env.SCREENSHOT_DIR ?? srv.dir;
  await addUser(srv, 'alice', PASSWORD);
  webClient = await register({
    client_name: HOSTILE,
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    scope: 'openid profile email offline_access',
  });
  deviceClient = await register({
    client_name: HOSTILE,
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
    scope: 'openid profile offline_access',
  });
});
afterAll(async () => {
  await browser.close();
  await srv.close();
});

async function context(width: number, scheme: 'light' | 'dark'): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
}

const fits = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

/** Every check a page must pass at any width and scheme; a screenshot named after it. */
async function check(page: Page, name: string, width: number, scheme: string): Promise<void> {
  expect({ name, width, scheme, fits: await fits(page) }).toEqual({ name, width, scheme, fits: true });
  // Names are shown without their bidi controls, and never as markup.
  const text = await page.evaluate(() => document.body.textContent);
  expect(text).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
  expect(await page.locator('main b').count()).toBe(0);
  await page.screenshot({ path: `${shots}/page-${name}-${width}-${scheme}.png`, fullPage: true });
}

function authorizeUrl(extra: Record<string, string> = {}): string {
  const { challenge } = pkcePair();
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: webClient,
    redirect_uri: REDIRECT,
    scope: 'openid profile email offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 's',
    ...extra,
  });
  return `${srv.base}/authorize?${q}`;
}

/** Click and wait for the page the form posts to. */
async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

async function signIn(page: Page, password = PASSWORD): Promise<void> {
  await page.fill('#username', 'alice');
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
}

async function startDevice(): Promise<{ user_code: string; verification_uri_complete: string; device_code: string }> {
  const res = await postForm(`${srv.base}/device_authorization`, { client_id: deviceClient, scope: 'openid profile offline_access' });
  expect(res.status).toBe(200);
  return (await res.json()) as { user_code: string; verification_uri_complete: string; device_code: string };
}

describe('pages with hostile names, at 390 and 1280 px, light and dark', () => {
  for (const width of [390, 1280]) {
    for (const scheme of ['light', 'dark'] as const) {
      test(`${width} px, ${scheme}: sign-in, consent, device, account, errors`, async () => {
        const ctx = await context(width, scheme);
        const page = await ctx.newPage();

        // Sign-in names the service and the application (its name cut, the rest on hover).
        await page.goto(authorizeUrl());
        expect(new URL(page.url()).pathname).toBe('/login');
        expect(await page.locator('h1').textContent()).toBe('Sign in to auth');
        const shown = (await page.locator('p.muted bdi.name').textContent())!;
        expect(shown.startsWith('<b>x</b> evil.exe')).toBe(true);
        expect(shown.endsWith('…')).toBe(true);
        expect(await page.locator('p.muted bdi.name').getAttribute('title')).toContain(RUN);
        await check(page, 'login', width, scheme);

        // Consent: the unverified-name notice, the redirect host, scopes in plain words.
        await signIn(page);
        expect(await page.locator('h1').textContent()).toBe('Authorize access');
        expect(await page.locator('.notice').isVisible()).toBe(true);
        expect(await page.locator('.notice').textContent()).toContain('not verified');
        expect((await page.locator('p.redirect code.host').textContent())!.replace(/\s/g, '')).toBe(LONG_HOST);
        expect(await page.locator('ul.scopes li').allTextContents()).toContain('See your email address email');
        // Hosts break between labels only: every line of the rendered host ends at a dot or the end.
        const hostLines = await page.locator('p.redirect code.host').evaluate((el) => {
          const range = document.createRange();
          const lines = new Map<number, string>();
          for (const span of el.querySelectorAll('span')) {
            range.selectNodeContents(span);
            const rects = range.getClientRects();
            if (rects.length !== 1) return null; // a label split across lines
            const top = Math.round(rects[0]!.top);
            lines.set(top, (lines.get(top) ?? '') + span.textContent);
          }
          return [...lines.values()];
        });
        expect(hostLines).not.toBeNull();
        await page.locator('details.fullname summary').click();
        expect(await page.locator('details.fullname bdi').textContent()).toContain(RUN);
        await check(page, 'consent', width, scheme);

        // Device: verification_uri_complete in a signed-out browser goes through sign-in straight to the
        // confirmation, with the same scope descriptions as consent.
        const device = await startDevice();
        const other = await (await context(width, scheme)).newPage();
        await other.goto(device.verification_uri_complete);
        expect(new URL(other.url()).pathname).toBe('/login');
        expect(await other.locator('p.muted').first().textContent()).toBe('to connect a device');
        await signIn(other);
        expect(await other.locator('h1').textContent()).toBe('Approve this device?');
        expect(await other.locator('strong.code').textContent()).toBe(device.user_code);
        expect(await other.locator('ul.scopes li').allTextContents()).toContain('Stay signed in (refresh tokens) offline_access');
        expect(await other.locator('.notice').isVisible()).toBe(true);
        await check(other, 'device-confirm', width, scheme);
        await submit(other, 'button:has-text("Approve")');
        expect(await other.locator('h1').textContent()).toBe('Device connected');
        await check(other, 'device-done', width, scheme);
        const tokens = await postForm(`${srv.base}/token`, {
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: device.device_code,
          client_id: deviceClient,
        });
        expect(tokens.status).toBe(200);

        // /account lists the device's session with its software and address, and the browsers.
        await other.goto(`${srv.base}/account`);
        expect(await other.locator('ul.sessions li').first().textContent()).toContain('Chrome on Linux');
        expect(await other.locator('section.app').first().textContent()).toContain('Bun');
        expect(await other.locator('section.app').first().textContent()).toContain('from 127.0.0.1');
        expect(await other.locator('section.app').first().textContent()).toMatch(/Last used \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
        await check(other, 'account', width, scheme);
        await other.context().close();

        // Errors: an unknown client (what to do next), and an unknown path (HTML 404 for a browser).
        await page.goto(`${srv.base}/authorize?response_type=code&client_id=nobody&redirect_uri=https://x.example/cb`);
        expect(await page.locator('p', { hasText: 'Go back to it' }).count()).toBe(1);
        await check(page, 'error', width, scheme);
        const missing = await page.goto(`${srv.base}/no/such/page`);
        expect(missing!.status()).toBe(404);
        expect(await page.locator('h1').textContent()).toBe('Page not found');
        await check(page, 'not-found', width, scheme);
        await page.goto(`${srv.base}/set-password/someone`);
        expect(await page.locator('a.button', { hasText: 'Go to sign-in' }).isVisible()).toBe(true);
        await check(page, 'set-password', width, scheme);
        await ctx.close();
      }, 30_000);
    }
  }
});

/** The computed background and text colour of an element, as sRGB triples. */
async function colours(page: Page, selector: string): Promise<{ bg: Rgb; fg: Rgb }> {
  const [bg, fg] = await page
    .locator(selector)
    .first()
    .evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]);
  const rgb = (css: string): Rgb => {
    const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css)!;
    return [Number(m[1]), Number(m[2]), Number(m[3])];
  };
  return { bg: rgb(bg!), fg: rgb(fg!) };
}

describe('contrast and keyboard', () => {
  for (const scheme of ['light', 'dark'] as const) {
    test(`${scheme}: primary and danger buttons, links and error text meet WCAG AA (4.5:1) as rendered`, async () => {
      const page = await (await context(1280, scheme)).newPage();
      await page.goto(`${srv.base}/login`);
      const button = await colours(page, 'form[action="/login"] button[type=submit]');
      expect(contrast(button.bg, button.fg)).toBeGreaterThanOrEqual(4.5);
      const card = (await colours(page, 'main')).bg;
      await page.goto(`${srv.base}/set-password/x`);
      const link = await colours(page, 'a.button');
      expect(contrast(card, link.fg)).toBeGreaterThanOrEqual(4.5);
      await page.goto(`${srv.base}/login`);
      await signIn(page, 'wrong password');
      expect(contrast(card, (await colours(page, 'p.error')).fg)).toBeGreaterThanOrEqual(4.5);
      await page.context().close();
    });
  }

  test('keyboard only: sign in, then allow on the consent page; after a wrong password the focus is on the password', async () => {
    const page = await (await context(1280, 'light')).newPage();
    await page.goto(authorizeUrl({ state: 'kb' }));
    // Chromium applies `autofocus` at a rendering update after the load event: wait for it (2 s at most).
    const focusOn = (id: string) => page.waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 2000 });
    await focusOn('username');
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    await page.keyboard.type('not the password');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await page.locator('p.error').textContent()).toBeTruthy();
    await focusOn('password');
    expect(await page.inputValue('#username')).toBe('alice');
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await page.locator('h1').textContent()).toBe('Authorize access');
    // Tab until Allow has the focus (Deny comes first), then Enter.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.textContent?.trim())) === 'Allow') break;
    }
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Allow');
    // The redirect host does not exist; the browser's request to it carries the code.
    const [request] = await Promise.all([page.waitForRequest((r) => new URL(r.url()).hostname === LONG_HOST), page.keyboard.press('Enter')]);
    const back = new URL(request.url());
    expect(back.searchParams.get('code')).toBeTruthy();
    expect(back.searchParams.get('state')).toBe('kb');
    await page.context().close();
  });
});

describe('/account', () => {
  test('lists browsers (this one marked), signs another out, and changes the password (other browsers end)', async () => {
    await addUser(srv, 'bob', PASSWORD);
    const a = await (await context(1280, 'light')).newPage();
    const b = await (await context(1280, 'light')).newPage();
    for (const p of [a, b]) {
      await p.goto(`${srv.base}/login?next=/account`);
      await p.fill('#username', 'bob');
      await p.fill('#password', PASSWORD);
      await submit(p, 'form[action="/login"] button[type=submit]');
    }
    expect(await b.locator('h2', { hasText: 'Signed-in browsers' }).count()).toBe(1);
    expect(await b.locator('ul.sessions').first().locator('li').count()).toBe(2);
    expect(await b.locator('ul.sessions li').first().textContent()).toContain('This browser');

    // A wrong current password changes nothing; a mismatch neither.
    await b.fill('#current_password', 'wrong one!');
    await b.fill('#new_password', 'the new password 1');
    await b.fill('#repeat_password', 'the new password 1');
    await submit(b, 'button:has-text("Change password")');
    expect(await b.locator('p.error').textContent()).toContain('current password is not right');
    await b.fill('#current_password', PASSWORD);
    await b.fill('#new_password', 'the new password 1');
    await b.fill('#repeat_password', 'the new password 2');
    await submit(b, 'button:has-text("Change password")');
    expect(await b.locator('p.error').textContent()).toContain('differ');

    await b.fill('#current_password', PASSWORD);
    await b.fill('#new_password', 'the new password 1');
    await b.fill('#repeat_password', 'the new password 1');
    await submit(b, 'button:has-text("Change password")');
    expect(await b.locator('p.ok').textContent()).toContain('Password changed');
    expect(await b.locator('ul.sessions').first().locator('li').count()).toBe(1);
    // Browser a was signed out; the new password works, the old one not.
    await a.goto(`${srv.base}/account`);
    expect(new URL(a.url()).pathname).toBe('/login');
    await a.fill('#username', 'bob');
    await a.fill('#password', PASSWORD);
    await submit(a, 'form[action="/login"] button[type=submit]');
    expect(await a.locator('p.error').count()).toBe(1);
    await a.fill('#password', 'the new password 1');
    await a.click('form[action="/login"] button[type=submit]');
    await a.waitForURL(`${srv.base}/account`);

    // Sign the other browser out from here.
    await b.reload();
    const otherRow = b.locator('ul.sessions').first().locator('li', { hasNotText: 'This browser' });
    await Promise.all([b.waitForNavigation(), otherRow.locator('button:has-text("Sign out")').click()]);
    expect(await b.locator('p.ok').textContent()).toContain('That browser is signed out');
    await a.goto(`${srv.base}/account`);
    expect(new URL(a.url()).pathname).toBe('/login');
    await a.context().close();
    await b.context().close();
  }, 30_000);
});

describe('branding', () => {
  test('BRAND_NAME, a logo file, BRAND_ACCENT (text colour chosen for contrast) and BRAND_SUPPORT_URL on error pages', async () => {
    const dir = tempDir();
    const logo = `${dir}/logo.svg`;
    writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"><rect width="64" height="32" fill="#ffd400"/></svg>');
    const branded = await startTestServer({
      BRAND_NAME: 'Acme ID',
      BRAND_LOGO_URL: logo,
      BRAND_ACCENT: '#ffd400',
      BRAND_SUPPORT_URL: 'https://help.acme.example/sign-in',
    });
    try {
      for (const scheme of ['light', 'dark'] as const) {
        const ctx = await browser.newContext({ viewport: { width: 390, height: 800 }, colorScheme: scheme });
        const page = await ctx.newPage();
        await page.goto(`${branded.base}/login`);
        expect(await page.title()).toBe('Sign in · Acme ID');
        expect(await page.locator('h1').textContent()).toBe('Sign in to Acme ID');
        expect(await page.locator('header.brand').textContent()).toBe('Acme ID');
        expect(await page.locator('header.brand img').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(64);
        const button = await colours(page, 'form[action="/login"] button[type=submit]');
        expect(button.bg).toEqual(parseColour('#ffd400')!);
        expect(button.fg).toEqual([0, 0, 0]); // black on yellow: 14.6:1; white would be 1.4:1
        await page.screenshot({ path: `${shots}/branded-login-390-${scheme}.png`, fullPage: true });
        await page.goto(`${branded.base}/authorize?client_id=nobody`);
        expect(await page.locator('a', { hasText: 'Contact support' }).getAttribute('href')).toBe('https://help.acme.example/sign-in');
        await page.screenshot({ path: `${shots}/branded-error-390-${scheme}.png`, fullPage: true });
        await ctx.close();
      }
    } finally {
      await branded.close();
    }
  }, 30_000);
});
