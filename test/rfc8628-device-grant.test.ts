/// <reference lib="dom" />
// RFC 8628 device authorization grant: the device endpoint, polling (authorization_pending, slow_down,
// access_denied, expired_token, single issuance) and the verification pages (also in headless Chromium).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { decodeJwt } from 'jose';
import type { Browser as Chromium } from 'playwright-core';
import { launchChromium } from './helpers/browser.ts';
import { addClient, addUser, basic, Browser, hiddenValue, postForm } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { rawQuery } from './helpers/db.ts';
import { normalizeUserCode, USER_CODE_CHARSET } from '../src/domain/device.ts';
import { DEVICE_GRANT } from '../src/domain/grant-types.ts';

let srv: TestServer;
let alice: Awaited<ReturnType<typeof addUser>>;
let tv: Awaited<ReturnType<typeof addClient>>; // public, device grant
let conf: Awaited<ReturnType<typeof addClient>>; // confidential, device grant

beforeAll(async () => {
  srv = await startTestServer({ RESOURCES: 'https://tv.example/api', DEVICE_ENTRY_RATE_LIMIT: '10' });
  alice = await addUser(srv, 'alice');
  tv = await addClient(srv, {
    name: 'Living-room TV',
    redirectUris: [],
    isPublic: true,
    grantTypes: [DEVICE_GRANT, 'refresh_token'],
    scopes: ['openid', 'profile'],
  });
  conf = await addClient(srv, { name: 'Confidential device', redirectUris: [], grantTypes: [DEVICE_GRANT] });
});
afterAll(() => srv.close());

const deviceAuth = (form: Record<string, string | string[]>, headers: Record<string, string> = {}) =>
  postForm(`${srv.base}/device_authorization`, form, headers);
const poll = (deviceCode: string, clientId = tv.client.id, headers: Record<string, string> = {}) =>
  postForm(`${srv.base}/token`, { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: clientId }, headers);

async function start(extra: Record<string, string | string[]> = {}) {
  const r = await deviceAuth({ client_id: tv.client.id, scope: 'openid', ...extra });
  expect(r.status).toBe(200);
  return (await r.json()) as {
    device_code: string;
    user_code: string;
    verification_uri: string;
    verification_uri_complete: string;
    expires_in: number;
    interval: number;
  };
}

/** Approve or deny a user code through the pages, as a signed-in person. */
async function decide(userCode: string, decision: 'approve' | 'deny') {
  const b = new Browser(srv.base);
  await b.login('alice', alice.password);
  const entry = await (await b.get(`/device?user_code=${userCode}`)).text();
  const confirm = await b.post('/device', { csrf: hiddenValue(entry, 'csrf')!, user_code: userCode });
  expect(confirm.status).toBe(200);
  const html = await confirm.text();
  const res = await b.post('/device/confirm', { csrf: hiddenValue(html, 'csrf')!, user_code: hiddenValue(html, 'user_code')!, decision });
  expect(res.status).toBe(200);
  return { html, done: await res.text() };
}

