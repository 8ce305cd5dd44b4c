// RFC 7662 introspection (every token state, wrong and missing credentials), RFC 7009 revocation (each token
// type, families, other clients, unknown tokens) and AuthGate's /oauth/tokeninfo.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { decodeJwt } from 'jose';
import { addClient, addUser, basic, Browser, codeFrom, pkcePair, postForm } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const INTROSPECTION_TOKEN = 'introspection-secret-0123456789abcdef';
let srv: TestServer;
let alice: Awaited<ReturnType<typeof addUser>>;
let app: Awaited<ReturnType<typeof addClient>>; // confidential
let cli: Awaited<ReturnType<typeof addClient>>; // public
let rs: Awaited<ReturnType<typeof addClient>>; // a resource server (confidential, client_credentials)
const CB = 'https://app.example/cb';

beforeAll(async () => {
  srv = await startTestServer({ INTROSPECTION_TOKEN, RESOURCES: 'https://mcp.example/mcp' });
  alice = await addUser(srv, 'alice', 'alice password', { email: 'alice@example.com' });
  app = await addClient(srv, { name: 'App', redirectUris: [CB], firstParty: true });
  cli = await addClient(srv, { name: 'CLI', redirectUris: ['http://127.0.0.1/callback'], isPublic: true, firstParty: true });
  rs = await addClient(srv, { name: 'RS', redirectUris: [], grantTypes: ['client_credentials'] });
});
afterAll(() => srv.close());

async function userTokens(client = app, resource?: string) {
  const b = new Browser(srv.base);
  await b.login('alice', alice.password);
  const { verifier, challenge } = pkcePair();
  const redirect = client === app ? CB : 'http://127.0.0.1:7000/callback';
  const res = await b.authorize({
    response_type: 'code',
    client_id: client.client.id,
    redirect_uri: redirect,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scope: 'openid email',
    ...(resource ? { resource } : {}),
  });
  const headers = client.secret ? basic(client.client.id, client.secret) : {};
  const form: Record<string, string> = { grant_type: 'authorization_code', code: codeFrom(res).code, redirect_uri: redirect, code_verifier: verifier };
  if (!client.secret) form.client_id = client.client.id;
  return (await (await postForm(`${srv.base}/token`, form, headers)).json()) as { access_token: string; refresh_token: string };
}

const introspect = (form: Record<string, string>, headers: Record<string, string> = { Authorization: `Bearer ${INTROSPECTION_TOKEN}` }) =>
  postForm(`${srv.base}/introspect`, form, headers);
const revoke = (form: Record<string, string>, headers: Record<string, string> = {}) => postForm(`${srv.base}/revoke`, form, headers);

