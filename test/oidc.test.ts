// OpenID Connect provider (issue 20): ID tokens from the code, refresh and device grants, the OIDC
// authorization parameters, userinfo, discovery, RP-initiated logout and the registration members — over
// real HTTP against the server, ID tokens verified with jose against the published JWKS.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { addClient, addUser, basic, Browser, codeFrom, hiddenValue, pkcePair, postForm } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const CB = 'https://rp.example/cb';
const LOGOUT = 'https://rp.example/logged-out';
const SALT = 'pairwise-salt-for-tests-0123456789abcdef';
let srv: TestServer;
let conf: Awaited<ReturnType<typeof addClient>>;
let alice: Awaited<ReturnType<typeof addUser>>;
let bob: Awaited<ReturnType<typeof addUser>>;

beforeAll(async () => {
  srv = await startTestServer({ PAIRWISE_SALT: SALT });
  alice = await addUser(srv, 'alice', 'correct horse battery', { email: 'alice@example.com' });
  bob = await addUser(srv, 'bob');
  conf = await addClient(srv, {
    redirectUris: [CB],
    firstParty: true,
    postLogoutRedirectUris: [LOGOUT],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
  });
});
afterAll(() => srv.close());

const jwks = async () => createLocalJWKSet(await (await fetch(`${srv.base}/jwks.json`)).json());
async function verifyIdToken(token: string, audience = conf.client.id): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, await jwks(), { issuer: srv.base, audience, currentDate: new Date(srv.clock.nowMs()) });
  return payload;
}
const atHash = (at: string) => Buffer.from(createHash('sha256').update(at).digest().subarray(0, 16)).toString('base64url');

/** A signed-in browser's code for `params` (PKCE), exchanged by the confidential client. */
async function codeFlow(browser: Browser, params: Record<string, string> = {}, clientId = conf.client.id, secret = conf.secret!) {
  const { verifier, challenge } = pkcePair();
  const res = await browser.authorize({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: CB,
    scope: 'openid profile email offline_access',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...params,
  });
  const { code } = codeFrom(res);
  const token = await postForm(
    `${srv.base}/token`,
    { grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier },
    basic(clientId, secret),
  );
  expect(token.status).toBe(200);
  return (await token.json()) as { access_token: string; id_token?: string; refresh_token?: string; scope: string };
}

/** Sign in again over a live session (the form with force=1). */
async function signInAgain(b: Browser, user = alice): Promise<void> {
  const html = await (await b.get('/login?force=1')).text();
  expect((await b.post('/login', { csrf: hiddenValue(html, 'csrf')!, username: user.username, password: user.password, next: '/' })).status).toBe(303);
}

async function signedIn(user = alice): Promise<Browser> {
  const b = new Browser(srv.base);
  expect((await b.login(user.username, user.password)).status).toBe(303);
  return b;
}