describe('device authorization endpoint (RFC 8628 §3.1–3.2)', () => {
  test('returns a hashed device code, an 8-character user code XXXX-XXXX, URIs, expiry and interval', async () => {
    const r = await deviceAuth({ client_id: tv.client.id, scope: 'openid profile', resource: 'https://tv.example/api' });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const body = await r.json();
    expect(body.device_code).toMatch(/^dc_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(body.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(body.verification_uri).toBe(`${srv.base}/device`);
    expect(body.verification_uri_complete).toBe(`${srv.base}/device?user_code=${body.user_code}`);
    expect(body.expires_in).toBe(600);
    expect(body.interval).toBe(5);
    const stored = (await rawQuery(srv.deps.store, 'SELECT hash FROM device_codes')) as { hash: string }[];
    expect(stored.some((s) => body.device_code.includes(s.hash))).toBe(false);
    // AuthGate's path works too.
    expect((await postForm(`${srv.base}/oauth/device/code`, { client_id: tv.client.id })).status).toBe(200);
  });

  test('user codes are unique and drawn from the alphabet only', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 40; i++) codes.add((await start()).user_code);
    expect(codes.size).toBe(40);
    for (const c of codes) for (const ch of c.replace('-', '')) expect(USER_CODE_CHARSET).toContain(ch);
  });

  test('errors: unknown client, grant not allowed, bad scope, bad resource, confidential without secret, repeated parameter', async () => {
    expect((await deviceAuth({ client_id: 'ghost' })).status).toBe(401);
    const codeOnly = await addClient(srv, { name: 'web', redirectUris: ['https://w.example/cb'], isPublic: true });
    expect((await (await deviceAuth({ client_id: codeOnly.client.id })).json()).error).toBe('unauthorized_client');
    expect((await (await deviceAuth({ client_id: tv.client.id, scope: 'email' })).json()).error).toBe('invalid_scope');
    expect((await (await deviceAuth({ client_id: tv.client.id, resource: 'https://elsewhere.example' })).json()).error).toBe('invalid_target');
    const noSecret = await deviceAuth({ client_id: conf.client.id });
    expect(noSecret.status).toBe(401);
    expect((await noSecret.json()).error).toBe('invalid_client');
    expect((await deviceAuth({}, basic(conf.client.id, conf.secret!))).status).toBe(200);
    const rep = await fetch(`${srv.base}/device_authorization`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `client_id=${tv.client.id}&scope=openid&scope=profile`,
    });
    expect((await rep.json()).error).toBe('invalid_request');
  });
});

describe('polling the token endpoint (RFC 8628 §3.4–3.5)', () => {
  test('authorization_pending while waiting, then tokens once approved, then invalid_grant', async () => {
    const d = await start({ scope: 'openid profile', resource: 'https://tv.example/api' });
    const p1 = await poll(d.device_code);
    expect(p1.status).toBe(400);
    expect((await p1.json()).error).toBe('authorization_pending');
    const { html } = await decide(d.user_code, 'approve');
    expect(html).toContain('Living-room TV');
    expect(html).toContain('https://tv.example/api');
    expect(html).toContain('profile');
    srv.clock.advance(5);
    const ok = await poll(d.device_code);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const body = await ok.json();
    expect(decodeJwt(body.access_token)).toMatchObject({ sub: alice.id, client_id: tv.client.id, scope: 'openid profile', aud: 'https://tv.example/api' });
    expect(body.refresh_token).toMatch(/^rt_/);
    srv.clock.advance(5);
    expect((await (await poll(d.device_code)).json()).error).toBe('invalid_grant');
    // The refresh token follows the same rotation policy as the code flow.
    const r = await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: tv.client.id });
    expect(r.status).toBe(200);
  });

  test('polling faster than the interval answers slow_down, and the interval grows by 5 s each time', async () => {
    const d = await start();
    expect((await (await poll(d.device_code)).json()).error).toBe('authorization_pending');
    srv.clock.advance(2);
    const s1 = await (await poll(d.device_code)).json();
    expect(s1.error).toBe('slow_down');
    const id = d.device_code.slice(3).split('.')[0]!;
    expect((await srv.deps.store.deviceCodes.get(id))!.pollInterval).toBe(10);
    srv.clock.advance(6); // 6 s < the new 10 s interval
    expect((await (await poll(d.device_code)).json()).error).toBe('slow_down');
    expect((await srv.deps.store.deviceCodes.get(id))!.pollInterval).toBe(15);
    srv.clock.advance(15);
    expect((await (await poll(d.device_code)).json()).error).toBe('authorization_pending');
  });

  test('Deny → access_denied', async () => {
    const d = await start();
    const { done } = await decide(d.user_code, 'deny');
    expect(done).toContain('Request denied');
    expect(done).toContain('Return to your device');
    srv.clock.advance(5);
    expect(await (await poll(d.device_code)).json()).toEqual({ error: 'access_denied', error_description: 'the user denied the request' });
  });

  test('expiry → expired_token, and the user code no longer works on the page', async () => {
    const d = await start();
    srv.clock.advance(601);
    expect((await (await poll(d.device_code)).json()).error).toBe('expired_token');
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    const entry = await (await b.get('/device')).text();
    const res = await b.post('/device', { csrf: hiddenValue(entry, 'csrf')!, user_code: d.user_code });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('not valid or has expired');
  });

  test('two pollers at once after approval: exactly one gets tokens', async () => {
    const d = await start();
    await decide(d.user_code, 'approve');
    srv.clock.advance(5);
    const results = await Promise.all([poll(d.device_code), poll(d.device_code), poll(d.device_code)]);
    expect(results.filter((r) => r.status === 200).length).toBe(1);
    for (const r of results.filter((x) => x.status !== 200)) expect((await r.json()).error).toBe('invalid_grant');
  });

  test('another client, an unknown or malformed device code, a missing one', async () => {
    const d = await start();
    const other = await poll(d.device_code, conf.client.id, {});
    expect(other.status).toBe(401); // conf must authenticate
    const wrong = await postForm(`${srv.base}/token`, { grant_type: DEVICE_GRANT, device_code: d.device_code }, basic(conf.client.id, conf.secret!));
    expect(await wrong.json()).toEqual({ error: 'invalid_grant', error_description: 'the device code was issued to another client' });
    for (const dc of ['dc_nope', 'garbage', `dc_${'A'.repeat(22)}.${'B'.repeat(43)}`]) expect((await (await poll(dc)).json()).error).toBe('invalid_grant');
    expect((await (await postForm(`${srv.base}/token`, { grant_type: DEVICE_GRANT, client_id: tv.client.id })).json()).error).toBe('invalid_request');
    const codeOnly = await addClient(srv, { name: 'web2', redirectUris: ['https://w.example/cb'], isPublic: true });
    expect((await (await poll(d.device_code, codeOnly.client.id)).json()).error).toBe('unauthorized_client');
  });
});

