// RFC 6749 §4.1 authorization code grant with RFC 7636 PKCE, RFC 8707 resource, RFC 9207 iss,
// consent and prompt handling — over real HTTP against the running server.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { addClient, addUser, basic, Browser, codeFrom, pkcePair, postForm } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { revocationKeys } from '../src/domain/tokens.ts';

let srv: TestServer;
let alice: Awaited<ReturnType<typeof addUser>>;
let conf: Awaited<ReturnType<typeof addClient>>; // confidential
let pub: Awaited<ReturnType<typeof addClient>>; // public
let fp: Awaited<ReturnType<typeof addClient>>; // first-party public
const CB = 'https://app.example/callback';
const LOOPBACK = 'http://127.0.0.1/callback';

beforeAll(async () => {
  srv = await startTestServer({ RESOURCES: 'https://mcp.example/mcp https://api.example' });
  alice = await addUser(srv, 'alice');
  conf = await addClient(srv, { name: 'Confidential', redirectUris: [CB] });
  pub = await addClient(srv, { name: 'Public CLI', redirectUris: [LOOPBACK], isPublic: true });
  fp = await addClient(srv, { name: 'First party', redirectUris: [CB], isPublic: true, firstParty: true });
});
afterAll(() => srv.close());

async function signedIn(): Promise<Browser> {
  const b = new Browser(srv.base);
  const r = await b.login('alice', alice.password);
  expect(r.status).toBe(303);
  return b;
}

const token = (form: Record<string, string | string[]>, headers: Record<string, string> = {}) => postForm(`${srv.base}/token`, form, headers);

