/// <reference lib="dom" />
// Scoped temporary tokens: the service on a real SQLite file with a controllable clock, the HTTP API,
// and the invitation / password-reset links end to end (CLI binary → link → page → password), also in Chromium.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { TestClock } from './helpers/clock.ts';
import { loadConfig } from '../src/config.ts';
import { buildRegistry, normalizePath, parseScopeDeclarations, TempTokenError, TempTokenRegistry, TempTokenService } from '../src/domain/temp-tokens.ts';
import { parseDuration } from '../src/config.ts';
import { openSqlite, type SqliteStore } from '../src/store/sqlite/store.ts';
import { launchChromium } from './helpers/browser.ts';
import { runAuth } from './helpers/cli.ts';
import { addUser, Browser } from './helpers/oauth.ts';
import { startTestServer, tempDir, type TestServer } from './helpers/server.ts';

const REPORT = {
  name: 'report',
  routes: [
    { method: 'GET', path: '/reports/{id}' },
    { method: 'PUT', path: '/reports/{id}/answer' },
  ],
  maxTtl: 900,
  singleUse: false,
};
const ONCE = { name: 'once', routes: [{ method: 'POST', path: '/flows/{id}/finish' }], maxTtl: 600, singleUse: true };

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TempTokenError) return e.code;
    throw e;
  }
  return 'ok';
}

