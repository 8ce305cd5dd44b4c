// Upstream sign-in through a real local OpenID Connect provider (test/helpers/upstream.ts): discovery,
// state + nonce + PKCE, ID token verification, account linking, allowed domains, a hanging provider.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { addClient, addUser, basic, Browser, codeFrom, hiddenValue, pkcePair, postForm } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { startFakeOidc, upstreamLogin, type FakeOidc } from './helpers/upstream.ts';

let idp: FakeOidc;
let srv: TestServer;
beforeAll(async () => {
  idp = await startFakeOidc();
  srv = await startTestServer({
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    OIDC_NAME: 'Acme SSO',
    UPSTREAM_ALLOW_HTTP: 'true',
    UPSTREAM_TIMEOUT: '1s',
  });
});
afterAll(async () => {
  await srv.close();
  idp.stop();
});

async function start(b: Browser, next = '/') {
  const page = await (await b.get(`/login?next=${encodeURIComponent(next)}`)).text();
  expect(page).toContain('Continue with Acme SSO');
  return hiddenValue(page, 'csrf')!;
}

describe('upstream OpenID Connect sign-in', () => {
  test('the provider gets state, nonce and an S256 challenge; a new account is created and linked', async () => {
    idp.nextUser = { sub: 'ada-1', email: 'ada@example.com', email_verified: true };
    const b = new Browser(srv.base);
    const res = await upstreamLogin(b, await start(b), 'oidc');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const req = idp.authorizeRequests.at(-1)!;
    expect(req.get('code_challenge_method')).toBe('S256');
    expect(req.get('nonce')!.length).toBeGreaterThan(20);
    expect(req.get('state')!.length).toBeGreaterThan(30);
    expect(req.get('redirect_uri')).toBe(`${srv.base}/callback/oidc`);
    expect(req.get('scope')).toContain('openid');
    const user = await srv.deps.store.users.getByIdentity('oidc', 'ada-1');
    expect(user).toMatchObject({ username: 'ada', email: 'ada@example.com', emailVerified: true, passwordHash: null });
    expect(await (await b.get('/')).text()).toContain('Signed in as');
    // Signing in again finds the same account.
    const again = new Browser(srv.base);
    await upstreamLogin(again, await start(again), 'oidc');
    expect((await srv.deps.store.users.list()).filter((u) => u.email === 'ada@example.com').length).toBe(1);
  });

  test("the provider's profile claims reach our userinfo; a change moves updated_at; a non-https picture is dropped", async () => {
    const app = await addClient(srv, { redirectUris: ['https://rp.example/cb'], firstParty: true });
    const userinfo = async () => {
      const b = new Browser(srv.base);
      await upstreamLogin(b, await start(b), 'oidc');
      const { verifier, challenge } = pkcePair();
      const res = await b.authorize({
        response_type: 'code',
        client_id: app.client.id,
        redirect_uri: 'https://rp.example/cb',
        scope: 'openid profile email',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      const t = (await (
        await postForm(
          `${srv.base}/token`,
          { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: 'https://rp.example/cb', code_verifier: verifier },
          basic(app.client.id, app.secret!),
        )
      ).json()) as { access_token: string; id_token: string };
      expect(t.id_token).toBeString();
      return (await (await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${t.access_token}` } })).json()) as Record<string, unknown>;
    };
    idp.nextUser = {
      sub: 'pat-1',
      email: 'pat@example.com',
      email_verified: true,
      name: 'Pat Lee',
      given_name: 'Pat',
      family_name: 'Lee',
      picture: 'https://img.example/p.png',
    };
    const first = await userinfo();
    expect(first).toMatchObject({
      name: 'Pat Lee',
      given_name: 'Pat',
      family_name: 'Lee',
      picture: 'https://img.example/p.png',
      email: 'pat@example.com',
      email_verified: true,
    });
    srv.clock.advance(60);
    idp.nextUser = { sub: 'pat-1', email: 'pat@example.com', email_verified: true, name: 'Pat Q. Lee', picture: 'http://img.example/p.png' };
    const second = await userinfo();
    expect(second).toMatchObject({ name: 'Pat Q. Lee' });
    expect(second.picture).toBeUndefined();
    expect(second.given_name).toBeUndefined();
    expect(second.updated_at).toBe((first.updated_at as number) + 60);
  });

  test('a verified email links to the existing local account; an unverified one does not', async () => {
    const local = await addUser(srv, 'grace', 'grace password', { email: 'grace@example.com' });
    idp.nextUser = { sub: 'grace-up', email: 'grace@example.com', email_verified: true };
    const b = new Browser(srv.base);
    await upstreamLogin(b, await start(b), 'oidc');
    expect((await srv.deps.store.users.getByIdentity('oidc', 'grace-up'))!.id).toBe(local.id);

    await addUser(srv, 'hopper', 'hopper password', { email: 'hopper@example.com' });
    idp.nextUser = { sub: 'hopper-fake', email: 'hopper@example.com', email_verified: false };
    const c = new Browser(srv.base);
    await upstreamLogin(c, await start(c), 'oidc');
    const linked = await srv.deps.store.users.getByIdentity('oidc', 'hopper-fake');
    expect(linked!.username).not.toBe('hopper');
  });

  test('an upstream login completes the original authorization request', async () => {
    const app = await addClient(srv, { name: 'App', redirectUris: ['https://app.example/cb'], firstParty: true });
    idp.nextUser = { sub: 'flow-1', email: 'flow@example.com', email_verified: true };
    const b = new Browser(srv.base);
    const { verifier, challenge } = pkcePair();
    const q = new URLSearchParams({
      response_type: 'code',
      client_id: app.client.id,
      redirect_uri: 'https://app.example/cb',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'up',
    });
    const loginPage = await b.get(`/authorize?${q}`);
    const next = new URL(loginPage.headers.get('location')!, srv.base).searchParams.get('next')!;
    const back = await upstreamLogin(b, await start(b, next), 'oidc', next);
    expect(back.headers.get('location')).toBe(next);
    const res = await b.get(next);
    const { code, state } = codeFrom(res);
    expect(state).toBe('up');
    const t = await postForm(
      `${srv.base}/token`,
      { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb', code_verifier: verifier },
      basic(app.client.id, app.secret!),
    );
    expect(t.status).toBe(200);
  });

  const rejected: [string, Partial<FakeOidc['tamper']>][] = [
    ['a wrong nonce', { nonce: 'other' }],
    ['another audience', { audience: 'someone-else' }],
    ['another issuer', { issuer: 'https://evil.example' }],
  ];
  for (const [name, tamper] of rejected) {
    test(`an ID token with ${name} is refused and no session is created`, async () => {
      idp.nextUser = { sub: `t-${name}`, email: 'x@example.com', email_verified: true };
      const b = new Browser(srv.base);
      const csrf = await start(b);
      idp.tamper = tamper;
      const res = await upstreamLogin(b, csrf, 'oidc');
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('please start again');
      expect(b.cookies.has('auth_session')).toBe(false);
      expect(await srv.deps.store.users.getByIdentity('oidc', `t-${name}`)).toBeNull();
    });
  }

  test('a callback without the browser-bound state cookie, or replayed, is refused', async () => {
    idp.nextUser = { sub: 'replay', email: 'r@example.com', email_verified: true };
    const b = new Browser(srv.base);
    const startRes = await b.post('/login/oidc', { csrf: await start(b), next: '/' });
    const atIdp = await fetch(startRes.headers.get('location')!, { redirect: 'manual' });
    const callback = atIdp.headers.get('location')!;
    const stranger = new Browser(srv.base);
    expect((await stranger.get(callback)).status).toBe(400);
    expect((await b.get(callback)).status).toBe(303);
    b.cookies.set('auth_upstream', new URL(callback).searchParams.get('state')!);
    expect((await b.get(callback)).status).toBe(400); // state is single use
  });

  test('the provider answering with an error shows a page', async () => {
    const res = await new Browser(srv.base).get('/callback/oidc?error=access_denied&state=x');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('cancelled');
  });

  test('a hanging provider times out with a clear 503 page (UPSTREAM_TIMEOUT)', async () => {
    idp.nextUser = { sub: 'slow', email: 's@example.com', email_verified: true };
    const b = new Browser(srv.base);
    const csrf = await start(b);
    idp.tamper = { hangMs: 2500 };
    const t0 = performance.now();
    const res = await upstreamLogin(b, csrf, 'oidc');
    expect(res.status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(2400);
    expect((await res.text()).toLowerCase()).toContain('failed');
  });
});

describe('ALLOWED_EMAIL_DOMAINS', () => {
  test('only verified emails in the allowed domains may sign in', async () => {
    const idp2 = await startFakeOidc();
    const s = await startTestServer({
      OIDC_ISSUER: idp2.issuer,
      OIDC_CLIENT_ID: idp2.clientId,
      OIDC_CLIENT_SECRET: idp2.clientSecret,
      UPSTREAM_ALLOW_HTTP: 'true',
      ALLOWED_EMAIL_DOMAINS: 'corp.example',
    });
    try {
      const login = async () => {
        const b = new Browser(s.base);
        const csrf = hiddenValue(await (await b.get('/login')).text(), 'csrf')!;
        return upstreamLogin(b, csrf, 'oidc');
      };
      idp2.nextUser = { sub: 'a', email: 'a@other.example', email_verified: true };
      expect((await login()).status).toBe(403);
      idp2.nextUser = { sub: 'b', email: 'b@corp.example', email_verified: false };
      expect((await login()).status).toBe(403);
      idp2.nextUser = { sub: 'c', email: 'c@corp.example', email_verified: true };
      expect((await login()).status).toBe(303);
    } finally {
      await s.close();
      idp2.stop();
    }
  });
});

test('an unreachable provider: the sign-in button answers 503, not 500', async () => {
  const s = await startTestServer({ OIDC_ISSUER: 'http://127.0.0.1:1', OIDC_CLIENT_ID: 'x', OIDC_CLIENT_SECRET: 'y', UPSTREAM_ALLOW_HTTP: 'true' });
  try {
    const b = new Browser(s.base);
    const csrf = hiddenValue(await (await b.get('/login')).text(), 'csrf')!;
    const res = await b.post('/login/oidc', { csrf, next: '/' });
    expect(res.status).toBe(503);
    expect((await b.post('/login/nope', { csrf, next: '/' })).status).toBe(403);
  } finally {
    await s.close();
  }
});