describe('verification pages (RFC 8628 §3.3)', () => {
  test('codes are typed case-, dash- and space-insensitively', () => {
    expect(normalizeUserCode('bcdf-ghjk')).toBe('BCDFGHJK');
    expect(normalizeUserCode(' bcdf ghjk ')).toBe('BCDFGHJK');
    expect(normalizeUserCode('BCDFGHJK')).toBe('BCDFGHJK');
    expect(normalizeUserCode('BCDFGHJA')).toBeNull(); // vowel: not in the alphabet
    expect(normalizeUserCode('BCDFGHJ')).toBeNull();
  });

  test('without a session /device sends the person to sign in and back, prefilled', async () => {
    const d = await start();
    const b = new Browser(srv.base);
    const res = await b.get(`/device?user_code=${d.user_code.toLowerCase().replace('-', '')}`);
    expect(res.status).toBe(303);
    const loc = res.headers.get('location')!;
    expect(loc.startsWith('/login?next=')).toBe(true);
    const next = new URL(loc, srv.base).searchParams.get('next')!;
    await b.login('alice', alice.password, next);
    const page = await (await b.get(next)).text();
    expect(hiddenValue(page, 'csrf')).toBeTruthy();
    expect(page).toContain(`value="${d.user_code}"`);
    expect((await b.get('/device/verify')).status).toBe(200);
  });

  test('forms are CSRF-checked', async () => {
    const d = await start();
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    expect((await b.post('/device', { csrf: 'forged', user_code: d.user_code })).status).toBe(403);
    expect((await b.post('/device/confirm', { csrf: 'forged', user_code: d.user_code, decision: 'approve' })).status).toBe(403);
    expect((await (await poll(d.device_code)).json()).error).toBe('authorization_pending');
  });

  test('remembered consent does not skip the device confirmation', async () => {
    const d1 = await start();
    await decide(d1.user_code, 'approve');
    const d2 = await start();
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    const entry = await (await b.get('/device')).text();
    const confirm = await b.post('/device', { csrf: hiddenValue(entry, 'csrf')!, user_code: d2.user_code });
    expect(await confirm.text()).toContain('Approve this device?');
  });

  test('guessing codes is limited per session and per IP: the 11th wrong code gets a 429 page, and it is logged', async () => {
    await srv.deps.limits.deviceEntry.reset('ip:127.0.0.1');
    const b = new Browser(srv.base);
    await b.login('alice', alice.password);
    const csrf = hiddenValue(await (await b.get('/device')).text(), 'csrf')!;
    for (let i = 0; i < 10; i++) expect((await b.post('/device', { csrf, user_code: 'BBBB-BBBB' })).status).toBe(400);
    const blocked = await b.post('/device', { csrf, user_code: (await start()).user_code });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await blocked.text()).toContain('too many wrong codes');
    expect(srv.logs.filter((l) => l.includes('wrong device user code')).length).toBeGreaterThanOrEqual(10);
    srv.clock.advance(601);
    await srv.deps.limits.deviceEntry.reset(`ip:127.0.0.1`);
  });
});