describe('the code flow', () => {
  test('confidential client: login, consent, code with state and iss, token with client_secret_basic', async () => {
    const b = await signedIn();
    const { verifier, challenge } = pkcePair();
    const consent = await b.authorize({
      response_type: 'code',
      client_id: conf.client.id,
      redirect_uri: CB,
      state: 's1',
      scope: 'openid email',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource: 'https://mcp.example/mcp',
    });
    expect(consent.status).toBe(200);
    expect(consent.headers.get('cache-control')).toBe('no-store');
    const res = await b.decide(consent, 'allow');
    const { code, state, iss } = codeFrom(res);
    expect(state).toBe('s1');
    expect(iss).toBe(srv.base); // RFC 9207 §2
    const t = await token({ grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier }, basic(conf.client.id, conf.secret!));
    expect(t.status).toBe(200);
    expect(t.headers.get('cache-control')).toBe('no-store');
    const body = await t.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid email' });
    expect(body.refresh_token).toMatch(/^rt_/);
    // RFC 9068: a JWT verifiable against the published JWKS, aud = the resource.
    const jwks = createRemoteJWKSet(new URL(`${srv.base}/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(body.access_token, jwks, {
      issuer: srv.base,
      audience: 'https://mcp.example/mcp',
      currentDate: new Date(srv.clock.nowMs()),
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: alice.id, client_id: conf.client.id, scope: 'openid email' });
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  test('confidential client may authenticate with client_secret_post, without PKCE', async () => {
    const b = await signedIn();
    await b.decide(await b.authorize({ response_type: 'code', client_id: conf.client.id, redirect_uri: CB, prompt: 'consent' }), 'allow');
    const res = await b.authorize({ response_type: 'code', client_id: conf.client.id, redirect_uri: CB });
    const { code } = codeFrom(res);
    const t = await token({ grant_type: 'authorization_code', code, redirect_uri: CB, client_id: conf.client.id, client_secret: conf.secret! });
    expect(t.status).toBe(200);
    expect(decodeJwt((await t.json()).access_token).aud).toBe(srv.base); // default audience
  });

  test('public client: PKCE required, loopback redirect on any port, auth method none', async () => {
    const b = await signedIn();
    const { verifier, challenge } = pkcePair();
    const redirect = 'http://127.0.0.1:49152/callback';
    const consent = await b.authorize({
      response_type: 'code',
      client_id: pub.client.id,
      redirect_uri: redirect,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'p',
    });
    const res = await b.decide(consent, 'allow');
    expect(res.headers.get('location')!.startsWith(`${redirect}?`)).toBe(true);
    const { code } = codeFrom(res);
    const t = await token({ grant_type: 'authorization_code', code, redirect_uri: redirect, client_id: pub.client.id, code_verifier: verifier });
    expect(t.status).toBe(200);
  });

  test('a first-party client skips consent', async () => {
    const b = await signedIn();
    const { challenge } = pkcePair();
    const res = await b.authorize({
      response_type: 'code',
      client_id: fp.client.id,
      redirect_uri: CB,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(res.status).toBe(302);
    expect(codeFrom(res).code).toMatch(/^ac_/);
  });

  test('without a session the browser is sent to sign in and comes back to the same request', async () => {
    const b = new Browser(srv.base);
    const { challenge } = pkcePair();
    const params = {
      response_type: 'code',
      client_id: fp.client.id,
      redirect_uri: CB,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'back',
    };
    const loginPage = await b.authorize(params);
    expect(loginPage.status).toBe(200);
    const html = await loginPage.text();
    expect(html).toContain('action="/login"');
    const next = /name="next" value="([^"]*)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    expect(next.startsWith('/authorize?')).toBe(true);
    const signedIn = await b.login('alice', alice.password, next);
    expect(signedIn.headers.get('location')).toBe(next);
    const res = await b.get(next);
    expect(codeFrom(res).state).toBe('back');
  });

  test('GET / with OAuth parameters is the authorization endpoint (Deploys alias)', async () => {
    const b = await signedIn();
    const { challenge } = pkcePair();
    const res = await b.get(
      `/?response_type=code&client_id=${fp.client.id}&redirect_uri=${encodeURIComponent(CB)}&code_challenge=${challenge}&code_challenge_method=S256`,
    );
    expect(res.status).toBe(302);
    expect(codeFrom(res).code).toMatch(/^ac_/);
    const home = await b.get('/');
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Signed in as');
  });
});

describe('consent', () => {
  test('consent is remembered per user, client, scopes and resource; new scopes or resources ask again', async () => {
    const client = await addClient(srv, { name: 'Remember me', redirectUris: [CB] });
    const b = await signedIn();
    const base = { response_type: 'code', client_id: client.client.id, redirect_uri: CB };
    const first = await b.authorize({ ...base, scope: 'openid' });
    expect(first.status).toBe(200);
    await b.decide(first, 'allow');
    expect((await b.authorize({ ...base, scope: 'openid' })).status).toBe(302);
    expect((await b.authorize({ ...base, scope: 'openid email' })).status).toBe(200);
    expect((await b.authorize({ ...base, scope: 'openid', resource: 'https://api.example' })).status).toBe(200);
    expect((await b.authorize({ ...base, scope: 'openid', prompt: 'consent' })).status).toBe(200);
  });

  test('deny redirects with access_denied, state and iss, and remembers nothing', async () => {
    const client = await addClient(srv, { name: 'Denied', redirectUris: [CB] });
    const b = await signedIn();
    const res = await b.decide(await b.authorize({ response_type: 'code', client_id: client.client.id, redirect_uri: CB, state: 'd' }), 'deny');
    const loc = new URL(res.headers.get('location')!);
    expect(loc.searchParams.get('error')).toBe('access_denied');
    expect(loc.searchParams.get('state')).toBe('d');
    expect(loc.searchParams.get('iss')).toBe(srv.base);
    expect(await srv.deps.store.consents.get(alice.id, client.client.id, '')).toBeNull();
  });

  test('prompt=none answers login_required without a session and consent_required without consent', async () => {
    const client = await addClient(srv, { name: 'Silent', redirectUris: [CB] });
    const anon = new Browser(srv.base);
    const r1 = await anon.authorize({ response_type: 'code', client_id: client.client.id, redirect_uri: CB, prompt: 'none', state: 'n' });
    expect(new URL(r1.headers.get('location')!).searchParams.get('error')).toBe('login_required');
    const b = await signedIn();
    const r2 = await b.authorize({ response_type: 'code', client_id: client.client.id, redirect_uri: CB, prompt: 'none' });
    const loc = new URL(r2.headers.get('location')!);
    expect(loc.searchParams.get('error')).toBe('consent_required');
    expect(loc.searchParams.get('iss')).toBe(srv.base);
  });

  test('prompt=login asks for the password again even with a session', async () => {
    const b = await signedIn();
    const res = await b.get(`/authorize?response_type=code&client_id=${conf.client.id}&redirect_uri=${encodeURIComponent(CB)}&prompt=login`);
    expect(res.status).toBe(302);
    const loc = res.headers.get('location')!;
    expect(loc.startsWith('/login?force=1')).toBe(true);
    const page = await b.get(loc);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="password"');
  });
});

describe('authorization errors before the client and redirect URI are verified are pages, never redirects', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['missing client_id', { response_type: 'code', redirect_uri: CB }, 'client_id is missing'],
    ['unknown client', { response_type: 'code', client_id: 'nope', redirect_uri: CB }, 'unknown client_id'],
    ['unregistered redirect_uri', { response_type: 'code', client_id: 'CONF', redirect_uri: 'https://evil.example/cb' }, 'redirect_uri is not registered'],
    ['redirect_uri with another path', { response_type: 'code', client_id: 'CONF', redirect_uri: `${CB}/x` }, 'redirect_uri is not registered'],
    ['oversized parameter', { response_type: 'code', client_id: 'CONF', redirect_uri: CB, state: 'x'.repeat(3000) }, 'too long'],
  ];
  for (const [name, params, text] of cases) {
    test(name, async () => {
      const p = { ...params };
      if (p.client_id === 'CONF') p.client_id = conf.client.id;
      const res = await new Browser(srv.base).authorize(p);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await res.text()).toContain(text);
    });
  }

  test('a repeated client_id or redirect_uri is a page (RFC 6749 §3.1)', async () => {
    for (const q of [
      `client_id=${conf.client.id}&client_id=x&redirect_uri=${encodeURIComponent(CB)}`,
      `client_id=${conf.client.id}&redirect_uri=${encodeURIComponent(CB)}&redirect_uri=x`,
    ]) {
      const res = await new Browser(srv.base).get(`/authorize?response_type=code&${q}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('repeated');
    }
  });
});

describe('authorization errors after verification are redirected with error, state and iss', () => {
  const cases: [string, Record<string, string | string[]>, string, 'pub' | 'conf'][] = [
    ['missing response_type', {}, 'invalid_request', 'conf'],
    ['response_type=token', { response_type: 'token' }, 'unsupported_response_type', 'conf'],
    ['unknown scope', { scope: 'openid admin' }, 'invalid_scope', 'conf'],
    ['public client without PKCE', {}, 'invalid_request', 'pub'],
    [
      'code_challenge_method=plain',
      { code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'plain' },
      'invalid_request',
      'pub',
    ],
    ['malformed code_challenge', { code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request', 'pub'],
    ['resource not served here', { resource: 'https://other.example/' }, 'invalid_target', 'conf'],
    ['resource with a fragment', { resource: 'https://mcp.example/mcp#x' }, 'invalid_target', 'conf'],
    ['relative resource', { resource: '/mcp' }, 'invalid_target', 'conf'],
    ['unknown prompt', { prompt: 'maybe' }, 'invalid_request', 'conf'],
    ['repeated scope', { scope: ['openid', 'email'] }, 'invalid_request', 'conf'],
  ];
  for (const [name, extra, error, kind] of cases) {
    test(name, async () => {
      const c = kind === 'pub' ? pub : conf;
      const redirect = kind === 'pub' ? 'http://127.0.0.1:5000/callback' : CB;
      const b = await signedIn();
      const res = await b.authorize({
        ...(name === 'missing response_type' ? {} : { response_type: 'code' }),
        client_id: c.client.id,
        redirect_uri: redirect,
        state: 'st',
        ...extra,
      });
      expect(res.status).toBe(302);
      const loc = new URL(res.headers.get('location')!);
      expect(`${loc.origin}${loc.pathname}`).toBe(redirect);
      expect(loc.searchParams.get('error')).toBe(error);
      expect(loc.searchParams.get('state')).toBe('st');
      expect(loc.searchParams.get('iss')).toBe(srv.base);
      expect(loc.searchParams.get('code')).toBeNull();
    });
  }

  test('a client without the authorization_code grant gets unauthorized_client', async () => {
    const m2m = await addClient(srv, { name: 'M2M', redirectUris: [CB], grantTypes: ['client_credentials', 'authorization_code'] });
    await srv.deps.store.clients.remove(m2m.client.id);
    await srv.deps.store.clients.insert({ ...m2m.client, grantTypes: ['client_credentials'] });
    const res = await (await signedIn()).authorize({ response_type: 'code', client_id: m2m.client.id, redirect_uri: CB });
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('unauthorized_client');
  });
});

async function freshCode(kind: 'conf' | 'pub' = 'conf', opts: { pkce?: boolean } = { pkce: true }) {
  const b = await signedIn();
  const c = kind === 'conf' ? fp : pub;
  const { verifier, challenge } = pkcePair();
  const redirect = kind === 'conf' ? CB : 'http://127.0.0.1:6000/callback';
  const params: Record<string, string> = { response_type: 'code', client_id: kind === 'conf' ? conf.client.id : c.client.id, redirect_uri: redirect };
  if (opts.pkce !== false) Object.assign(params, { code_challenge: challenge, code_challenge_method: 'S256' });
  let res = await b.authorize({ ...params, prompt: 'consent' });
  if (res.status === 200) res = await b.decide(res, 'allow');
  return { code: codeFrom(res).code, verifier, redirect };
}

describe('token endpoint errors (RFC 6749 §5.2)', () => {
  test('wrong client secret: 401 invalid_client with WWW-Authenticate, code not consumed', async () => {
    const { code, verifier } = await freshCode();
    const bad = await token({ grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier }, basic(conf.client.id, 'wrong'));
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('Basic');
    expect((await bad.json()).error).toBe('invalid_client');
    const ok = await token({ grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier }, basic(conf.client.id, conf.secret!));
    expect(ok.status).toBe(200);
  });

  test('client_secret_post with a wrong secret: 401 invalid_client without WWW-Authenticate challenge for Basic', async () => {
    const r = await token({ grant_type: 'client_credentials', client_id: conf.client.id, client_secret: 'nope' });
    expect(r.status).toBe(401);
    expect((await r.json()).error).toBe('invalid_client');
  });

  test('unknown client, missing client, two authentication methods', async () => {
    expect((await token({ grant_type: 'client_credentials', client_id: 'ghost', client_secret: 'x' })).status).toBe(401);
    expect((await (await token({ grant_type: 'authorization_code', code: 'ac_x' })).json()).error).toBe('invalid_client');
    const both = await token({ grant_type: 'client_credentials', client_secret: conf.secret! }, basic(conf.client.id, conf.secret!));
    expect(both.status).toBe(400);
    expect((await both.json()).error).toBe('invalid_request');
  });

  test('wrong PKCE verifier: invalid_grant, and the right one still works', async () => {
    const { code, verifier } = await freshCode();
    const bad = await token(
      { grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: pkcePair().verifier },
      basic(conf.client.id, conf.secret!),
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'invalid_grant', error_description: 'PKCE verification failed' });
    expect(
      (await token({ grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier }, basic(conf.client.id, conf.secret!))).status,
    ).toBe(200);
  });

  test('missing verifier for a PKCE code, and a verifier for a code without challenge (downgrade, RFC 9700 §2.1.1)', async () => {
    const a = await freshCode();
    const r1 = await token({ grant_type: 'authorization_code', code: a.code, redirect_uri: CB }, basic(conf.client.id, conf.secret!));
    expect((await r1.json()).error_description).toBe('code_verifier is missing');
    const b = await freshCode('conf', { pkce: false });
    const r2 = await token(
      { grant_type: 'authorization_code', code: b.code, redirect_uri: CB, code_verifier: pkcePair().verifier },
      basic(conf.client.id, conf.secret!),
    );
    expect((await r2.json()).error).toBe('invalid_grant');
  });

  test('code replay: invalid_grant, and the tokens issued from the first exchange are revoked', async () => {
    const { code, verifier } = await freshCode();
    const form = { grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier };
    const first = await (await token(form, basic(conf.client.id, conf.secret!))).json();
    const replay = await token(form, basic(conf.client.id, conf.secret!));
    expect(replay.status).toBe(400);
    expect((await replay.json()).error).toBe('invalid_grant');
    // The refresh family is revoked and the access token's jti recorded as revoked.
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, basic(conf.client.id, conf.secret!));
    expect((await refresh.json()).error).toBe('invalid_grant');
    expect(await srv.deps.store.revokedAccessTokens.has(revocationKeys(decodeJwt(first.access_token).jti!))).toBe(true);
  });

  test('two concurrent exchanges of one code: exactly one wins', async () => {
    const { code, verifier } = await freshCode();
    const form = { grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier };
    const results = await Promise.all(Array.from({ length: 8 }, () => token(form, basic(conf.client.id, conf.secret!))));
    expect(results.filter((r) => r.status === 200).length).toBe(1);
  });

  test('expired code (AUTH_CODE_TTL 60 s)', async () => {
    const { code, verifier } = await freshCode();
    srv.clock.advance(61);
    const r = await token({ grant_type: 'authorization_code', code, redirect_uri: CB, code_verifier: verifier }, basic(conf.client.id, conf.secret!));
    expect(await r.json()).toEqual({ error: 'invalid_grant', error_description: 'the code has expired' });
  });

  test('redirect_uri mismatch, missing redirect_uri, and a code of another client', async () => {
    const a = await freshCode();
    const r1 = await token(
      { grant_type: 'authorization_code', code: a.code, redirect_uri: `${CB}x`, code_verifier: a.verifier },
      basic(conf.client.id, conf.secret!),
    );
    expect((await r1.json()).error).toBe('invalid_grant');
    const p = await freshCode('pub');
    const r2 = await token({ grant_type: 'authorization_code', code: p.code, client_id: pub.client.id, code_verifier: p.verifier });
    expect((await r2.json()).error).toBe('invalid_grant');
    const r3 = await token(
      { grant_type: 'authorization_code', code: p.code, redirect_uri: p.redirect, code_verifier: p.verifier },
      basic(conf.client.id, conf.secret!),
    );
    expect(await r3.json()).toEqual({ error: 'invalid_grant', error_description: 'the code was issued to another client' });
    // None of the failures consumed the code.
    expect(
      (await token({ grant_type: 'authorization_code', code: p.code, client_id: pub.client.id, redirect_uri: p.redirect, code_verifier: p.verifier })).status,
    ).toBe(200);
  });

  test('malformed, unknown and tampered codes', async () => {
    const { code, verifier } = await freshCode();
    for (const c of ['garbage', 'ac_x.y', `${code.slice(0, -2)}${code.endsWith('AA') ? 'BB' : 'AA'}`, `rt_${code.slice(3)}`]) {
      const r = await token({ grant_type: 'authorization_code', code: c, redirect_uri: CB, code_verifier: verifier }, basic(conf.client.id, conf.secret!));
      expect(r.status).toBe(400);
      expect((await r.json()).error).toBe('invalid_grant');
    }
  });

  test('grant_type missing, unknown, repeated; body not form-encoded; oversized body; bad UTF-8', async () => {
    const auth = basic(conf.client.id, conf.secret!);
    expect(await (await token({}, auth)).json()).toEqual({ error: 'invalid_request', error_description: 'grant_type is missing' });
    expect((await (await token({ grant_type: 'password' }, auth)).json()).error).toBe('unsupported_grant_type');
    const rep = await fetch(`${srv.base}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...auth },
      body: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    expect(await rep.json()).toEqual({ error: 'invalid_request', error_description: 'parameter grant_type is repeated' });
    const js = await fetch(`${srv.base}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: '{"grant_type":"client_credentials"}',
    });
    expect(js.status).toBe(400);
    expect((await js.json()).error).toBe('invalid_request');
    const big = await fetch(`${srv.base}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...auth },
      body: `grant_type=client_credentials&x=${'a'.repeat(100_000)}`,
    });
    expect(big.status).toBe(413);
    const utf = await fetch(`${srv.base}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...auth },
      body: new Uint8Array([0x67, 0x3d, 0xff, 0xfe]),
    });
    expect(utf.status).toBe(400);
    const long = await token({ grant_type: 'authorization_code', code: 'a'.repeat(600) }, auth);
    expect((await long.json()).error_description).toContain('too long');
  });

  test('a raw U+FFFD in the body is refused as not UTF-8, and the 16 KiB cap counts bytes; the code survives both', async () => {
    const { code, verifier } = await freshCode();
    const auth = basic(conf.client.id, conf.secret!);
    const form = `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent(CB)}&code_verifier=${verifier}`;
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded', ...auth };
    const raw = await fetch(`${srv.base}/token`, { method: 'POST', headers, body: `${form}&x=\uFFFD` });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ error: 'invalid_request', error_description: 'the body is not valid UTF-8' });
    // 6,000 three-byte characters, streamed without Content-Length: 18 KB, under 16,384 characters.
    const big = await fetch(`${srv.base}/token`, { method: 'POST', headers, body: new Blob([`${form}&x=${'€'.repeat(6000)}`]).stream() });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toBe('invalid_request');
    const ok = await fetch(`${srv.base}/token`, { method: 'POST', headers, body: `${form}&x=%EF%BF%BD` });
    expect(ok.status).toBe(200);
  });

  test('errors carry no-store and CORS; none is a 5xx', async () => {
    const r = await token({ grant_type: 'nope' });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('client_credentials (RFC 6749 §4.4)', () => {
  test('a confidential client with the grant gets an access token and no refresh token', async () => {
    const m2m = await addClient(srv, { name: 'Service', redirectUris: [], grantTypes: ['client_credentials'], scopes: ['email'] });
    const r = await token({ grant_type: 'client_credentials', scope: 'email', resource: 'https://api.example' }, basic(m2m.client.id, m2m.secret!));
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.refresh_token).toBeUndefined();
    expect(decodeJwt(body.access_token)).toMatchObject({ sub: m2m.client.id, client_id: m2m.client.id, scope: 'email', aud: 'https://api.example' });
    expect((await (await token({ grant_type: 'client_credentials', scope: 'openid' }, basic(m2m.client.id, m2m.secret!))).json()).error).toBe('invalid_scope');
    expect((await (await token({ grant_type: 'client_credentials', resource: 'https://evil.example' }, basic(m2m.client.id, m2m.secret!))).json()).error).toBe(
      'invalid_target',
    );
  });

  test('a client without the grant, and public clients, are refused', async () => {
    expect((await (await token({ grant_type: 'client_credentials' }, basic(conf.client.id, conf.secret!))).json()).error).toBe('unauthorized_client');
    expect((await (await token({ grant_type: 'client_credentials', client_id: pub.client.id })).json()).error).toBe('unauthorized_client');
  });
});
