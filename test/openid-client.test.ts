// A strict relying party end to end (issue 20): openid-client v6 in its default OIDC mode — discovery, the
// code flow with PKCE and a nonce, claims(), refresh, fetchUserInfo and buildEndSessionUrl — against the
// real server over HTTP (allowInsecureRequests only because the test issuer is http://127.0.0.1).
import { afterAll, beforeAll, expect, test } from 'bun:test';
import * as oidc from 'openid-client';
import { addClient, addUser, Browser } from './helpers/oauth.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const CB = 'https://rp.example/cb';
const LOGOUT = 'https://rp.example/bye';
let srv: TestServer;
let config: oidc.Configuration;
let user: Awaited<ReturnType<typeof addUser>>;

beforeAll(async () => {
  // The relying party checks iat/exp against its own clock: the server runs on real time here.
  srv = await startTestServer({}, { liveClock: true });
  user = await addUser(srv, 'dana', 'correct horse battery', { email: 'dana@example.com' });
  const c = await addClient(srv, { redirectUris: [CB], firstParty: true, postLogoutRedirectUris: [LOGOUT] });
  config = await oidc.discovery(new URL(srv.base), c.client.id, c.secret!, undefined, { execute: [oidc.allowInsecureRequests] });
});
afterAll(() => srv.close());

test('discovery, code + PKCE + nonce, claims(), refresh, userinfo and end-session URL', async () => {
  expect(config.serverMetadata().issuer).toBe(srv.base);
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CB,
    scope: 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  });
  const browser = new Browser(srv.base);
  await browser.login('dana', user.password);
  const back = await browser.authorize(Object.fromEntries(url.searchParams));
  const callback = new URL(back.headers.get('location')!);
  expect(callback.origin + callback.pathname).toBe(CB);

  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  });
  const claims = tokens.claims()!;
  expect(claims).toMatchObject({ iss: srv.base, sub: user.id, aud: config.clientMetadata().client_id, nonce });
  expect(typeof claims.auth_time).toBe('number');

  const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  expect(info).toMatchObject({ sub: user.id, preferred_username: 'dana', email: 'dana@example.com', email_verified: true });

  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  expect(refreshed.claims()).toMatchObject({ sub: user.id, auth_time: claims.auth_time });
  expect(refreshed.access_token).not.toBe(tokens.access_token);

  const end = oidc.buildEndSessionUrl(config, { id_token_hint: refreshed.id_token!, post_logout_redirect_uri: LOGOUT, state: 'done' });
  expect(end.href.startsWith(`${srv.base}/end-session?`)).toBe(true);
  const out = await browser.get(end.href);
  expect(out.status).toBe(303);
  expect(out.headers.get('location')).toBe(`${LOGOUT}?state=done`);
});

test('a nonce mismatch is caught by the relying party', async () => {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CB,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce: 'sent',
  });
  const browser = new Browser(srv.base);
  await browser.login('dana', user.password);
  const callback = new URL((await browser.authorize(Object.fromEntries(url.searchParams))).headers.get('location')!);
  const err = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: 'other' }).catch((e) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as { code?: string }).code).toBe('OAUTH_JWT_CLAIM_COMPARISON_FAILED');
  expect(String((err as { cause?: Error }).cause?.message)).toContain('"nonce"');
});

test('fetchUserInfo refuses an answer for another subject than the ID token named', async () => {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CB,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const browser = new Browser(srv.base);
  await browser.login('dana', user.password);
  const callback = new URL((await browser.authorize(Object.fromEntries(url.searchParams))).headers.get('location')!);
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
  await expect(oidc.fetchUserInfo(config, tokens.access_token, 'someone-else')).rejects.toThrow();
  expect((await oidc.fetchUserInfo(config, tokens.access_token, user.id)).sub).toBe(user.id);
});