describe('in a real browser', () => {
  let chromium: Chromium;
  beforeAll(async () => {
    chromium = await launchChromium();
  });
  afterAll(() => chromium.close());

  test('Chromium: type the code in lower case without a dash, sign in, approve — while the device polls', async () => {
    const d = await start({ scope: 'openid' });
    const page = await chromium.newPage();
    await page.goto(`${srv.url}/device`);
    expect(await page.title()).toBe('Sign in · auth');
    await page.fill('#username', 'alice');
    await page.fill('#password', alice.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('#user_code');
    await page.fill('#user_code', d.user_code.toLowerCase().replace('-', ''));
    await page.click('text=Continue');
    await page.waitForSelector('text=Approve this device?');
    expect(await page.textContent('body')).toContain('Living-room TV');
    // The device polls while the person decides.
    expect((await (await poll(d.device_code)).json()).error).toBe('authorization_pending');
    await page.click('button:has-text("Approve")');
    await page.waitForSelector('text=Device connected');
    expect(await page.textContent('body')).toContain('Return to your device');
    srv.clock.advance(5);
    const ok = await poll(d.device_code);
    expect(ok.status).toBe(200);
    await page.close();
  });
});

describe('examples/device-login.ts', () => {
  test('runs the whole flow against the server with the seeded auth-cli client and prints the tokens', async () => {
    const real = await startTestServer({ DEVICE_POLL_INTERVAL: '1s' });
    try {
      await addUser(real, 'zoe', 'zoe password!');
      const proc = Bun.spawn([process.execPath, new URL('../examples/device-login.ts', import.meta.url).pathname, real.base, '--scope', 'openid'], {
        stdout: 'pipe',
        stderr: 'pipe',
      });
      const reader = proc.stderr.getReader();
      let err = '';
      while (!/code ([A-Z]{4}-[A-Z]{4})/.test(err)) {
        const { value, done } = await reader.read();
        if (done) break;
        err += new TextDecoder().decode(value);
      }
      const userCode = /code ([A-Z]{4}-[A-Z]{4})/.exec(err)![1]!;
      const b = new Browser(real.base);
      await b.login('zoe', 'zoe password!');
      const entry = await (await b.get('/device')).text();
      const confirm = await (await b.post('/device', { csrf: hiddenValue(entry, 'csrf')!, user_code: userCode })).text();
      await b.post('/device/confirm', { csrf: hiddenValue(confirm, 'csrf')!, user_code: hiddenValue(confirm, 'user_code')!, decision: 'approve' });
      real.clock.advance(2);
      const out = await new Response(proc.stdout).text();
      expect(await proc.exited).toBe(0);
      const tokens = JSON.parse(out);
      expect(decodeJwt(tokens.access_token).client_id).toBe('auth-cli');
      expect(tokens.refresh_token).toMatch(/^rt_/);
    } finally {
      await real.close();
    }
  });
});