describe('ID tokens (OIDC Core §2, §3.1.3.6)', () => {
  test('the code flow returns an RS256 ID token with every required claim, nonce echoed, at_hash, sid, amr', async () => {
    const b = await signedIn();
    const t = await codeFlow(b, { nonce: 'n-0S6_WzA2Mj' });
    expect(decodeProtectedHeader(t.id_token!)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const c = await verifyIdToken(t.id_token!);
    expect(c).toMatchObject({ iss: srv.base, sub: alice.id, aud: conf.client.id, azp: conf.client.id, nonce: 'n-0S6_WzA2Mj', amr: ['pwd'] });
    expect(c.at_hash).toBe(atHash(t.access_token));
    expect(typeof c.sid).toBe('string');
    expect(c.auth_time).toBeNumber();
    expect(c.exp! - c.iat!).toBe(srv.deps.config.accessTokenTtl);
    // Scope claims go to userinfo when an access token is issued (§5.4), not into the ID token.
    expect(c.email).toBeUndefined();
  });

  test('without openid no ID token: plain OAuth clients are unchanged', async () => {
    const b = await signedIn();
    const t = await codeFlow(b, { scope: 'profile' });
    expect(t.id_token).toBeUndefined();
  });

  test('no nonce in the request → none in the ID token', async () => {
    const t = await codeFlow(await signedIn());
    expect((await verifyIdToken(t.id_token!)).nonce).toBeUndefined();
  });

  test('refresh returns a new ID token with the original auth_time, sub, aud and nonce (§12.2)', async () => {
    const b = await signedIn();
    const first = await codeFlow(b, { nonce: 'keep-me' });
    const c1 = await verifyIdToken(first.id_token!);
    srv.clock.advance(30);
    const r = await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: first.refresh_token! }, basic(conf.client.id, conf.secret!));
    const t = (await r.json()) as { id_token: string; access_token: string; refresh_token: string };
    const c2 = await verifyIdToken(t.id_token);
    expect(c2).toMatchObject({ sub: c1.sub, aud: c1.aud, auth_time: c1.auth_time, nonce: 'keep-me', sid: c1.sid });
    expect(c2.iat).toBe(c1.iat! + 30);
    expect(c2.at_hash).toBe(atHash(t.access_token));
    // Narrowed without openid: no ID token.
    const narrow = await postForm(
      `${srv.base}/token`,
      { grant_type: 'refresh_token', refresh_token: t.refresh_token, scope: 'profile' },
      basic(conf.client.id, conf.secret!),
    );
    expect(((await narrow.json()) as { id_token?: string }).id_token).toBeUndefined();
  });

  test('the device grant returns an ID token for the approving user', async () => {
    const device = await addClient(srv, { isPublic: true, redirectUris: [], grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'], firstParty: true });
    const start = (await (await postForm(`${srv.base}/device_authorization`, { client_id: device.client.id, scope: 'openid email' })).json()) as {
      device_code: string;
      user_code: string;
    };
    const b = await signedIn();
    const page = await b.get(`/device?user_code=${start.user_code}`);
    const entry = await b.post('/device', { csrf: hiddenValue(await page.text(), 'csrf')!, user_code: start.user_code });
    await b.post('/device/confirm', { csrf: hiddenValue(await entry.text(), 'csrf')!, user_code: start.user_code, decision: 'approve' });
    const t = (await (
      await postForm(`${srv.base}/token`, {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: start.device_code,
        client_id: device.client.id,
      })
    ).json()) as { id_token: string };
    const c = await verifyIdToken(t.id_token, device.client.id);
    expect(c).toMatchObject({ sub: alice.id, amr: ['pwd'] });
    expect(c.nonce).toBeUndefined();
  });

  test('id_token_signed_response_alg selects the access-token key (ES256); the JWKS holds both keys', async () => {
    const reg = await fetch(`${srv.base}/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [CB], client_name: 'ES', id_token_signed_response_alg: 'ES256', scope: 'openid' }),
    });
    expect(reg.status).toBe(201);
    const client = (await reg.json()) as { client_id: string; id_token_signed_response_alg: string };
    expect(client.id_token_signed_response_alg).toBe('ES256');
    const b = await signedIn();
    const { verifier, challenge } = pkcePair();
    // A registered client asks for consent first.
    const consent = await b.authorize({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: CB,
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const { code } = codeFrom(await b.decide(consent, 'allow'));
    const t = (await (
      await postForm(`${srv.base}/token`, { grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier, client_id: client.client_id })
    ).json()) as { id_token: string };
    expect(decodeProtectedHeader(t.id_token).alg).toBe('ES256');
    await verifyIdToken(t.id_token, client.client_id);
    const keys = ((await (await fetch(`${srv.base}/jwks.json`)).json()) as { keys: { alg: string; kty: string; d?: string }[] }).keys;
    expect(keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(keys.every((k) => k.d === undefined)).toBe(true);
  });
});

describe('authorization request parameters (OIDC Core §3.1.2.1)', () => {
  const base = () => {
    const { challenge } = pkcePair();
    return { response_type: 'code', client_id: conf.client.id, redirect_uri: CB, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' };
  };
  const errorOf = (res: Response) => new URL(res.headers.get('location')!).searchParams;

  test('prompt=none without a session: login_required, redirected with state', async () => {
    const res = await new Browser(srv.base).authorize({ ...base(), prompt: 'none', state: 's1' });
    expect(res.status).toBe(302);
    expect(Object.fromEntries(errorOf(res))).toMatchObject({ error: 'login_required', state: 's1', iss: srv.base });
  });

  test('prompt=none with a session answers at once; prompt=login and select_account ask to sign in again', async () => {
    const b = await signedIn();
    expect(codeFrom(await b.authorize({ ...base(), prompt: 'none' })).code).toStartWith('ac_');
    for (const prompt of ['login', 'select_account']) {
      const res = await b.get(`/authorize?${new URLSearchParams({ ...base(), prompt })}`);
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!, srv.base);
      expect(loc.pathname).toBe('/login');
      expect(loc.searchParams.get('force')).toBe('1');
      expect(loc.searchParams.get('next')).not.toContain('prompt=');
    }
  });

  test('max_age: an older sign-in is done again and auth_time moves; with prompt=none login_required', async () => {
    const b = await signedIn();
    const before = await verifyIdToken((await codeFlow(b)).id_token!);
    srv.clock.advance(5);
    const res = await b.get(`/authorize?${new URLSearchParams({ ...base(), max_age: '1' })}`);
    expect(new URL(res.headers.get('location')!, srv.base).pathname).toBe('/login');
    const none = await b.authorize({ ...base(), max_age: '1', prompt: 'none' });
    expect(errorOf(none).get('error')).toBe('login_required');
    // Signing in again satisfies it; the new ID token says when.
    await signInAgain(b);
    const after = await verifyIdToken((await codeFlow(b, { max_age: '1' })).id_token!);
    expect(after.auth_time).toBe((before.auth_time as number) + 5);
    // max_age=10000 with a recent sign-in: no prompt.
    expect(codeFrom(await b.authorize({ ...base(), max_age: '10000' })).code).toBeTruthy();
    const bad = await b.authorize({ ...base(), max_age: 'soon' });
    expect(errorOf(bad).get('error')).toBe('invalid_request');
  });

  test('id_token_hint: ours (even expired) names the user; another user → login_required with prompt=none', async () => {
    const ab = await signedIn(alice);
    const hint = (await codeFlow(ab)).id_token!;
    srv.clock.advance(srv.deps.config.accessTokenTtl + 60); // the hint has expired: still accepted
    await signInAgain(ab);
    expect(codeFrom(await ab.authorize({ ...base(), prompt: 'none', id_token_hint: hint })).code).toBeTruthy();
    const bb = await signedIn(bob);
    const other = await bb.authorize({ ...base(), prompt: 'none', id_token_hint: hint, state: 'x' });
    expect(Object.fromEntries(errorOf(other))).toMatchObject({ error: 'login_required', state: 'x' });
    // Without prompt=none: sign in again.
    const again = await bb.get(`/authorize?${new URLSearchParams({ ...base(), id_token_hint: hint })}`);
    expect(new URL(again.headers.get('location')!, srv.base).pathname).toBe('/login');
    // Not ours: invalid_request.
    const forged = `${hint.split('.').slice(0, 2).join('.')}.${'A'.repeat(342)}`;
    expect(errorOf(await bb.authorize({ ...base(), id_token_hint: forged })).get('error')).toBe('invalid_request');
  });

  test('login_hint prefills the sign-in form; ui_locales, display, acr_values and unknown parameters are ignored', async () => {
    const res = await new Browser(srv.base).authorize({
      ...base(),
      login_hint: 'alice',
      ui_locales: 'fr-CA fr',
      display: 'popup',
      acr_values: 'x',
      foo: 'bar',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('value="alice"');
  });

  test('request and request_uri: request_not_supported / request_uri_not_supported (§6)', async () => {
    const b = await signedIn();
    expect(errorOf(await b.authorize({ ...base(), request: 'eyJhbGciOiJub25lIn0.e30.' })).get('error')).toBe('request_not_supported');
    expect(errorOf(await b.authorize({ ...base(), request_uri: 'https://rp.example/r' })).get('error')).toBe('request_uri_not_supported');
  });

  test('claims parameter: id_token members come in the ID token, userinfo members at userinfo; malformed → invalid_request', async () => {
    const b = await signedIn();
    const claims = JSON.stringify({ id_token: { email: { essential: true }, unknown_claim: null }, userinfo: { name: null } });
    const t = await codeFlow(b, { scope: 'openid offline_access', claims });
    const c = await verifyIdToken(t.id_token!);
    expect(c.email).toBe('alice@example.com');
    expect(c.unknown_claim).toBeUndefined();
    const ui = (await (await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${t.access_token}` } })).json()) as Record<string, unknown>;
    expect(ui).toEqual({ sub: alice.id }); // no name held for alice; email not asked for at userinfo
    for (const bad of ['{', '[]', '{"id_token":[]}', '{"id_token":{"email":1}}']) {
      expect(errorOf(await b.authorize({ ...base(), claims: bad })).get('error')).toBe('invalid_request');
    }
  });
});

