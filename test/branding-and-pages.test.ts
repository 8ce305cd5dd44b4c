// Branding (BRAND_*) and the page fixes of issue 21 over plain HTTP: the configuration's checks, the brand
// stylesheet and logo and their headers, the CSP for an external logo, HTML 404 for browsers and JSON for
// APIs, the colour and user-agent helpers, a family's last use, and a logo embedded at build time.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contrast, parseColour, textOn } from '../src/colour.ts';
import { loadConfig } from '../src/config.ts';
import { describeUserAgent } from '../src/domain/user-agent.ts';
import { brandKit } from '../src/http/brand.ts';
import { ROOT, spawnListening } from './helpers/cli.ts';
import { addClient, addUser, basic, Browser, codeFrom, hiddenValue, pkcePair, postForm } from './helpers/oauth.ts';
import { startTestServer, tempDir, type TestServer } from './helpers/server.ts';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(() => srv.close());

describe('colours (WCAG 2.2 contrast)', () => {
  test('parses #rgb, #rrggbb and rgb(); refuses the rest', () => {
    expect(parseColour('#25c')).toEqual([0x22, 0x55, 0xcc]);
    expect(parseColour(' #2952CC ')).toEqual([41, 82, 204]);
    expect(parseColour('rgb(41 82 204)')).toEqual([41, 82, 204]);
    expect(parseColour('rgb(41, 82, 204)')).toEqual([41, 82, 204]);
    for (const bad of ['red', '#12345', 'rgb(256 0 0)', 'url(x)', '#2952cc; color: red', '']) expect(parseColour(bad)).toBeNull();
  });

  test('contrast ratios match the WCAG examples; the text colour chosen always reaches 4.5:1', () => {
    expect(contrast([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 5);
    expect(contrast([255, 255, 255], [0x7c, 0x9c, 0xff])).toBeLessThan(3); // the old dark-mode button
    for (let i = 0; i < 4096; i++) {
      const c = [((i >> 8) & 15) * 17, ((i >> 4) & 15) * 17, (i & 15) * 17] as const;
      expect(contrast(c, textOn(c))).toBeGreaterThanOrEqual(4.5);
    }
  });
});

describe('user agents, summarised', () => {
  test('browsers by name and system; programs by their first product', () => {
    const cases: [string | null, string][] = [
      ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Linux'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0', 'Edge on Windows'],
      [
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
        'Safari on iPhone',
      ],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36', 'Chrome on macOS'],
      ['curl/8.11.0', 'curl 8.11.0'],
      ['auth-cli/0.1.0 (linux; x64)', 'auth-cli 0.1.0'],
      [null, 'Unknown device'],
      ['', 'Unknown device'],
      ['\u202e<script>', 'Unknown device'],
    ];
    for (const [ua, want] of cases) expect(describeUserAgent(ua)).toBe(want);
  });
});

describe('BRAND_* configuration', () => {
  test('defaults: the name "auth", no logo, no accent stylesheet, no support link', () => {
    const kit = brandKit(loadConfig({}));
    expect(kit.brand).toEqual({ name: 'auth' });
    expect(kit.css).toBeNull();
  });

  test('bad values stop the start with the variable named', () => {
    expect(() => loadConfig({ BRAND_ACCENT: 'red' })).toThrow('invalid BRAND_ACCENT="red": expected a colour such as #2952cc');
    expect(() => loadConfig({ BRAND_ACCENT: '#2952cc;}body{display:none' })).toThrow('invalid BRAND_ACCENT');
    expect(() => loadConfig({ BRAND_NAME: 'x'.repeat(65) })).toThrow('invalid BRAND_NAME');
    expect(() => loadConfig({ BRAND_SUPPORT_URL: 'javascript:alert(1)' })).toThrow('invalid BRAND_SUPPORT_URL');
    const dir = tempDir();
    expect(() => brandKit(loadConfig({ BRAND_LOGO_URL: join(dir, 'missing.png') }))).toThrow('invalid BRAND_LOGO_URL: cannot read');
    writeFileSync(join(dir, 'logo.txt'), 'x');
    expect(() => brandKit(loadConfig({ BRAND_LOGO_URL: join(dir, 'logo.txt') }))).toThrow('neither an https URL nor');
    writeFileSync(join(dir, 'big.png'), new Uint8Array(513 * 1024));
    expect(() => brandKit(loadConfig({ BRAND_LOGO_URL: join(dir, 'big.png') }))).toThrow('larger than 512 KiB');
    expect(() => brandKit(loadConfig({ BRAND_LOGO_URL: 'http://cdn.example/logo.png' }))).toThrow('must be https');
  });

  test('an https logo is allowed in img-src of every page, and only that origin', async () => {
    const s = await startTestServer({ BRAND_LOGO_URL: 'https://cdn.acme.example/brand/logo.svg', BRAND_NAME: 'Acme <ID>' });
    try {
      const res = await fetch(`${s.base}/login`);
      const html = await res.text();
      expect(res.headers.get('content-security-policy')).toContain("img-src 'self' data: https://cdn.acme.example;");
      expect(html).toContain('<img src="https://cdn.acme.example/brand/logo.svg" alt="" height="32"/>');
      expect(html).toContain('<title>Sign in · Acme &lt;ID&gt;</title>');
      expect(html).not.toContain('<ID>');
    } finally {
      await s.close();
    }
  });

  test('/static/brand.css and /static/brand-logo: versioned links, cacheable, the SVG sandboxed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const s = await startTestServer({ BRAND_ACCENT: 'rgb(20 20 20)', BRAND_LOGO_URL: join(dir, 'logo.svg') });
    try {
      const html = await (await fetch(`${s.base}/`)).text();
      const css = /href="(\/static\/brand\.css\?v=\w+)"/.exec(html)![1]!;
      const logo = /src="(\/static\/brand-logo\?v=\w+)"/.exec(html)![1]!;
      const c = await fetch(s.base + css);
      expect(c.headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect(await c.text()).toBe(':root {\n  --button: #141414;\n  --button-fg: #ffffff;\n}\n');
      const l = await fetch(s.base + logo);
      expect(l.headers.get('content-type')).toBe('image/svg+xml');
      expect(l.headers.get('content-security-policy')).toContain('sandbox');
      expect(l.headers.get('x-content-type-options')).toBe('nosniff');
      // Without a brand, neither exists.
      expect((await fetch(`${srv.base}/static/brand.css`)).status).toBe(404);
      expect((await fetch(`${srv.base}/static/brand-logo`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });
});

describe('pages over HTTP', () => {
  test('an unknown path: an HTML page for a browser, JSON for an API client', async () => {
    const page = await fetch(`${srv.base}/nope`, { headers: { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('Page not found');
    const api = await fetch(`${srv.base}/nope`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
    const post = await fetch(`${srv.base}/nope`, { method: 'POST', headers: { Accept: 'text/html' } });
    expect(post.headers.get('content-type')).toContain('application/json');
  });

  test('the sign-in page names the application of the authorization request (from the store only)', async () => {
    const app = await addClient(srv, { name: 'Nice App' });
    const next = `/authorize?response_type=code&client_id=${app.client.id}`;
    expect(await (await fetch(`${srv.base}/login?next=${encodeURIComponent(next)}`)).text()).toContain(
      'to continue to <strong><bdi class="name">Nice App</bdi></strong>',
    );
    for (const other of ['/authorize?client_id=a&client_id=b', '/authorize?client_id=https%3A%2F%2Funknown.example%2Fc', '/account']) {
      expect(await (await fetch(`${srv.base}/login?next=${encodeURIComponent(other)}`)).text()).not.toContain('to continue to');
    }
  });

  test('a refresh-token family keeps the token request’s software and address, and its last use moves with each rotation', async () => {
    await addUser(srv, 'carol', 'carol password 1');
    const app = await addClient(srv, { name: 'Rotating' });
    const b = new Browser(srv.base);
    await b.login('carol', 'carol password 1');
    const { verifier, challenge } = pkcePair();
    const consent = await b.authorize({
      response_type: 'code',
      client_id: app.client.id,
      redirect_uri: 'https://app.example/callback',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const { code } = codeFrom(await b.decide(consent, 'allow'));
    const tokens = (await (
      await postForm(
        `${srv.base}/token`,
        { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/callback', code_verifier: verifier },
        { ...basic(app.client.id, app.secret!), 'User-Agent': 'rotating-app/2.0' },
      )
    ).json()) as { refresh_token: string };
    const user = (await srv.deps.store.users.getByUsername('carol'))!;
    const [fam] = await srv.deps.store.refresh.listLiveFamiliesForUser(user.id, 0);
    expect(fam).toMatchObject({ userAgent: 'rotating-app/2.0', ip: '127.0.0.1', lastUsedAt: fam!.createdAt });
    srv.clock.advance(120);
    expect(
      (await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(app.client.id, app.secret!))).status,
    ).toBe(200);
    expect((await srv.deps.store.refresh.getFamily(fam!.id))!.lastUsedAt).toBe(fam!.createdAt + 120);
    const html = await (await b.get('/account')).text();
    expect(html).toContain('rotating-app 2.0');
    expect(html).toContain(' · from 127.0.0.1');
  });
});

describe('POST /account/password errors', () => {
  test('signed out, no CSRF token, repeated, oversized, too short: refused and nothing changes', async () => {
    await addUser(srv, 'dave', 'dave password 1');
    const anon = await postForm(`${srv.base}/account/password`, { current_password: 'x', new_password: 'y', repeat_password: 'y' });
    expect(anon.status).toBe(403); // CSRF is checked before anything else
    const b = new Browser(srv.base);
    await b.login('dave', 'dave password 1');
    const csrf = hiddenValue(await (await b.get('/account')).text(), 'csrf')!;
    // Pairs, so a parameter can be sent twice (URLSearchParams takes either form).
    const change = (form: Record<string, string | string[]>) =>
      b.post(
        '/account/password',
        Object.entries(form).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => [k, x])) as unknown as Record<string, string>,
      );
    expect(
      (await b.post('/account/password', { current_password: 'dave password 1', new_password: 'n3w password!', repeat_password: 'n3w password!' })).status,
    ).toBe(403);
    expect((await change({ csrf, current_password: ['a', 'b'], new_password: 'n3w password!', repeat_password: 'n3w password!' })).status).toBe(400);
    expect((await change({ csrf, current_password: 'x'.repeat(1025), new_password: 'n3w password!', repeat_password: 'n3w password!' })).status).toBe(400);
    const short = await change({ csrf, current_password: 'dave password 1', new_password: 'short', repeat_password: 'short' });
    expect(short.status).toBe(400);
    expect(await short.text()).toContain('at least 8 characters');
    const user = (await srv.deps.store.users.getByUsername('dave'))!;
    expect(await Bun.password.verify('dave password 1', user.passwordHash!)).toBe(true);
  });
});

describe('a logo embedded at build time', () => {
  test('BRAND_LOGO_FILE=… bun run build puts the logo in the binary; BRAND_LOGO_URL still wins', async () => {
    const dir = tempDir();
    const logo = join(dir, 'embedded.svg');
    writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    const bin = join(dir, 'auth-branded');
    const build = Bun.spawnSync([process.execPath, 'scripts/build.ts'], { cwd: ROOT, env: { ...process.env, BRAND_LOGO_FILE: logo, AUTH_OUTFILE: bin } });
    expect(build.exitCode).toBe(0);
    const s = await spawnListening({ cwd: dir, env: { DATA_DIR: join(dir, 'data') }, bin });
    try {
      const html = await (await fetch(`${s.url}/login`)).text();
      const src = /src="(\/static\/brand-logo\?v=\w+)"/.exec(html)![1]!;
      expect(await (await fetch(s.url + src)).text()).toContain('<rect width="8" height="8"/>');
    } finally {
      s.proc.kill();
      await s.proc.exited;
    }
  }, 60_000);
});