describe('introspection (RFC 7662)', () => {
  test('an active access token: scope, client_id, sub, username, email, aud, iss, exp, iat', async () => {
    const t = await userTokens(app, 'https://mcp.example/mcp');
    const r = await introspect({ token: t.access_token });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const body = await r.json();
    expect(body).toMatchObject({
      active: true,
      token_type: 'Bearer',
      scope: 'openid email',
      client_id: app.client.id,
      sub: alice.id,
      username: 'alice',
      email: 'alice@example.com',
      aud: 'https://mcp.example/mcp',
      iss: srv.base,
    });
    expect(body.exp - body.iat).toBe(3600);
  });

  test('an active refresh token, and with token_type_hint', async () => {
    const t = await userTokens();
    for (const hint of [undefined, 'refresh_token', 'access_token', 'bogus']) {
      const body = await (await introspect({ token: t.refresh_token, ...(hint ? { token_type_hint: hint } : {}) })).json();
      expect(body).toMatchObject({ active: true, token_type: 'refresh_token', client_id: app.client.id, sub: alice.id, username: 'alice' });
    }
  });

  test('inactive: expired, revoked, rotated, unknown, malformed, tampered — and nothing else is said', async () => {
    const t = await userTokens();
    const rotated = t.refresh_token;
    const next = await (await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: rotated }, basic(app.client.id, app.secret!))).json();
    const [h, p, s] = next.access_token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(next.access_token), scope: 'admin' })).toString('base64url')}.${s}`;
    for (const token of [rotated, 'rt_unknown.x', 'garbage', tampered, `${h}.${p}.AAAA`]) {
      expect(await (await introspect({ token })).json()).toEqual({ active: false });
    }
    await revoke({ token: next.access_token }, basic(app.client.id, app.secret!));
    expect(await (await introspect({ token: next.access_token })).json()).toEqual({ active: false });
    expect((await (await introspect({ token: next.refresh_token })).json()).active).toBe(true);
    srv.clock.advance(3601);
    const fresh = await (
      await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: next.refresh_token }, basic(app.client.id, app.secret!))
    ).json();
    srv.clock.advance(3601);
    expect(await (await introspect({ token: fresh.access_token })).json()).toEqual({ active: false }); // expired
  });

  test('client_credentials tokens introspect with sub = client id', async () => {
    const at = (await (await postForm(`${srv.base}/token`, { grant_type: 'client_credentials' }, basic(rs.client.id, rs.secret!))).json()).access_token;
    expect(await (await introspect({ token: at })).json()).toMatchObject({ active: true, sub: rs.client.id, client_id: rs.client.id });
  });

  test('a confidential client may introspect with its credentials; a public one may not', async () => {
    const t = await userTokens();
    expect((await (await introspect({ token: t.access_token }, basic(rs.client.id, rs.secret!))).json()).active).toBe(true);
    const pub = await introspect({ token: t.access_token, client_id: cli.client.id }, {});
    expect(pub.status).toBe(401);
  });

  test('wrong or missing credentials: 401, and no answer about the token', async () => {
    const t = await userTokens();
    for (const headers of [{ Authorization: 'Bearer wrong-wrong-wrong-wrong' }, basic(rs.client.id, 'nope'), {} as Record<string, string>]) {
      const r = await introspect({ token: t.access_token }, headers);
      expect(r.status).toBe(401);
      expect((await r.json()).active).toBeUndefined();
    }
  });

  test('missing token, repeated token, JSON body', async () => {
    expect((await (await introspect({})).json()).error).toBe('invalid_request');
    const rep = await fetch(`${srv.base}/introspect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Bearer ${INTROSPECTION_TOKEN}` },
      body: 'token=a&token=b',
    });
    expect((await rep.json()).error).toBe('invalid_request');
    const js = await fetch(`${srv.base}/introspect`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${INTROSPECTION_TOKEN}` },
      body: '{"token":"x"}',
    });
    expect(js.status).toBe(400);
  });

  test('with neither INTROSPECTION_TOKEN nor client authentication configured: 503', async () => {
    const s = await startTestServer({ INTROSPECTION_CLIENT_AUTH: 'false' });
    try {
      const r = await postForm(`${s.base}/introspect`, { token: 'x' });
      expect(r.status).toBe(503);
      expect((await r.json()).error).toBe('temporarily_unavailable');
      expect((await (await fetch(`${s.base}/.well-known/oauth-authorization-server`)).json()).introspection_endpoint).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});

describe('revocation (RFC 7009)', () => {
  test('revoking a refresh token revokes its family and every access token minted from it', async () => {
    const rotate = async (rt: string) =>
      (await (await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: rt }, basic(app.client.id, app.secret!))).json()) as {
        access_token: string;
        refresh_token: string;
      };
    const t = await userTokens();
    const next = await rotate(t.refresh_token);
    const last = await rotate(next.refresh_token);
    const other = await userTokens(); // another grant of the same user and client
    const cc = await (await postForm(`${srv.base}/token`, { grant_type: 'client_credentials' }, basic(rs.client.id, rs.secret!))).json();
    // Access tokens of a refresh family carry it at the head of their jti; the others are plain.
    const family = decodeJwt(t.access_token).jti!.split('.')[0]!;
    for (const at of [t, next, last].map((x) => x.access_token)) expect(decodeJwt(at).jti).toMatch(new RegExp(`^${family}\\.[A-Za-z0-9_-]{22}$`));
    expect(decodeJwt(other.access_token).jti!.startsWith(`${family}.`)).toBe(false);
    expect(decodeJwt(cc.access_token).jti).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const r = await revoke({ token: last.refresh_token, token_type_hint: 'refresh_token' }, basic(app.client.id, app.secret!));
    expect(r.status).toBe(200);
    expect(
      (
        await (
          await postForm(`${srv.base}/token`, { grant_type: 'refresh_token', refresh_token: last.refresh_token }, basic(app.client.id, app.secret!))
        ).json()
      ).error,
    ).toBe('invalid_grant');
    // RFC 7009 §2.1: the access tokens of the same grant, the first one included, are revoked too.
    for (const at of [t, next, last].map((x) => x.access_token)) expect(await (await introspect({ token: at })).json()).toEqual({ active: false });
    // Another grant's tokens and a client_credentials token stay active.
    expect((await (await introspect({ token: other.access_token })).json()).active).toBe(true);
    expect((await (await introspect({ token: other.refresh_token })).json()).active).toBe(true);
    expect((await (await introspect({ token: cc.access_token })).json()).active).toBe(true);
    // Revoking it again changes nothing.
    expect((await revoke({ token: last.refresh_token }, basic(app.client.id, app.secret!))).status).toBe(200);
    expect((await (await introspect({ token: other.access_token })).json()).active).toBe(true);
  });

  test('a public client revokes by client_id; AuthGate path /oauth/revoke works', async () => {
    const t = await userTokens(cli);
    expect((await postForm(`${srv.base}/oauth/revoke`, { token: t.refresh_token, client_id: cli.client.id })).status).toBe(200);
    expect(await (await introspect({ token: t.refresh_token })).json()).toEqual({ active: false });
  });

  test('an access token is remembered as revoked until it expires', async () => {
    const t = await userTokens();
    expect((await revoke({ token: t.access_token }, basic(app.client.id, app.secret!))).status).toBe(200);
    expect(await srv.deps.store.revokedAccessTokens.has([decodeJwt(t.access_token).jti!])).toBe(true);
    expect((await (await introspect({ token: t.refresh_token })).json()).active).toBe(true); // the refresh token stays
  });

  test('unknown and malformed tokens: 200 and nothing changes', async () => {
    for (const token of ['rt_unknown.x', 'garbage', 'a'.repeat(3000)]) expect((await revoke({ token }, basic(app.client.id, app.secret!))).status).toBe(200);
  });

  test('another client cannot revoke the token; the token stays active', async () => {
    const t = await userTokens();
    const r = await revoke({ token: t.refresh_token }, basic(rs.client.id, rs.secret!));
    expect(r.status).toBe(400);
    expect((await r.json()).error).toBe('unauthorized_client');
    expect((await (await introspect({ token: t.refresh_token })).json()).active).toBe(true);
  });

  test('a confidential client must authenticate; missing token; JSON body (Deploys format) refused', async () => {
    const t = await userTokens();
    expect((await revoke({ token: t.refresh_token, client_id: app.client.id })).status).toBe(401);
    expect((await revoke({ token: t.refresh_token }, basic(app.client.id, 'wrong'))).status).toBe(401);
    expect((await (await revoke({}, basic(app.client.id, app.secret!))).json()).error).toBe('invalid_request');
    const js = await fetch(`${srv.base}/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: t.refresh_token }),
    });
    expect(js.status).toBe(400);
    expect((await (await introspect({ token: t.refresh_token })).json()).active).toBe(true);
  });
});

describe('GET /oauth/tokeninfo (AuthGate)', () => {
  test('with the Authorization header or ?access_token=: the token facts; invalid → 401', async () => {
    const t = await userTokens();
    for (const r of [
      await fetch(`${srv.base}/oauth/tokeninfo`, { headers: { Authorization: `Bearer ${t.access_token}` } }),
      await fetch(`${srv.base}/oauth/tokeninfo?access_token=${t.access_token}`),
    ]) {
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ active: true, sub: alice.id, client_id: app.client.id, scope: 'openid email', username: 'alice' });
    }
    for (const url of [
      `${srv.base}/oauth/tokeninfo`,
      `${srv.base}/oauth/tokeninfo?access_token=garbage`,
      `${srv.base}/oauth/tokeninfo?access_token=${t.refresh_token}`,
    ]) {
      const r = await fetch(url);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toContain('Bearer');
    }
  });
});