describe('UserInfo (OIDC Core §5.3)', () => {
  let tokens: { access_token: string; id_token?: string };
  beforeAll(async () => {
    tokens = await codeFlow(await signedIn());
  });

  test('GET and POST with a bearer header, POST with a form body: sub and the claims of the scopes', async () => {
    const expected = { sub: alice.id, preferred_username: 'alice', email: 'alice@example.com', email_verified: true, updated_at: alice.createdAt };
    const get = await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}`, Origin: 'https://spa.example' } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
    expect(await get.json()).toEqual(expected);
    const post = await fetch(`${srv.base}/userinfo`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(await post.json()).toEqual(expected);
    const form = await postForm(`${srv.base}/userinfo`, { access_token: tokens.access_token });
    expect(await form.json()).toEqual(expected);
  });

  test('errors: none (bare challenge), malformed, expired, revoked, refresh token, no openid, two methods', async () => {
    const none = await fetch(`${srv.base}/userinfo`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="auth"');
    const bad = await fetch(`${srv.base}/userinfo`, { headers: { Authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const both = await postForm(`${srv.base}/userinfo`, { access_token: tokens.access_token }, { Authorization: `Bearer ${tokens.access_token}` });
    expect(both.status).toBe(400);
    // Without openid: 403 insufficient_scope.
    const plain = await codeFlow(await signedIn(), { scope: 'profile' });
    const forbidden = await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${plain.access_token}` } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    // A client_credentials token has no user.
    const machine = await addClient(srv, { grantTypes: ['client_credentials'], redirectUris: [] });
    const cc = (await (await postForm(`${srv.base}/token`, { grant_type: 'client_credentials' }, basic(machine.client.id, machine.secret!))).json()) as {
      access_token: string;
    };
    expect((await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${cc.access_token}` } })).status).toBe(403);
    // Revoked (its family) → 401.
    const fresh = await codeFlow(await signedIn());
    await postForm(`${srv.base}/revoke`, { token: fresh.refresh_token! }, basic(conf.client.id, conf.secret!));
    expect((await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${fresh.access_token}` } })).status).toBe(401);
    // A refresh token is not an access token.
    const other = await codeFlow(await signedIn());
    expect((await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${other.refresh_token}` } })).status).toBe(401);
    // Expired.
    srv.clock.advance(srv.deps.config.accessTokenTtl + 1);
    expect((await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
  });

  test('a token whose audience is a resource server (RFC 8707) still reaches userinfo; a foreign token does not', async () => {
    const s2 = await startTestServer({ RESOURCES: 'https://api.example' });
    try {
      const u = await addUser(s2, 'carol');
      const c = await addClient(s2, { redirectUris: [CB], firstParty: true });
      const b = new Browser(s2.base);
      await b.login('carol', u.password);
      const { verifier, challenge } = pkcePair();
      const res = await b.authorize({
        response_type: 'code',
        client_id: c.client.id,
        redirect_uri: CB,
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        resource: 'https://api.example',
      });
      const t = (await (
        await postForm(
          `${s2.base}/token`,
          { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: CB, code_verifier: verifier },
          basic(c.client.id, c.secret!),
        )
      ).json()) as { access_token: string };
      const ui = await fetch(`${s2.base}/userinfo`, { headers: { Authorization: `Bearer ${t.access_token}` } });
      expect(await ui.json()).toEqual({ sub: u.id });
      // A well-formed token of another server (another issuer, keys we do not publish): invalid_token here.
      const foreign = await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${t.access_token}` } });
      expect(foreign.status).toBe(401);
      expect(foreign.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      await s2.close();
    }
  });
});