describe('the service', () => {
  let store: SqliteStore;
  let clock: TestClock;
  let svc: TempTokenService;
  beforeAll(async () => {
    store = openSqlite(join(tempDir(), 't.db'));
    await store.migrate();
    clock = new TestClock();
    const registry = new TempTokenRegistry();
    registry.register(REPORT);
    registry.register(ONCE);
    svc = new TempTokenService(store, clock, registry);
  });
  afterAll(() => store.close());

  test('registering a duplicate or invalid scope fails', () => {
    const r = new TempTokenRegistry();
    r.register(REPORT);
    expect(() => r.register(REPORT)).toThrow('registered twice');
    expect(() => r.register({ ...REPORT, name: 'Bad Name' })).toThrow('invalid');
    expect(() => r.register({ ...REPORT, name: 'x1', routes: [] })).toThrow('no routes');
    expect(() => r.register({ ...REPORT, name: 'x2', maxTtl: 0 })).toThrow('max TTL');
    expect(() => r.register({ ...REPORT, name: 'x3', routes: [{ method: 'GET', path: '/reports/all' }] })).toThrow('placeholder');
    expect(() => r.register({ ...REPORT, name: 'x4', routes: [{ method: 'BREW', path: '/r/{id}' }] })).toThrow('method');
    expect(() => r.register({ ...REPORT, name: 'x5', routes: [{ method: 'GET', path: '/r/../{id}' }] })).toThrow('clean path');
  });

  test('mint and validate; tokens are ≥ 256 bits and stored only as a hash', async () => {
    const t = await svc.mint('report', 'r-42', 600);
    expect(t.token).toMatch(/^tt_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    const row = await store.tempTokens.get(t.id);
    expect(row!.hash).not.toContain(t.token.split('.')[1]!);
    expect(await svc.validate(t.token, 'GET', '/reports/r-42')).toEqual({ id: t.id, scope: 'report', resourceId: 'r-42' });
    expect(await svc.validate(t.token, 'put', '/reports/r-42/answer')).toMatchObject({ resourceId: 'r-42' });
    // Not single use: valid again.
    expect(await svc.validate(t.token, 'GET', '/reports/r-42')).toMatchObject({ scope: 'report' });
  });

  test('TTL bounds and unknown scopes are typed errors', async () => {
    expect(await errorCode(svc.mint('report', 'r', 0))).toBe('ttl_out_of_range');
    expect(await errorCode(svc.mint('report', 'r', -5))).toBe('ttl_out_of_range');
    expect(await errorCode(svc.mint('report', 'r', 901))).toBe('ttl_out_of_range');
    expect(await errorCode(svc.mint('nope', 'r', 10))).toBe('unknown_scope');
    expect(await errorCode(svc.mint('report', 'a/b', 10))).toBe('invalid_resource');
    expect(await errorCode(svc.mint('report', '..', 10))).toBe('invalid_resource');
    // A token whose scope is no longer registered.
    const t = await svc.mint('report', 'r-1', 60);
    const other = new TempTokenService(store, clock, new TempTokenRegistry());
    expect(await errorCode(other.validate(t.token, 'GET', '/reports/r-1'))).toBe('unknown_scope');
  });

  test('expiry (controllable clock), unknown and tampered tokens', async () => {
    const t = await svc.mint('report', 'r-7', 60);
    clock.advance(59);
    expect(await errorCode(svc.validate(t.token, 'GET', '/reports/r-7'))).toBe('ok');
    clock.advance(1);
    expect(await errorCode(svc.validate(t.token, 'GET', '/reports/r-7'))).toBe('expired');
    for (const bad of ['', 'garbage', 'tt_x.y', `${t.token.slice(0, -3)}AAA`])
      expect(await errorCode(svc.validate(bad, 'GET', '/reports/r-7'))).toBe('not_found');
  });

  test('route matching never widens: encoded slashes, dot segments, double slashes, trailing slash, other ids and methods', async () => {
    const t = await svc.mint('report', 'r-9', 600);
    const refused = [
      ['GET', '/reports/r-9/'],
      ['GET', '/reports/r-9/answer'],
      ['GET', '/reports/r-10'],
      ['GET', '/reports/r-9%2F..%2Fr-10'],
      ['GET', '/reports/r-9/../r-10'],
      ['GET', '/reports/x/../r-9'],
      ['GET', '/reports//r-9'],
      ['GET', '//reports/r-9'],
      ['GET', '/reports/%2e%2e/r-9'],
      ['GET', '/reports/r-9%00'],
      ['GET', '/reports\\r-9'],
      ['GET', '/REPORTS/r-9'],
      ['POST', '/reports/r-9'],
      ['DELETE', '/reports/r-9'],
      ['GET', 'reports/r-9'],
    ];
    for (const [m, p] of refused) expect([m, p, await errorCode(svc.validate(t.token, m!, p!))]).toEqual([m, p, 'route_not_allowed']);
    expect(await errorCode(svc.validate(t.token, 'GET', '/reports/r-9?x=1'))).toBe('ok'); // the query is not part of the route
    expect(await errorCode(svc.validate(t.token, 'GET', '/reports/r%2D9'))).toBe('ok'); // an encoded unreserved character is the same path
    expect(normalizePath('/a/./b')).toBeNull();
  });

  test('single use: of ten concurrent validations exactly one wins, then the token is spent', async () => {
    const t = await svc.mint('once', 'f-1', 600);
    const results = await Promise.all(Array.from({ length: 10 }, () => errorCode(svc.validate(t.token, 'POST', '/flows/f-1/finish'))));
    expect(results.filter((r) => r === 'ok').length).toBe(1);
    expect(await errorCode(svc.validate(t.token, 'POST', '/flows/f-1/finish'))).toBe('not_found');
    // A refused route does not spend a single-use token.
    const u = await svc.mint('once', 'f-2', 600);
    expect(await errorCode(svc.validate(u.token, 'POST', '/flows/f-3/finish'))).toBe('route_not_allowed');
    expect(await errorCode(svc.validate(u.token, 'POST', '/flows/f-2/finish'))).toBe('ok');
  });

  test('deleteByResource and deleteExpired; the sweeper removes expired tokens', async () => {
    const a = await svc.mint('report', 'gone', 600);
    await svc.mint('report', 'gone', 600);
    const keep = await svc.mint('report', 'kept', 600);
    expect(await svc.deleteByResource('report', 'gone')).toBe(2);
    expect(await svc.deleteByResource('', 'gone')).toBe(0);
    expect(await errorCode(svc.validate(a.token, 'GET', '/reports/gone'))).toBe('not_found');
    expect(await errorCode(svc.validate(keep.token, 'GET', '/reports/kept'))).toBe('ok');
    const short = await svc.mint('report', 'short', 10);
    clock.advance(11);
    const now = Math.floor(clock.nowMs() / 1000);
    const swept = await store.sweep(now, 0);
    expect(swept.tempTokens).toBeGreaterThanOrEqual(1);
    expect(await store.tempTokens.get(short.id)).toBeNull();
    expect(await svc.deleteExpired(now + 10_000)).toBeGreaterThanOrEqual(1);
  });

  test('TEMP_TOKEN_SCOPES declarations parse; bad ones stop the start with the reason', async () => {
    const scopes = parseScopeDeclarations(
      JSON.stringify([{ name: 'report', routes: [{ method: 'GET', path: '/r/{id}' }], max_ttl: '15m', single_use: true }]),
      parseDuration,
    );
    expect(scopes[0]).toMatchObject({ name: 'report', maxTtl: 900, singleUse: true });
    expect(() => parseScopeDeclarations('{', parseDuration)).toThrow('not valid JSON');
    expect(() =>
      buildRegistry(
        parseScopeDeclarations(JSON.stringify([{ name: 'set_password', routes: [{ method: 'GET', path: '/x/{id}' }], max_ttl: 60 }]), parseDuration),
      ),
    ).toThrow('twice');
    const r = await runAuth(['server'], { env: { DATA_DIR: tempDir(), PORT: '0', TEMP_TOKEN_SCOPES: '[{"name":"x","routes":[],"max_ttl":60}]' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('TEMP_TOKEN_SCOPES');
    expect(r.stderr).toContain('no routes');
  });
});

describe('invitation and password-reset links', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
  });
  afterAll(() => srv.close());

  const cli = (args: string[]) => runAuth(args, { env: srv.cliEnv });
  const linkOf = (out: string) => {
    const url = new URL(out.split('\n')[0]!);
    return { path: url.pathname, token: url.hash.slice('#t='.length), url };
  };
  const setPassword = (path: string, token: string | null, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(srv.base + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Temp-Token': token } : {}), ...headers },
      body: JSON.stringify(body),
    });

  test('auth users invite prints a link that sets the password exactly once', async () => {
    const r = await cli(['users', 'invite', 'nina', '--email', 'nina@example.com', '--ttl', '2h']);
    expect(r.code).toBe(0);
    const { path, token, url } = linkOf(r.stdout);
    expect(url.origin).toBe(srv.base);
    expect(token).toMatch(/^tt_/);
    const page = await fetch(srv.base + path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/static/temp-token.js');
    const ok = await setPassword(path, token, { password: 'nina new password', confirm: 'nina new password' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, username: 'nina' });
    expect((await setPassword(path, token, { password: 'another password!' })).status).toBe(401); // twice
    expect((await new Browser(srv.base).login('nina', 'nina new password')).status).toBe(303);
    expect(srv.logs.join('\n')).not.toContain(token);
    expect((await cli(['users', 'invite', 'nina'])).stderr).toContain('exists');
  });

  test('a bad password does not spend the link', async () => {
    const { path, token } = linkOf((await cli(['users', 'invite', 'omar'])).stdout);
    const short = await setPassword(path, token, { password: 'short' });
    expect(short.status).toBe(400);
    expect((await setPassword(path, token, { password: 'long enough one', confirm: 'different one!!' })).status).toBe(400);
    expect((await setPassword(path, token, { password: 'long enough one', confirm: 'long enough one' })).status).toBe(200);
  });

  test("reset-password: refused on another user's route, after expiry, without the token, with a session", async () => {
    await addUser(srv, 'pia', 'pia old password');
    await addUser(srv, 'quinn', 'quinn password!');
    const quinn = await srv.deps.store.users.getByUsername('quinn');
    const { path, token } = linkOf((await cli(['users', 'reset-password', 'pia'])).stdout);
    expect((await setPassword(`/set-password/${quinn!.id}`, token, { password: 'hijacked password' })).status).toBe(401);
    expect((await setPassword(path, null, { password: 'no token password' })).status).toBe(401);
    expect((await setPassword(path, token, { password: 'with session!!' }, { Cookie: 'auth_session=ss_x.y' })).status).toBe(401);
    expect((await setPassword(path, token, { password: 'with bearer!!!' }, { Authorization: 'Bearer x' })).status).toBe(401);
    // A session of pia's ends when her password is reset.
    const b = new Browser(srv.base);
    await b.login('pia', 'pia old password');
    expect((await setPassword(path, token, { password: 'pia new password' })).status).toBe(200);
    expect(await (await b.get('/')).text()).toContain('not signed in');
    const late = linkOf((await cli(['users', 'reset-password', 'pia', '--ttl', '5m'])).stdout);
    // The CLI mints on wall-clock time while this server's clock stands still: jump well past 5 minutes.
    srv.clock.advance(900);
    expect((await setPassword(late.path, late.token, { password: 'too late password' })).status).toBe(401);
    expect((await cli(['users', 'reset-password', 'nobody'])).code).toBe(1);
    expect((await cli(['users', 'invite', 'x', '--ttl', '30d'])).stderr).toContain('at most');
  });

  test('Chromium: the page takes the token from the fragment, removes it from the address bar, and sets the password', async () => {
    const { url } = linkOf((await cli(['users', 'invite', 'rhea'])).stdout);
    const chromium = await launchChromium();
    try {
      const page = await chromium.newPage();
      const requests: string[] = [];
      page.on('request', (r) => requests.push(`${r.url()} ${JSON.stringify(r.headers())}`));
      await page.goto(url.toString().replace(srv.base, srv.url));
      await page.waitForLoadState('domcontentloaded');
      expect(page.url()).not.toContain('#t=');
      await page.fill('#password', 'rhea password 1');
      await page.fill('#confirm', 'rhea password 1');
      await page.click('button[type=submit]');
      await page.waitForSelector('text=Password set for rhea');
      expect(requests.some((r) => r.includes('/set-password/') && r.includes('x-temp-token'))).toBe(true);
      expect(requests.every((r) => !r.split(' ')[0]!.includes('tt_'))).toBe(true); // never in a URL
    } finally {
      await chromium.close();
    }
    expect((await new Browser(srv.base).login('rhea', 'rhea password 1')).status).toBe(303);
  });
});

describe('HTTP API for resource servers', () => {
  const ADMIN = 'admin-token-0123456789abcdef';
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({
      ADMIN_TOKEN: ADMIN,
      TEMP_TOKEN_SCOPES: JSON.stringify([{ name: 'report', routes: [{ method: 'GET', path: '/reports/{id}' }], max_ttl: '15m' }]),
    });
  });
  afterAll(() => srv.close());
  const api = (method: string, path: string, body?: unknown, token: string | null = ADMIN) =>
    fetch(srv.base + path, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  test('mint, validate, delete by resource', async () => {
    const minted = await api('POST', '/temp-tokens', { scope: 'report', resource_id: 'r-1', ttl: '10m' });
    expect(minted.status).toBe(201);
    const { token, expires_at } = await minted.json();
    expect(expires_at - Math.floor(srv.clock.nowMs() / 1000)).toBe(600);
    const ok = await api('POST', '/temp-tokens/validate', { token, method: 'GET', path: '/reports/r-1' });
    expect(await ok.json()).toMatchObject({ scope: 'report', resource_id: 'r-1' });
    const bad = await api('POST', '/temp-tokens/validate', { token, method: 'GET', path: '/reports/r-2' });
    expect(bad.status).toBe(401);
    expect((await bad.json()).error).toBe('route_not_allowed');
    expect(await (await api('DELETE', '/temp-tokens?scope=report&resource_id=r-1')).json()).toEqual({ deleted: 1 });
    expect((await api('POST', '/temp-tokens/validate', { token, method: 'GET', path: '/reports/r-1' })).status).toBe(401);
  });

  test('bad input: unknown scope, TTL over the max, set_password refused, malformed JSON, missing fields', async () => {
    expect((await (await api('POST', '/temp-tokens', { scope: 'nope', resource_id: 'r', ttl: 60 })).json()).error).toBe('unknown_scope');
    expect((await (await api('POST', '/temp-tokens', { scope: 'report', resource_id: 'r', ttl: '1h' })).json()).error).toBe('ttl_out_of_range');
    expect((await api('POST', '/temp-tokens', { scope: 'set_password', resource_id: 'r', ttl: 60 })).status).toBe(400);
    const raw = await fetch(`${srv.base}/temp-tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN}` },
      body: '{',
    });
    expect(raw.status).toBe(400);
    expect((await api('POST', '/temp-tokens', { scope: 'report' })).status).toBe(400);
    expect((await api('DELETE', '/temp-tokens?scope=report')).status).toBe(400);
  });

  test('wrong or missing admin token: 401; ADMIN_TOKEN unset: 503', async () => {
    expect((await api('POST', '/temp-tokens', { scope: 'report', resource_id: 'r', ttl: 60 }, null)).status).toBe(401);
    expect((await api('POST', '/temp-tokens', { scope: 'report', resource_id: 'r', ttl: 60 }, 'wrong-wrong-wrong-wrong')).status).toBe(401);
    expect((await api('DELETE', '/temp-tokens?scope=report&resource_id=r', undefined, 'nope')).status).toBe(401);
    const off = await startTestServer();
    try {
      const r = await fetch(`${off.base}/temp-tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      expect(r.status).toBe(503);
    } finally {
      await off.close();
    }
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow('ADMIN_TOKEN');
  });
});