describe('pairwise subjects (OIDC Core §8)', () => {
  test('a pairwise client sees a per-sector sub in the ID token and at userinfo; public clients the user id', async () => {
    const reg = (await (
      await fetch(`${srv.base}/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [CB], subject_type: 'pairwise', scope: 'openid' }),
      })
    ).json()) as { client_id: string; subject_type: string };
    expect(reg.subject_type).toBe('pairwise');
    const b = await signedIn();
    const { verifier, challenge } = pkcePair();
    const consent = await b.authorize({
      response_type: 'code',
      client_id: reg.client_id,
      redirect_uri: CB,
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const { code } = codeFrom(await b.decide(consent, 'allow'));
    const t = (await (
      await postForm(`${srv.base}/token`, { grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier, client_id: reg.client_id })
    ).json()) as { id_token: string; access_token: string };
    const c = await verifyIdToken(t.id_token, reg.client_id);
    expect(c.sub).not.toBe(alice.id);
    expect(c.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ui = (await (await fetch(`${srv.base}/userinfo`, { headers: { Authorization: `Bearer ${t.access_token}` } })).json()) as { sub: string };
    expect(ui.sub).toBe(c.sub!);
  });
});

describe('discovery (OIDC Discovery §3)', () => {
  test('openid-configuration has every REQUIRED field and the OIDC ones; the RFC 8414 document stays OAuth-only', async () => {
    const d = (await (await fetch(`${srv.base}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(d).toMatchObject({
      issuer: srv.base,
      authorization_endpoint: `${srv.base}/authorize`,
      token_endpoint: `${srv.base}/token`,
      userinfo_endpoint: `${srv.base}/userinfo`,
      jwks_uri: `${srv.base}/jwks.json`,
      end_session_endpoint: `${srv.base}/end-session`,
      response_types_supported: ['code'],
      subject_types_supported: ['public', 'pairwise'],
      claims_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(d.id_token_signing_alg_values_supported).toContain('RS256');
    expect(d.scopes_supported).toContain('openid');
    expect(d.claims_supported).toEqual(expect.arrayContaining(['sub', 'email', 'email_verified', 'preferred_username', 'auth_time']));
    const oauth = (await (await fetch(`${srv.base}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(oauth.userinfo_endpoint).toBeUndefined();
    expect(oauth.issuer).toBe(srv.base);
  });
});

describe('RP-initiated logout (OpenID RP-Initiated Logout 1.0)', () => {
  test('with an id_token_hint of the signed-in user: the session ends, back to the registered URI with state', async () => {
    const b = await signedIn();
    const { id_token } = await codeFlow(b);
    const res = await b.get(`/end-session?${new URLSearchParams({ id_token_hint: id_token!, post_logout_redirect_uri: LOGOUT, state: 'bye' })}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${LOGOUT}?state=bye`);
    // Signed out: prompt=none now fails.
    const { challenge } = pkcePair();
    const after = await b.authorize({
      response_type: 'code',
      client_id: conf.client.id,
      redirect_uri: CB,
      scope: 'openid',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      prompt: 'none',
    });
    expect(new URL(after.headers.get('location')!).searchParams.get('error')).toBe('login_required');
  });

  test('without a hint: a confirmation page (CSRF-checked); confirming ends the session', async () => {
    const b = await signedIn();
    const page = await b.get(`/end-session?client_id=${conf.client.id}&post_logout_redirect_uri=${encodeURIComponent(LOGOUT)}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Sign out?');
    const form = {
      client_id: conf.client.id,
      post_logout_redirect_uri: LOGOUT,
      state: '',
      decision: 'logout',
    };
    expect((await b.post('/end-session/confirm', form)).status).toBe(403); // no CSRF token
    const ok = await b.post('/end-session/confirm', { ...form, csrf: hiddenValue(html, 'csrf')! });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe(LOGOUT);
    expect((await b.get('/account')).headers.get('location')).toStartWith('/login');
  });

  test('POST from the relying party works like GET; no session: straight to the signed-out page', async () => {
    const res = await postForm(`${srv.base}/end-session`, {});
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Signed out');
  });

  test('an unregistered post_logout_redirect_uri, an unknown client, a foreign hint: an error page, never a redirect', async () => {
    const b = await signedIn();
    const { id_token } = await codeFlow(b);
    const cases: Record<string, string>[] = [
      { client_id: conf.client.id, post_logout_redirect_uri: 'https://evil.example/' },
      { post_logout_redirect_uri: LOGOUT },
      { client_id: 'nope' },
      { id_token_hint: 'not.a.token' },
      { id_token_hint: id_token!, client_id: 'another' },
    ];
    for (const q of cases) {
      const res = await b.get(`/end-session?${new URLSearchParams(q)}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/html');
    }
    // Still signed in.
    expect((await b.get('/account')).status).toBe(200);
  });
});

describe('registration members (OIDC Dynamic Client Registration 1.0 §2)', () => {
  const register = (body: Record<string, unknown>) =>
    fetch(`${srv.base}/register`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ redirect_uris: [CB], ...body }) });

  test('accepted members are registered and echoed', async () => {
    const res = await register({ post_logout_redirect_uris: [LOGOUT], default_max_age: 3600, require_auth_time: true, subject_type: 'public' });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ post_logout_redirect_uris: [LOGOUT], default_max_age: 3600, require_auth_time: true, subject_type: 'public' });
  });

  test('refused clearly: unknown algorithms, signed userinfo, sector_identifier_uri, bad logout URIs, wrong types', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ id_token_signed_response_alg: 'none' }, 'id_token_signed_response_alg must be one of RS256, ES256'],
      [{ id_token_signed_response_alg: 'HS256' }, 'id_token_signed_response_alg'],
      [{ userinfo_signed_response_alg: 'RS256' }, 'userinfo answers are JSON'],
      [{ sector_identifier_uri: 'https://rp.example/sector' }, 'sector_identifier_uri is not supported'],
      [{ subject_type: 'secret' }, 'subject_type must be public or pairwise'],
      [{ subject_type: 'pairwise', redirect_uris: [CB, 'https://other.example/cb'] }, 'one host'],
      [{ post_logout_redirect_uris: ['http://evil.example/'] }, 'post_logout_redirect_uris'],
      [{ default_max_age: -1 }, 'default_max_age must be a whole number'],
      [{ require_auth_time: 'yes' }, 'require_auth_time must be true or false'],
    ];
    for (const [body, message] of cases) {
      const res = await register(body);
      expect(res.status).toBe(400);
      const e = (await res.json()) as { error: string; error_description: string };
      expect(e.error).toBe('invalid_client_metadata');
      expect(e.error_description).toContain(message);
    }
  });

  test('default_max_age applies when the request has no max_age', async () => {
    const reg = (await (await register({ default_max_age: 1, scope: 'openid' })).json()) as { client_id: string };
    const b = await signedIn();
    srv.clock.advance(5);
    const { challenge } = pkcePair();
    const res = await b.get(
      `/authorize?${new URLSearchParams({ response_type: 'code', client_id: reg.client_id, redirect_uri: CB, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    );
    expect(new URL(res.headers.get('location')!, srv.base).pathname).toBe('/login');
  });
});

describe('keys', () => {
  test('`auth keys rotate` rotates both kinds; the old RS256 key stays published and old ID tokens still verify', async () => {
    const { rotateSigningKey } = await import('../src/domain/keys.ts');
    const t = await codeFlow(await signedIn());
    const oldKid = decodeProtectedHeader(t.id_token!).kid;
    await rotateSigningKey(srv.deps.store, srv.clock, 'RS256', srv.deps.config.accessTokenTtl);
    await srv.deps.keys.load(srv.deps.config.signingAlg);
    const t2 = await codeFlow(await signedIn());
    expect(decodeProtectedHeader(t2.id_token!).kid).not.toBe(oldKid);
    await verifyIdToken(t.id_token!);
    await verifyIdToken(t2.id_token!);
  });
});
